"""The surge test's traffic, as a locustfile (run by ``bench/surge.py``, never imported
by the bench itself: importing locust patches the standard library for gevent).

Every user is a phone of its own (its own address, sent as X-Forwarded-For to a
server that trusts 127.0.0.1 as its load balancer) on which signed-in residents take
turns (one resident alone at this rate would ask for a code about 20 times a minute,
the display budget a session rightly has), at a constant rate: the code page, token
refreshes, the QR image, daily reports, a new declaration now and then, and a
checkpoint's scan of a resident's code. A refused request (429, 503) is retried no
sooner than its Retry-After, as the pages do. The load shape is the plan's phases:
steady, ten times the users, steady again.

Every answer is written to the plan's ``out`` file, one JSON line each:
``[seconds since start, kind, status, milliseconds, error code or declaration id]``.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from pathlib import Path
from typing import Any

from locust import FastHttpUser, LoadTestShape, constant_throughput, events, task

PLAN: dict[str, Any] = json.loads(Path(os.environ["SURGE_PLAN"]).read_text(encoding="utf-8"))
POLICY = PLAN["policy"]
START = time.time()
_users = itertools.count()
_out = open(PLAN["out"], "w", encoding="utf-8")  # noqa: SIM115 - open for the whole run


def record(kind: str, status: int, started: float, note: str = "") -> None:
    elapsed = time.time() - START
    row = [round(elapsed, 3), kind, status, round((time.time() - started) * 1000, 2), note]
    _out.write(json.dumps(row) + "\n")


@events.quitting.add_listener  # type: ignore[untyped-decorator]
def _close(**_: Any) -> None:
    _out.flush()


class Resident(FastHttpUser):
    wait_time = constant_throughput(PLAN["per_user"])
    network_timeout = 30.0
    connection_timeout = 10.0

    def on_start(self) -> None:
        n = next(_users)
        residents = PLAN["residents"]
        each = PLAN["sessions_per_user"]
        self.sessions = itertools.cycle(residents[each * n : each * (n + 1)] or residents)
        guards = PLAN["guards"]
        self.guard = guards[n % len(guards)]
        self.address = f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"
        self.scans = PLAN["scan_bodies"]

    def _call(self, kind: str, method: str, path: str, **options: Any) -> Any:
        headers = {"X-Forwarded-For": self.address, **options.pop("headers", {})}
        started = time.time()
        with self.client.request(
            method, path, name=kind, headers=headers, catch_response=True, **options
        ) as response:
            status = response.status_code or 0
            note = ""
            if status >= 400 or status == 0:
                note = _error_code(response)
                response.success()  # judged by bench/surge.py, phase by phase
            record(kind, status, started, note)
            if status in (429, 503):
                retry = int(_header(response, "Retry-After") or 1)
                time.sleep(min(retry, 10))  # gevent.sleep: locust patches time
            return response if 200 <= status < 300 else None

    def _bearer(self, token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    def _token(self) -> str:
        """The next resident's turn."""
        return str(next(self.sessions)[0])

    @task(5)
    def code_page(self) -> None:
        headers = {"Cookie": f"hc_session={self._token()}", "Accept": "text/html"}
        self._call("code_page", "GET", f"/codes/{POLICY}", headers=headers)

    @task(5)
    def token_refresh(self) -> None:
        path = f"/api/v1/codes/{POLICY}/token"
        self._call("token", "GET", path, headers=self._bearer(self._token()))

    @task(2)
    def qr_image(self) -> None:
        path = f"/api/v1/codes/{POLICY}/qr.png"
        self._call("qr", "GET", path, headers=self._bearer(self._token()))

    @task(2)
    def daily_report(self) -> None:
        path = f"/api/v1/codes/{POLICY}/reports"
        body = {"temperature": 36.5}
        done = self._call("report", "POST", path, headers=self._bearer(self._token()), json=body)
        if done is not None:
            record("report_ack", 200, time.time())

    @task(1)
    def declaration(self) -> None:
        token, body = next(self.sessions)
        headers = self._bearer(token)
        submitted = self._call("declare", "POST", "/api/v1/declarations", headers=headers,
                               json=body)  # fmt: skip
        if submitted is None:
            return
        declaration_id = submitted.json()["id"]
        confirm = f"/api/v1/declarations/{declaration_id}/confirm"
        if self._call("confirm", "POST", confirm, headers=headers) is not None:
            record("declare_ack", 200, time.time(), declaration_id)

    @task(3)
    def scan(self) -> None:
        body = self.scans[int(time.time() * 1000) % len(self.scans)]
        headers = self._bearer(self.guard)
        self._call("scan", "POST", PLAN["scan_path"], headers=headers, json=body)


def _header(response: Any, name: str) -> str | None:
    headers = response.headers or {}
    found = headers.get(name) or headers.get(name.lower())
    return str(found) if found else None


KNOWN = ("service_busy", "rate_limited", "service_unavailable", "internal_error")


def _error_code(response: Any) -> str:
    """The refusal's stable code: the JSON's, or the one an error page names."""
    if not response.text:
        return str(response.error or "no answer")[:80]
    try:
        return str(response.json()["error"]["code"])
    except (ValueError, KeyError, TypeError):
        return next((code for code in KNOWN if code in response.text), "html")


class Surge(LoadTestShape):
    """Steady, then ten times the users at once, then steady again."""

    def tick(self) -> tuple[int, float] | None:
        elapsed: float = self.get_run_time()  # type: ignore[no-untyped-call]
        for _name, seconds, users in PLAN["phases"]:
            if elapsed < seconds:
                return users, max(users, 50)
            elapsed -= seconds
        return None
