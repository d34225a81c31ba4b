"""``python -m bench.surge`` (``make surge``): the surge test, about three minutes.

``healthcode serve --workers 2`` on 127.0.0.1 with its limits on (fair share and
load shedding as configured by default; budgets in Redis when it answers), behind
127.0.0.1 as its trusted proxy, on a fresh PostgreSQL schema (``--db sqlite``: a
fresh SQLite file). The bench process first signs residents in and has them declare
(``bench.http_server.prepare``), and sets up a checkpoint with its guards; then
locust (``bench/surge_users.py``) runs a realistic mix at a steady rate, ten times
that rate, and the steady rate again. The baseline is the steady phase of the
same run.

Reported per phase (to ``var/bench/surge.json`` and as a table): throughput,
p50/p95/p99 and the answers by status. Asserted (exit 1 otherwise):

* no 5xx but the deliberate 503 ``service_busy``, and no request left unanswered;
* the surge was shed: some requests were refused with 429/503 and Retry-After;
* p99 of the admitted code pages and token refreshes under ``CODE_P99_MS`` in
  every phase;
* recovery by itself: in the second half of the last phase, p95 of the code pages
  within ``RECOVERY_RATIO`` × the steady phase's (or ``RECOVERY_SLACK_MS`` above it)
  and nearly nothing refused;
* no lost write: every acknowledged declaration is in the database, confirmed, and
  there are at least as many daily reports as were acknowledged.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import redis
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select

from bench import bench_scans
from bench import http_server as hs
from healthcode.config import Settings
from healthcode.store import tables as t
from healthcode.store.db import make_engine

USERS = 10  # steady; the surge has ten times as many
PER_USER = 0.5  # requests a second each: a phone's page, refreshes, reports, scans
PHASE_SECONDS = 30.0
SESSIONS_PER_USER = 2  # residents taking turns on one user's phone (bench/surge_users.py)
GUARDS = 8
# the bench's few guards stand for every checkpoint's: a larger scan budget each
SCAN_BUDGET = {"scan": "600/minute"}
STARTUP_SECONDS = 180.0
CODE_P99_MS = 2000.0
RECOVERY_RATIO = 2.0
RECOVERY_SLACK_MS = 100.0
RECOVERED_ABOVE = 0.01  # the share of requests refused once recovered, at most
REDIS_URL = os.environ.get("HEALTHCODE_SURGE_REDIS_URL", "redis://127.0.0.1:6379")
OUT = hs.REPO / "var" / "bench" / "surge.json"
CODE_KINDS = ("code_page", "token")
REFUSED = (429, 503)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console(width=160)
    phases = [
        ("steady", args.seconds, args.users),
        ("surge", args.seconds, 10 * args.users),
        ("recovery", args.seconds, args.users),
    ]
    with tempfile.TemporaryDirectory() as tmp, _database(args.db, Path(tmp)) as url:
        residents = _residents(phases)
        console.print(f"surge: {args.db}, preparing {residents} residents and {GUARDS} guards")
        plan = _plan(url, phases, residents, Path(tmp) / "answers.jsonl")
        plan_file = Path(tmp) / "plan.json"
        plan_file.write_text(json.dumps(plan))
        with _server(url, Path(tmp)) as port:
            console.print(f"surge: {' → '.join(f'{n} {u} users' for n, _, u in phases)}")
            _locust(port, plan_file, Path(tmp))
        rows = [json.loads(line) for line in Path(plan["out"]).read_text().splitlines()]
        if not rows:
            raise RuntimeError(f"locust recorded nothing:\n{hs.tail(Path(tmp) / 'locust.log')}")
        writes = _writes_kept(url, rows)
    report = summarise(rows, phases) | {"writes": writes, "database": args.db}
    report["checks"] = checks(report)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(report, indent=2, ensure_ascii=False))
    console.print(_table(report))
    for name, ok in report["checks"].items():
        console.print(f"{'ok  ' if ok else 'FAIL'} {name}")
    console.print(f"wrote {OUT}")
    return 0 if all(report["checks"].values()) else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench.surge", description=__doc__)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--users", type=int, default=USERS, help="steady users")
    parser.add_argument("--seconds", type=float, default=PHASE_SECONDS, help="per phase")
    return parser


@contextlib.contextmanager
def _database(kind: str, directory: Path) -> Iterator[str]:
    if kind == "sqlite":
        yield hs.sqlite_url(directory)
        return
    with hs.postgresql_url() as url:
        if url is None:
            raise SystemExit("PostgreSQL is unavailable; run with --db sqlite")
        yield url


def _residents(phases: list[tuple[str, float, int]]) -> int:
    """Sessions enough that no two users share one: locust numbers its users on, so
    every user the phases start (the steady ones, then the surge's) has its own."""
    return SESSIONS_PER_USER * (phases[0][2] + max(users for _, _, users in phases))


def _plan(url: str, phases: list[tuple[str, float, int]], count: int, out: Path) -> dict[str, Any]:
    residents = hs.prepare(url, declared=count, fresh=0)
    guards, scan_path, scans, _foreign = bench_scans.gate(url, guards=GUARDS)
    return {
        "policy": hs.POLICY,
        "per_user": PER_USER,
        "sessions_per_user": SESSIONS_PER_USER,
        "phases": phases,
        "residents": [
            (token, hs.declaration_body(serial)) for serial, token in enumerate(residents.declared)
        ],
        "guards": guards.split(),
        "scan_path": scan_path,
        "scan_bodies": [json.loads(body) for body in scans],
        "out": str(out),
    }


@contextlib.contextmanager
def _server(url: str, directory: Path) -> Iterator[int]:
    """``healthcode serve --workers 2``, trusting 127.0.0.1 as its load balancer."""
    port, log = hs.free_port(), directory / "server.log"
    environment = hs.server_environment(url) | {"HEALTHCODE_RATE_LIMITS": "true"}
    environment["HEALTHCODE_SESSION_LIMITS"] = json.dumps(_session_limits())
    if _redis_answers():
        environment["HEALTHCODE_REDIS_URL"] = REDIS_URL
    command = [sys.executable, "-m", "healthcode", "serve", "--workers", "2"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--proxy", "127.0.0.1"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, env=environment, cwd=hs.REPO, stdout=output, stderr=output
        )
    server = hs.Server("surge", port, process, log)
    hs.STARTUP_SECONDS = STARTUP_SECONDS  # two workers start slowly on a busy machine
    try:
        hs.wait_ready(server)
        yield port
    finally:
        hs.stop(server)


def _session_limits() -> dict[str, str]:
    defaults: dict[str, str] = Settings.model_fields["session_limits"].default
    return defaults | SCAN_BUDGET


def _redis_answers() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        print(f"  surge: no Redis at {REDIS_URL}: each worker counts budgets on its own")
        return False


def _locust(port: int, plan: Path, directory: Path) -> None:
    command = [sys.executable, "-m", "locust", "-f", str(hs.REPO / "bench" / "surge_users.py")]
    command += ["--headless", "--host", f"http://127.0.0.1:{port}", "--only-summary"]
    command += ["--loglevel", "WARNING", "--stop-timeout", "5"]
    log = directory / "locust.log"
    with log.open("wb") as output:
        done = subprocess.run(
            command, env=os.environ | {"SURGE_PLAN": str(plan)}, stdout=output, stderr=output
        )
    if done.returncode not in (0, 1):  # 1: locust counted failures, judged here instead
        raise RuntimeError(f"locust failed:\n{hs.tail(log)}")


def _writes_kept(url: str, rows: list[list[Any]]) -> dict[str, int]:
    declared = {row[4] for row in rows if row[1] == "declare_ack"}
    reports = sum(1 for row in rows if row[1] == "report_ack")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            found = set()
            ids = list(declared)
            for start in range(0, len(ids), 500):
                chunk = [_uuid(i) for i in ids[start : start + 500]]
                query = select(t.Declaration.id).where(
                    t.Declaration.id.in_(chunk), t.Declaration.confirmed_at.is_not(None)
                )
                found |= {str(i) for i in connection.scalars(query)}
            stored_reports = connection.scalar(select(func.count()).select_from(t.DailyReport))
    finally:
        engine.dispose()
    return {
        "declarations_acknowledged": len(declared),
        "declarations_missing": len(declared - found),
        "reports_acknowledged": reports,
        "reports_stored": int(stored_reports or 0),
    }


def _uuid(text: str) -> Any:
    import uuid

    return uuid.UUID(text)


# --- the report -----------------------------------------------------------------------


def summarise(rows: list[list[Any]], phases: list[tuple[str, float, int]]) -> dict[str, Any]:
    """Per phase (and the recovery's second half): rates, latencies, statuses."""
    bounds, start = [], 0.0
    for name, seconds, users in phases:
        bounds.append((name, start, start + seconds, users))
        start += seconds
    _, begin, end, users = bounds[-1]
    windows = [*bounds, ("recovered", (begin + end) / 2, end, users)]
    answers = [row for row in rows if not row[1].endswith("_ack")]
    return {
        "phases": {
            name: _phase([r for r in answers if begin <= r[0] < end], end - begin, users)
            for name, begin, end, users in windows
        }
    }


def _phase(rows: list[list[Any]], seconds: float, users: int) -> dict[str, Any]:
    statuses = Counter(str(r[2]) for r in rows)
    codes = Counter(f"{r[2]} {r[4]}" for r in rows if r[2] >= 400 or r[2] == 0)
    admitted_code = [r[3] for r in rows if r[1] in CODE_KINDS and 200 <= r[2] < 300]
    admitted = [r[3] for r in rows if 200 <= r[2] < 300]
    refused = sum(1 for r in rows if r[2] in REFUSED)
    return {
        "seconds": seconds,
        "users": users,
        "offered_per_second": round(users * PER_USER, 1),
        "answered_per_second": round(len(rows) / seconds, 1),
        "admitted_per_second": round(len(admitted) / seconds, 1),
        "refused_share": round(refused / len(rows), 4) if rows else 0.0,
        "latency_ms": _percentiles(admitted),
        "code_latency_ms": _percentiles(admitted_code),
        "statuses": dict(sorted(statuses.items())),
        "errors": dict(sorted(codes.items())),
        "by_kind": {
            kind: _percentiles([r[3] for r in rows if r[1] == kind and 200 <= r[2] < 300])
            | {"refused": sum(1 for r in rows if r[1] == kind and r[2] in REFUSED)}
            for kind in sorted({r[1] for r in rows})
        },
    }


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def at(share: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(share * len(ordered)))], 1)

    return {"n": len(ordered), "p50": at(0.50), "p95": at(0.95), "p99": at(0.99)}


