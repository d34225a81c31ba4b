"""``python -m bench.profile_http``: where a code fetch, a daily report, a declaration and
a scan spend their time.

The app runs in this process, driven straight through ASGI (no HTTP parsing, no
client library), on a fresh SQLite file or ``--postgresql``. Two things are measured
for each path:

* the time per request as served, sync endpoints and dependencies hopping to
  AnyIO's thread pool as they do under uvicorn, against the same requests with every
  hop run inline: the difference is what the hops cost;
* a cProfile of the inline run, where everything happens on one thread, so the
  profile holds all of the server's work and none of a client's.

Not part of ``make bench``: it explains the numbers, it does not check them.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import cProfile
import json
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import anyio.to_thread
from fastapi import FastAPI
from sqlalchemy import Engine, event
from starlette.types import Message

from bench import bench_scans
from bench.bench_http import REPORT
from bench.http_server import POLICY, Residents, bench_settings, postgresql_url, prepare, sqlite_url
from healthcode.app import create_app
from healthcode.store.db import make_engine, session_factory

# Where a function's own time is counted: the first fragment its file or name holds.
PACKAGES = (
    ("sqlite3", "sqlite3 (C)"),
    ("psycopg", "psycopg + server"),
    ("/sqlalchemy/", "sqlalchemy"),
    ("/pydantic", "pydantic"),
    ("/fastapi/", "fastapi"),
    ("/starlette/", "starlette"),
    ("/anyio/", "anyio"),
    ("/asyncio/", "asyncio"),
    ("/cryptography/", "cryptography"),
    ("ed25519", "cryptography"),
    ("/cbor2/", "cbor2"),
    ("/base45/", "base45"),
    ("/healthcode/", "healthcode"),
    ("json", "json"),
    ("/uuid.py", "uuid"),
    ("/enum.py", "enum"),
)
Work = Callable[[FastAPI, int], Awaitable[None]]
CLOCK = [time.perf_counter]  # --cpu: time.process_time, which a busy machine does not inflate


# --- driving the app ------------------------------------------------------------------


async def call(
    app: FastAPI, method: str, path: str, token: str, body: bytes = b""
) -> tuple[int, bytes]:
    """One request through the ASGI interface, as uvicorn would make it."""
    headers = [(b"host", b"bench"), (b"content-length", str(len(body)).encode())]
    if token:
        headers.append((b"authorization", f"Bearer {token}".encode()))
    if body:
        headers.append((b"content-type", b"application/json"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    messages: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]
    answer: dict[str, Any] = {"body": b""}

    async def receive() -> Message:
        return messages.pop() if messages else {"type": "http.disconnect"}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        else:
            answer["body"] += message.get("body", b"")

    await app(scope, receive, send)
    return answer["status"], answer["body"]


def expect(wanted: int, answer: tuple[int, bytes]) -> bytes:
    if answer[0] != wanted:
        raise RuntimeError(f"HTTP {answer[0]} (wanted {wanted}): {answer[1][:300]!r}")
    return answer[1]


@dataclass
class Paths:
    """The measured paths over one set of residents; declarations use each fresh
    resident once, in order, across every run; scans (``bench_scans``' gate) read
    the declared residents' on-screen codes in rotation."""

    residents: Residents
    declared_so_far: int = 0
    gate: tuple[str, str, tuple[bytes, ...]] | None = None  # guard, path, bodies

    async def health(self, app: FastAPI, count: int) -> None:
        for _ in range(count):
            expect(200, await call(app, "GET", "/api/v1/health", ""))

    async def scan(self, app: FastAPI, count: int) -> None:
        assert self.gate is not None
        guard, path, bodies = self.gate
        for i in range(count):
            expect(200, await call(app, "POST", path, guard, bodies[i % len(bodies)]))

    async def fetch(self, app: FastAPI, count: int) -> None:
        path, tokens = f"/api/v1/codes/{POLICY}/token", self.residents.declared
        for i in range(count):
            expect(200, await call(app, "GET", path, tokens[i % len(tokens)]))

    async def report(self, app: FastAPI, count: int) -> None:
        path, tokens = f"/api/v1/codes/{POLICY}/reports", self.residents.declared
        for i in range(count):
            expect(200, await call(app, "POST", path, tokens[i % len(tokens)], REPORT))

    async def declare(self, app: FastAPI, count: int) -> None:
        start, self.declared_so_far = self.declared_so_far, self.declared_so_far + count
        for token, body in self.residents.fresh[start : self.declared_so_far]:
            answer = expect(201, await call(app, "POST", "/api/v1/declarations", token, body))
            confirm = f"/api/v1/declarations/{_id(answer)}/confirm"
            expect(200, await call(app, "POST", confirm, token))


def _id(answer: bytes) -> str:
    return str(json.loads(answer)["id"])


@contextlib.contextmanager
def thread_hops(*, inline: bool) -> Iterator[list[int]]:
    """Count AnyIO thread-pool calls (FastAPI's sync endpoints and dependencies);
    with ``inline``, run them on the event loop's thread instead."""
    calls = [0]
    original = anyio.to_thread.run_sync

    async def counted(func: Callable[..., Any], *args: Any, **options: Any) -> Any:
        calls[0] += 1
        if inline:
            return func(*args)
        return await original(func, *args, **options)

    with mock.patch.object(anyio.to_thread, "run_sync", counted):
        yield calls


async def timed(app: FastAPI, work: Work, count: int, *, inline: bool) -> tuple[float, float]:
    """Seconds per unit of ``work`` and thread hops per unit."""
    with thread_hops(inline=inline) as hops:
        start = CLOCK[0]()
        await work(app, count)
        elapsed = CLOCK[0]() - start
    return elapsed / count, hops[0] / count


async def profiled(app: FastAPI, work: Work, count: int) -> pstats.Stats:
    profile = cProfile.Profile(CLOCK[0])  # --cpu: waits on the database count nothing
    with thread_hops(inline=True):
        profile.enable()
        await work(app, count)
        profile.disable()
    return pstats.Stats(profile)


# --- reporting ------------------------------------------------------------------------


def by_package(stats: pstats.Stats) -> dict[str, float]:
    """Own time per library, largest first."""
    totals: dict[str, float] = defaultdict(float)
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    for (file, _line, name), (_cc, _nc, own, *_rest) in raw.items():
        where = f"{file} {name}"
        label = next((label for part, label in PACKAGES if part in where), "builtins, stdlib")
        totals[label] += own
    return dict(sorted(totals.items(), key=lambda item: -item[1]))


def healthcode_functions(stats: pstats.Stats, top: int) -> list[tuple[float, str]]:
    """The healthcode functions with the most cumulative time."""
    raw: dict[tuple[str, int, str], tuple[Any, ...]] = stats.stats  # type: ignore[attr-defined]
    rows = [
        (cumulative, f"{file.split('/healthcode/', 1)[1]}:{line}({name})")
        for (file, line, name), (_cc, _nc, _own, cumulative, _callers) in raw.items()
        if "/healthcode/" in file
    ]
    return sorted(rows, reverse=True)[:top]


@dataclass(frozen=True)
class Measured:
    per_unit: float  # seconds, hops to the thread pool as served
    hops: float  # thread-pool calls per unit
    inline: float  # seconds per unit with every hop inline
    stats: pstats.Stats  # of the inline run
    count: int


def report(title: str, m: Measured, top: int, health: Measured | None = None) -> None:
    total: float = m.stats.total_tt  # type: ignore[attr-defined]
    print(f"\n=== {title} ===")
    print(f"as served: {1000 * m.per_unit:.2f} ms per unit, {m.hops:.0f} thread-pool hops;")
    if health is not None:
        ratio = health.per_unit / m.per_unit
        print(f"in-process ratio to GET /health ({1000 * health.per_unit:.3f} ms): {ratio:.3f}")
    cost = 1000 * (m.per_unit - m.inline)
    print(f"every hop inline: {1000 * m.inline:.2f} ms, so the hops cost {cost:.2f} ms")
    print(f"(profiled inline: {1000 * total / m.count:.2f} ms per unit with cProfile's overhead)")
    print("\nown time by library:")
    for package, seconds in by_package(m.stats).items():
        print(f"  {package:<18} {100 * seconds / total:5.1f}%")
    print("\nhealthcode functions, cumulative share of the profiled time:")
    for seconds, name in healthcode_functions(m.stats, top):
        print(f"  {100 * seconds / total:5.1f}%  {name}")
    print()
    m.stats.sort_stats("tottime").print_stats(top)


async def measure(app: FastAPI, work: Work, count: int) -> Measured:
    async with app.router.lifespan_context(app):
        await work(app, max(10, count // 10))  # warm caches and connections
        per_unit, hops = await timed(app, work, count, inline=False)
        inline, _ = await timed(app, work, count, inline=True)
        stats = await profiled(app, work, count)
    return Measured(per_unit, hops, inline, stats, count)


@contextlib.contextmanager
def database(postgresql: bool, directory: Path) -> Iterator[str]:
    if not postgresql:
        yield sqlite_url(directory)
        return
    with postgresql_url() as url:
        if url is None:
            raise SystemExit("PostgreSQL is unavailable")
        yield url


@contextlib.contextmanager
def statements(engine: Engine) -> Iterator[list[str]]:
    """Every statement the engine sends (with BEGIN and COMMIT), first line of each."""
    sent: list[str] = []

    def before(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        sent.append(" ".join(statement.split()))

    def begin(_conn: Any) -> None:
        sent.append("BEGIN")

    def commit(_conn: Any) -> None:
        sent.append("COMMIT")

    hooks = (("before_cursor_execute", before), ("begin", begin), ("commit", commit))
    for name, hook in hooks:
        event.listen(engine, name, hook)
    try:
        yield sent
    finally:
        for name, hook in hooks:
            event.remove(engine, name, hook)


async def trace(app: FastAPI, engine: Engine, work: Work, title: str) -> None:
    """Print the statements of one unit of ``work``, after a warm-up unit."""
    async with app.router.lifespan_context(app):
        await work(app, 1)
        with thread_hops(inline=True), statements(engine) as sent:
            await work(app, 1)
    print(f"\n=== statements of one {title}: {len(sent)} ===")
    for line in sent:
        print(f"  {line}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_http", description=__doc__)
    parser.add_argument("--fetches", type=int, default=500)
    parser.add_argument("--reports", type=int, default=500)
    parser.add_argument("--declarations", type=int, default=200)
    parser.add_argument("--scans", type=int, default=500)
    parser.add_argument("--top", type=int, default=20)
    parser.add_argument("--postgresql", action="store_true")
    parser.add_argument("--sql", action="store_true", help="only list one unit's statements")
    parser.add_argument("--cpu", action="store_true", help="time in process CPU seconds")
    parser.add_argument("--foreign", action="store_true", help="scan another region's codes")
    args = parser.parse_args(argv)
    if args.cpu:
        CLOCK[0] = time.process_time
    fresh = 3 * args.declarations + max(10, args.declarations // 10)
    with tempfile.TemporaryDirectory() as tmp, database(args.postgresql, Path(tmp)) as url:
        paths = Paths(prepare(url, declared=200, fresh=fresh))
        guard, path, ours, foreign = bench_scans.gate(url)
        paths.gate = guard, path, foreign if args.foreign else ours
        engine = make_engine(url)
        app = create_app(bench_settings(url), sessions=session_factory(engine))
        try:
            if args.sql:
                asyncio.run(trace(app, engine, paths.fetch, "code fetch"))
                asyncio.run(trace(app, engine, paths.report, "daily report"))
                asyncio.run(trace(app, engine, paths.declare, "declaration"))
                asyncio.run(trace(app, engine, paths.scan, "scan"))
                return 0
            health = asyncio.run(measure(app, paths.health, 2000))
            fetches = asyncio.run(measure(app, paths.fetch, args.fetches))
            reports = asyncio.run(measure(app, paths.report, args.reports))
            declarations = asyncio.run(measure(app, paths.declare, args.declarations))
            scans = asyncio.run(measure(app, paths.scan, args.scans))
        finally:
            engine.dispose()
    report("code fetch (unit: one GET /codes/{policy}/token)", fetches, args.top, health)
    report("daily report (unit: one POST /codes/{policy}/reports)", reports, args.top, health)
    report("declaration (unit: POST /declarations + POST confirm)", declarations, args.top, health)
    whose = "another region's code" if args.foreign else "our code"
    report(f"online scan of {whose} (unit: one POST /venues/{{id}}/scans)", scans, args.top, health)
    return 0


if __name__ == "__main__":
    sys.exit(main())
