"""Load shedding: past its capacity a worker answers 503 with Retry-After at once.

The middleware in front of an app whose requests wait on the test's events, so
what is checked is who is admitted, who waits and who is refused, and in what order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from starlette.types import Receive, Scope, Send

from healthcode.http.shedding import SheddingMiddleware

Gates = dict[str, asyncio.Event]


def held_app(gates: Gates, started: list[str]) -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """Answers /hold/<name> once the test sets its gate; /stream/<name> starts its
    answer at once and ends it when its gate is set."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        kind, name = scope["path"].strip("/").partition("/")[::2]
        started.append(name)
        gate = gates.setdefault(name, asyncio.Event())
        if kind == "stream":
            await send({"type": "http.response.start", "status": 200, "headers": []})
            await gate.wait()
            await send({"type": "http.response.body", "body": b"end"})
            return
        await gate.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": name.encode()})

    return app


def shedding(gates: Gates, started: list[str], *, queue: int, wait: float) -> httpx.AsyncClient:
    middleware = SheddingMiddleware(
        held_app(gates, started),
        max_in_flight=2,
        max_queue=queue,
        wait_seconds=wait,
        retry_after=3,
        page=None,
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=middleware), base_url="http://t")


def run(scenario: Callable[[Gates, list[str]], Awaitable[None]]) -> None:
    """Run ``scenario``; whatever it asserts, every held request is let go after it."""
    gates: Gates = {}

    async def main() -> None:
        try:
            await scenario(gates, [])
        finally:
            for gate in gates.values():
                gate.set()

    # On a thread of its own: Playwright's sync API leaves a loop running in the
    # test thread when a Chromium test ran before on this worker.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, main()).result()


async def settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0)


def test_past_capacity_and_queue_a_request_is_refused_at_once() -> None:
    async def scenario(gates: Gates, started: list[str]) -> None:
        async with shedding(gates, started, queue=1, wait=30) as client:
            first = asyncio.create_task(client.get("/hold/a"))
            second = asyncio.create_task(client.get("/hold/b"))
            queued = asyncio.create_task(client.get("/hold/c"))
            await settle()
            assert started == ["a", "b"]  # c waits for a place
            refused = await client.get("/hold/d")  # answered while a and b still run
            assert refused.status_code == 503
            assert refused.headers["retry-after"] == "3"
            assert refused.json()["error"]["code"] == "service_busy"
            gates["v1/health"] = asyncio.Event()
            gates["v1/health"].set()
            assert (await client.get("/api/v1/health")).status_code == 200  # never held back
            assert started == ["a", "b", "v1/health"]
            gates["a"].set()
            assert (await first).text == "a"
            await settle()
            assert started[-1] == "c"  # a's place went to the one waiting
            gates["b"].set()
            gates["c"].set()
            assert [(await t).status_code for t in (second, queued)] == [200, 200]

    run(scenario)


def test_a_request_that_waits_too_long_is_refused() -> None:
    async def scenario(gates: Gates, started: list[str]) -> None:
        async with shedding(gates, started, queue=8, wait=0.05) as client:
            held = [asyncio.create_task(client.get(f"/hold/{n}")) for n in "ab"]
            await settle()
            late = await client.get("/hold/c")
            assert late.status_code == 503
            assert "c" not in started  # refused without being worked on
            for name in "ab":
                gates[name].set()
            assert [(await t).status_code for t in held] == [200, 200]
            gates["d"] = asyncio.Event()
            gates["d"].set()
            assert (await client.get("/hold/d")).status_code == 200  # recovered

    run(scenario)


def test_a_held_open_stream_gives_up_its_place_once_it_has_answered() -> None:
    async def scenario(gates: Gates, started: list[str]) -> None:
        async with shedding(gates, started, queue=0, wait=0) as client:
            streams = [asyncio.create_task(client.get(f"/stream/{n}")) for n in "ab"]
            await settle()
            gates["c"] = asyncio.Event()
            gates["c"].set()
            assert (await client.get("/hold/c")).status_code == 200
            for name in "ab":
                gates[name].set()
            assert [(await t).text for t in streams] == ["end", "end"]

    run(scenario)