def checks(report: dict[str, Any]) -> dict[str, bool]:
    phases, writes = report["phases"], report["writes"]
    steady, recovered = phases["steady"], phases["recovered"]
    errors = Counter()  # type: Counter[str]
    for phase in phases.values():
        errors.update(phase["errors"])
    bad = [e for e in errors if e.startswith(("5", "0")) and e != "503 service_busy"]
    steady_p95 = steady["code_latency_ms"].get("p95", 0.0)
    recovered_p95 = recovered["code_latency_ms"].get("p95", float("inf"))
    return {
        "no 5xx but deliberate 503 service_busy, none unanswered": not bad,
        "the surge was shed (429/503 with Retry-After)": phases["surge"]["refused_share"] > 0,
        f"p99 of admitted code pages under {CODE_P99_MS:.0f} ms in every phase": all(
            p["code_latency_ms"].get("p99", 0.0) <= CODE_P99_MS for p in phases.values()
        ),
        "recovered: code p95 back to the steady phase's": recovered_p95
        <= max(RECOVERY_RATIO * steady_p95, steady_p95 + RECOVERY_SLACK_MS),
        f"recovered: at most {RECOVERED_ABOVE:.0%} refused": recovered["refused_share"]
        <= RECOVERED_ABOVE,
        "no lost write (declarations)": writes["declarations_missing"] == 0,
        "no lost write (daily reports)": writes["reports_stored"] >= writes["reports_acknowledged"],
    }


def _table(report: dict[str, Any]) -> Table:
    table = Table(title=f"surge ({report['database']}, healthcode serve --workers 2)")
    for column in ("phase", "users", "offered/s", "answered/s", "2xx/s", "refused"):
        table.add_column(column, justify="right")
    for column in ("p50 ms", "p95 ms", "p99 ms", "code p99 ms", "errors"):
        table.add_column(column, justify="right")
    for name, p in report["phases"].items():
        latency, code = p["latency_ms"], p["code_latency_ms"]
        table.add_row(
            name, str(p["users"]), str(p["offered_per_second"]), str(p["answered_per_second"]),
            str(p["admitted_per_second"]), f"{p['refused_share']:.1%}",
            str(latency.get("p50", "-")), str(latency.get("p95", "-")),
            str(latency.get("p99", "-")), str(code.get("p99", "-")),
            ", ".join(f"{k}: {v}" for k, v in p["errors"].items()) or "-",
        )  # fmt: skip
    return table


if __name__ == "__main__":
    sys.exit(main())
