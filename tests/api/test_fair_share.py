"""Fair share: one client's burst is refused at once, and the others stay served.

Through the app on both databases; the 16-parallel-QR case on a live server, where
the admitted requests are held inside the app so that what is measured is who was
admitted and who was answered while they were held, not how long anything took.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis
from fastapi import FastAPI, Request
from fastapi.responses import PlainTextResponse
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import Message, Receive, Scope, Send

from healthcode.config import Settings
from healthcode.domain.records import Department
from healthcode.http.asgi import no_body
from healthcode.http.fairshare import FairShareMiddleware, kind_of
from healthcode.http.security import session_token
from healthcode.services.accounts.permissions import Role
from healthcode.services.shared.ratelimit import Budgets
from tests.api.helpers import (
    CapturingSender,
    declare,
    error,
    resident_headers,
    staff_headers,
)
from tests.api.live_db import serve, sign_in
from tests.api.records.test_department_import import department_key, send
from tests.api.residents.test_temperature_video import apply, upload
from tests.conftest import missing_service
from tests.factories import videos
from tests.factories.inputs import declaration_data
from tests.factories.loops import run_alone
from tests.web.live import LiveServer

API = "/api/v1"
QR = f"{API}/codes/binzhou-code/qr.png"
TOKEN = f"{API}/codes/binzhou-code/token"
REPORT = f"{API}/codes/binzhou-code/reports"
REDIS_URL = "redis://127.0.0.1:6379"
SOME_ID = "3f2b8c1e-5d4a-4b6f-9a7e-0c1d2e3f4a5b"  # fixed: xdist workers collect the same ids


@pytest.fixture
def settings(settings: Settings) -> Settings:
    # per day: a sliding window counter weighs the last window's count down, so a
    # test straddling a window's end could see more allowed than the limit says
    session = {"write": "4/day", "code": "60/day", "lookup": "3/day", "import": "2/day"}
    limits = {"session_limits": session}
    return settings.model_copy(update=limits | {"address_limits": {"code": "5/day"}})


@pytest.mark.parametrize(
    ("method", "path", "kind"),
    [
        ("GET", "/api/v1/codes/binzhou-code/qr.png", "code"),
        ("GET", "/api/v1/codes/binzhou-code/attestation", "code"),
        ("GET", f"/family/{SOME_ID}/codes/binzhou-code/live", "code"),
        ("GET", "/codes/shandong-pass", "code"),
        ("POST", "/api/v1/declarations", "write"),
        ("POST", "/codes/binzhou-code/report", "write"),
        ("POST", f"/api/v1/venues/{SOME_ID}/scans/batch", "scan"),
        ("POST", "/api/v1/verify", "scan"),
        ("POST", "/api/v1/records/imports", "import"),
        ("POST", f"/staff/applications/{SOME_ID}/paper", "pdf"),
        ("POST", "/api/v1/sharing/colour-lookups", "lookup"),
        ("GET", f"/staff/employers/{SOME_ID}/board.csv", "lookup"),
        ("GET", f"/api/v1/records/imports/{SOME_ID}/refused.csv", "lookup"),
        ("GET", f"/staff/records/imports/{SOME_ID}/refused.csv", "lookup"),
        ("GET", f"/api/v1/records/sent/{SOME_ID}/refused.csv", "lookup"),
        ("GET", f"/staff/records/imports/{SOME_ID}", None),
        ("GET", "/api/v1/health", None),
        ("GET", "/api/v1/codes/binzhou-code/watch", "watch"),  # one held request an hour
        ("GET", f"/api/v1/employers/{SOME_ID}/board", "lookup"),
        ("GET", f"/staff/employers/{SOME_ID}/board", "lookup"),
        ("POST", "/staff/records/tracing", "lookup"),
        ("POST", f"/staff/records/tracing/{SOME_ID}", "lookup"),
        ("GET", f"/api/v1/applications/{SOME_ID}", "lookup"),  # each view audit-logged
        ("GET", f"/staff/applications/{SOME_ID}", "lookup"),
        ("GET", "/api/v1/applications", "lookup"),  # the whole scoped queue counted
        ("GET", "/staff/queue", "lookup"),
        ("GET", f"/api/v1/staff/fraud-cases/{SOME_ID}", "lookup"),
        ("GET", f"/staff/fraud/{SOME_ID}", "lookup"),
        ("GET", f"/api/v1/staff/appeals/{SOME_ID}", "lookup"),
        ("GET", f"/staff/appeals/{SOME_ID}", "lookup"),
        ("GET", f"/staff/appeals/{SOME_ID}/evidence", "lookup"),
        ("GET", f"/staff/applications/{SOME_ID}/call", None),  # the call page, not a record
        ("GET", f"/api/v1/applications/{SOME_ID}/video", "video"),  # each read audit-logged
        ("GET", f"/api/v1/declarations/{SOME_ID}/video", "video"),  # the resident's own
        ("GET", f"/declarations/{SOME_ID}/video", None),  # the page, not the video
        ("PUT", f"/api/v1/declarations/{SOME_ID}/video", "write"),
        ("GET", "/static/app.css", None),
        ("GET", "/api/v1/trust-list", None),
    ],
)
def test_costly_kinds(method: str, path: str, kind: str | None) -> None:
    assert kind_of(method, path) == kind


class TestBudgets:
    def test_a_session_over_its_write_budget_is_refused_and_another_served(
        self, client: TestClient, sms: CapturingSender
    ) -> None:
        greedy = resident_headers(client, sms)
        calm = resident_headers(client, sms, "13900002222")
        declare(client, greedy, declaration_data())  # two writes of greedy's four
        declare(client, calm, declaration_data())
        for _ in range(2):
            assert client.post(REPORT, json={"temperature": 36.6}, headers=greedy).is_success
        refused = client.post(REPORT, json={"temperature": 36.6}, headers=greedy)
        assert (refused.status_code, error(refused)["code"]) == (429, "rate_limited")
        assert 1 <= int(refused.headers["retry-after"]) <= 24 * 3600
        assert error(refused)["message"].startswith("请求过于频繁")
        assert client.post(REPORT, json={"temperature": 36.6}, headers=calm).is_success

    def test_one_address_shares_a_budget_across_its_sessions(
        self, client: TestClient, sms: CapturingSender
    ) -> None:
        first = resident_headers(client, sms)
        second = resident_headers(client, sms, "13900002222")
        declare(client, first, declaration_data())
        declare(client, second, declaration_data())
        answers = [client.get(TOKEN, headers=h).status_code for h in (first, second) * 3]
        assert answers == [200] * 5 + [429]  # five from this address, any session

    def test_an_issuer_opening_applications_in_a_loop_is_refused_and_another_served(
        self, client: TestClient, sms: CapturingSender, add_staff: Any
    ) -> None:
        """Found from outside: one issuer's session opened an application's details
        (each view audit-logged) 200 times in under two seconds, unlimited, as a
        scraper would; scan details and tracing were limited, these were not."""
        declare(client, resident_headers(client, sms), declaration_data("shandong-pass"))
        add_staff("issuer01", Role.ISSUER)
        add_staff("issuer02", Role.ISSUER)
        greedy, calm = staff_headers(client, "issuer01"), staff_headers(client, "issuer02")
        [item] = client.get(f"{API}/applications", headers=greedy).json()["items"]
        opened = f"{API}/applications/{item['id']}"
        answers = [client.get(opened, headers=greedy).status_code for _ in range(3)]
        assert answers == [200, 200, 429]  # the queue was the first of three
        refused = client.get(opened, headers=greedy)
        assert (refused.status_code, error(refused)["code"]) == (429, "rate_limited")
        assert "retry-after" in refused.headers
        assert client.get(opened, headers=calm).status_code == 200

    def test_a_department_system_has_its_own_budget_apart_from_another_at_its_address(
        self, client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
    ) -> None:
        """Found from outside: a department system's key was no session at the edge, so
        only its address was counted (and nothing capped it in flight): one system's
        burst of 40 imports spent the address's budget and another department's
        system behind the same gateway was refused for the rest of the minute."""
        greedy = department_key(app, sessions, Department.HEALTH)
        calm = department_key(app, sessions, Department.POLICE)
        empty = "身份证号,开始日期\n".encode()  # refused (columns): still costs the budget
        answers = [send(client, greedy, empty).status_code for _ in range(3)]
        assert answers == [422, 422, 429]
        assert send(client, calm, empty, kind="travel").status_code == 422  # served, not 429

    def test_a_page_is_refused_with_a_page(self, client: TestClient, sms: CapturingSender) -> None:
        me = resident_headers(client, sms)
        declare(client, me, declaration_data())
        for _ in range(5):
            client.get(TOKEN, headers=me)
        page = client.get("/codes/binzhou-code", headers=me | {"Accept": "text/html"})
        assert page.status_code == 429
        assert page.headers["content-type"].startswith("text/html")
        assert "retry-after" in page.headers


# the shipped budget's count, per day here (see ``settings``)
VIDEO_BUDGET = int(Settings.model_fields["session_limits"].default["video"].split("/")[0])


class TestTemperatureVideo:
    """Found from outside: one issuer's session fetched an application's temperature
    video in a loop, unlimited, each fetch an audit row and a blob read; it had been
    left out of the look-ups so that a player's Range requests were not refused."""

    @pytest.fixture
    def settings(self, settings: Settings, tmp_path: Path) -> Settings:
        video = {"video": f"{VIDEO_BUDGET}/day"}
        return settings.model_copy(
            update={
                "blob_dir": str(tmp_path / "blobs"),
                "session_limits": settings.session_limits | video,
            }
        )

    @pytest.fixture
    def video(self, client: TestClient, sms: CapturingSender) -> tuple[str, bytes]:
        me, app_id = apply(client, sms)  # two writes of the resident's four
        data = videos.mp4(20, size=200_000)
        assert upload(client, me, app_id, data).status_code == 200
        return f"{API}/applications/{app_id}/video", data

    def test_an_issuer_fetching_a_video_in_a_loop_is_refused_and_another_served(
        self, client: TestClient, add_staff: Any, video: tuple[str, bytes]
    ) -> None:
        url, data = video
        add_staff("issuer01", Role.ISSUER)
        add_staff("issuer02", Role.ISSUER)
        greedy, calm = staff_headers(client, "issuer01"), staff_headers(client, "issuer02")
        answers = [client.get(url, headers=greedy).status_code for _ in range(VIDEO_BUDGET)]
        assert answers == [200] * VIDEO_BUDGET
        refused = client.get(url, headers=greedy)
        assert (refused.status_code, error(refused)["code"]) == (429, "rate_limited")
        assert 1 <= int(refused.headers["retry-after"]) <= 24 * 3600
        served = client.get(url, headers=calm)
        assert (served.status_code, served.content) == (200, data)

    def test_a_few_playbacks_range_requests_pass(
        self, client: TestClient, add_staff: Any, video: tuple[str, bytes]
    ) -> None:
        """A phone's player probes two bytes, asks from the start, reads the index at
        the end, then reads on in pieces and seeks: 16 requests a playback."""
        url, data = video
        add_staff("issuer01", Role.ISSUER)
        me = staff_headers(client, "issuer01")
        size, piece = len(data), 20_000
        playback = [(0, 1), (0, None), (size - 4000, None)]
        playback += [(at, at + piece - 1) for at in range(0, size, piece)]
        playback += [(size // 2, None), (size // 4, None), (0, piece - 1)]
        for _ in range(5):  # five playbacks of the video, one after another
            for first, last in playback:
                wanted = f"bytes={first}-{'' if last is None else last}"
                part = client.get(url, headers=me | {"Range": wanted})
                assert part.status_code == 206, (wanted, part.text)
                assert part.content == data[first : None if last is None else last + 1]
        assert client.get(f"{API}/applications", headers=me).status_code == 200


def test_budgets_are_shared_by_workers_through_redis() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as failure:
        missing_service("Redis", f"{REDIS_URL}: {type(failure).__name__}")
    prefix = f"hc-test-{uuid.uuid4().hex}"
    workers = [Budgets(REDIS_URL, prefix=prefix), Budgets(REDIS_URL, prefix=prefix)]

    async def hits() -> list[int | None]:
        mine = [await workers[i % 2].hit("3/day", "code", "session-1") for i in range(4)]
        return [*mine, await workers[1].hit("3/day", "code", "session-2")]

    answers = run_alone(hits())
    assert answers[:3] == [None, None, None]  # two workers, one budget of three
    assert answers[3] is not None
    assert 1 <= answers[3] <= 24 * 3600
    assert answers[4] is None  # another session's own


def test_sixteen_parallel_qr_requests_do_not_hold_up_another_resident(
    live_engine: Engine, served: list[LiveServer]
) -> None:
    server, client = serve(live_engine, served, rate_limits=True, session_in_flight=4)
    greedy, calm = sign_in(client, server), sign_in(client, server, "13900002222")
    declare(client, greedy, declaration_data())  # type: ignore[arg-type]
    declare(client, calm, declaration_data())  # type: ignore[arg-type]
    gate, held = threading.Event(), threading.Semaphore(0)

    async def held_token(request: Request) -> str:
        """Before the database: an admitted QR request of the burst waits here until
        the test has seen the others answered (its transaction would lock SQLite)."""
        if request.url.path == QR:
            held.release()
            await asyncio.to_thread(gate.wait, 60)
        return request.headers["authorization"].removeprefix("Bearer ")

    server.app.dependency_overrides[session_token] = held_token
    answers: list[httpx.Response] = []

    def fetch() -> None:
        with httpx.Client(base_url=server.url, timeout=60) as own:
            answers.append(own.get(QR, headers=greedy))

    burst = [threading.Thread(target=fetch) for _ in range(16)]
    for thread in burst:
        thread.start()
    try:
        for _ in range(4):
            assert held.acquire(timeout=30), "four of the burst are admitted"
        until(lambda: len(answers) == 12)
        # the excess was answered while the admitted four were still being worked on
        assert {(r.status_code, error(r)["code"]) for r in answers} == {(429, "rate_limited")}
        assert all(r.headers["retry-after"] == "1" for r in answers)
        assert client.get(TOKEN, headers=calm).status_code == 200  # the other resident
        assert client.get(f"{API}/codes/binzhou-code", headers=calm).status_code == 200
        assert not held.acquire(timeout=0.2)  # and no fifth of the burst got in meanwhile
    finally:
        gate.set()
        for thread in burst:
            thread.join(timeout=60)
    assert sorted(r.status_code for r in answers) == [200] * 4 + [429] * 12


def test_colour_watches_are_capped_apart_from_the_code_page(
    live_engine: Engine, served: list[LiveServer]
) -> None:
    """One session opened 1,500 colour watches, each a database read every 5 s (found
    from outside). At most two are held open per session; they take no place of the
    code page's."""
    server, client = serve(live_engine, served, rate_limits=True, session_in_flight=1)
    me = sign_in(client, server)
    declare(client, me, declaration_data())  # type: ignore[arg-type]
    watch = f"{API}/codes/binzhou-code/watch"
    query: dict[str, str | int] = {"colour": "green", "hold": 60}
    with contextlib.ExitStack() as held:
        lines = []  # kept: an iterator dropped closes its connection
        for _ in range(2):
            opened = held.enter_context(client.stream("GET", watch, params=query, headers=me))
            assert opened.status_code == 200
            lines.append(opened.iter_lines())
            next(lines[-1])  # its first line: the stream is being served
        third = client.get(watch, params=query, headers=me)
        assert (third.status_code, error(third)["code"]) == (429, "rate_limited")
        assert client.get(TOKEN, headers=me).status_code == 200


def until(condition: Any, seconds: float = 30) -> None:
    """Wait for ``condition`` (a bound on a hang, not a measurement)."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def test_a_burst_whose_budget_is_asked_of_redis_gets_no_more_than_its_places() -> None:
    """A session's places in flight were checked, then its budget asked of Redis (the
    request waits on the network there, and the rest of the burst runs), and only
    then taken: with several workers on Redis, all sixteen passed the check."""
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.RedisError as failure:
        missing_service("Redis", f"{REDIS_URL}: {type(failure).__name__}")
    budgets = Budgets(REDIS_URL, prefix=f"hc-test-{uuid.uuid4().hex}")

    async def burst() -> tuple[int, list[int]]:
        gate, inside, statuses = asyncio.Event(), [0], list[int]()

        async def held(scope: Scope, receive: Receive, send: Send) -> None:
            inside[0] += 1
            await gate.wait()
            await PlainTextResponse("ok")(scope, receive, send)

        middleware = FairShareMiddleware(
            held,
            budgets=budgets,
            session_limits={"code": "100/day"},
            address_limits={"code": "100/day"},
            in_flight=4,
            watches=2,
            page=lambda *_: PlainTextResponse("page"),
        )
        scope = {
            "type": "http", "method": "GET", "path": QR, "raw_path": QR.encode(),
            "query_string": b"", "headers": [(b"authorization", b"Bearer one-phone")],
            "client": (f"10.8.{uuid.uuid4().int % 250}.1", 1234), "root_path": "",
        }  # fmt: skip

        async def one() -> None:
            async def send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    statuses.append(message["status"])

            await middleware(dict(scope), no_body, send)

        tasks = [asyncio.create_task(one()) for _ in range(16)]
        for _ in range(3000):  # the excess is answered while the admitted are held
            if len(statuses) == 16 - inside[0] or all(t.done() for t in tasks):
                break
            await asyncio.sleep(0.01)
        admitted = inside[0]
        gate.set()
        await asyncio.gather(*tasks)
        return admitted, statuses

    admitted, statuses = run_alone(burst())
    assert admitted == 4
    assert sorted(statuses) == [200] * 4 + [429] * 12
