"""The real app behind uvicorn in a subprocess, on a fresh SQLite file or PostgreSQL schema.

The bench process prepares each database itself: it migrates it, creates the first
signing key, and signs residents in through the same services the API uses (the
one-time code goes to an in-memory outbox instead of an SMS), so the server under
load does nothing but answer the requests being measured.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from healthcode.config import Settings
from healthcode.domain.clock import SystemClock
from healthcode.logs import quiet_logs
from healthcode.services.accounts import login as accounts
from healthcode.services.accounts.sessions import authenticate
from healthcode.services.residents import declarations
from healthcode.services.residents.inputs import DeclarationInput
from healthcode.services.shared.env import Env, make_env
from healthcode.services.shared.keys import ensure_signing_key
from healthcode.store import partitions
from healthcode.store.db import make_engine, session_factory
from healthcode.store.migrate import upgrade
from healthcode.store.uow import UnitOfWorkFactory

PG_URL = os.environ.get("HEALTHCODE_BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
SECRET_KEY = "bench-only-secret-key-never-used-outside-the-benchmark-0123456789"
POLICY = "binzhou-code"
REGION = "371602"  # 滨州市滨城区
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643-1999
ID_CHECK = "10X98765432"
STARTUP_SECONDS = 60.0
SMS_BUDGET = 1_000_000
REPO = Path(__file__).resolve().parent.parent


def bench_settings(database_url: str) -> Settings:
    """The server's settings: no limiter-based limits, SMS budgets above the thousands
    of sign-ins a run makes from one address, no scheduler, a fixed key."""
    return Settings(
        database_url=database_url,
        secret_key=SECRET_KEY,
        rate_limits=False,
        scheduler=False,
        otp_per_client_hour=SMS_BUDGET,
        sms_per_hour=SMS_BUDGET,
    )


def server_environment(database_url: str) -> dict[str, str]:
    """The same settings as ``bench_settings``, as HEALTHCODE_* variables."""
    return os.environ | {
        "HEALTHCODE_DATABASE_URL": database_url,
        "HEALTHCODE_SECRET_KEY": SECRET_KEY,
        "HEALTHCODE_RATE_LIMITS": "false",
        "HEALTHCODE_SCHEDULER": "false",
        "HEALTHCODE_OTP_PER_CLIENT_HOUR": str(SMS_BUDGET),
        "HEALTHCODE_SMS_PER_HOUR": str(SMS_BUDGET),
    }


# --- databases ------------------------------------------------------------------------


def sqlite_url(directory: Path) -> str:
    return f"sqlite:///{directory / 'bench.db'}"


@contextlib.contextmanager
def postgresql_url() -> Iterator[str | None]:
    """A fresh schema in the PostgreSQL database at PG_URL, dropped afterwards;
    None (with the reason printed) when the server cannot be reached."""
    schema = f"bench_{os.getpid()}"
    admin = _admin(schema)
    if admin is None:
        yield None
        return
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options=-csearch_path%3D{schema}"
    finally:
        _execute(admin, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        admin.dispose()


def _admin(schema: str) -> Engine | None:
    """An engine on PG_URL, once ``schema`` is (re)created in it; None if impossible."""
    if not PG_URL:
        progress("PostgreSQL: HEALTHCODE_BENCH_PG_URL is empty; skipping its rows")
        return None
    admin = make_engine(PG_URL, pool_size=1, connect_args={"connect_timeout": 3})
    try:
        _execute(admin, f'DROP SCHEMA IF EXISTS "{schema}" CASCADE', f'CREATE SCHEMA "{schema}"')
    except Exception as error:  # any failure here means: no usable PostgreSQL
        admin.dispose()
        progress(f"PostgreSQL unavailable at {PG_URL} ({type(error).__name__}); skipping its rows")
        return None
    return admin


def _execute(engine: Engine, *statements: str) -> None:
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement))


# --- residents ------------------------------------------------------------------------


@dataclass(frozen=True)
class Residents:
    """Signed-in residents: ``declared`` have a code; ``fresh`` have not declared yet
    and each comes with a valid declaration body of its own (a unique ID number)."""

    declared: tuple[str, ...]  # session tokens
    fresh: tuple[tuple[str, bytes], ...]  # (session token, JSON declaration body)


class Outbox:
    """The OTP sender for the bench process: keeps the codes it is asked to text."""

    def __init__(self) -> None:
        self.codes: dict[str, str] = {}

    def send(self, phone: str, code: str) -> None:
        self.codes[phone] = code


def id_number(serial: int, born: date = date(1960, 1, 1)) -> str:
    """A valid GB 11643 ID number, different for every ``serial`` below ~20 million."""
    birth = born + timedelta(days=serial // 999)
    body = f"{REGION}{birth:%Y%m%d}{serial % 999 + 1:03d}"
    return body + ID_CHECK[sum(int(d) * w for d, w in zip(body, ID_WEIGHTS, strict=True)) % 11]


def declaration_body(serial: int) -> dict[str, Any]:
    return {
        "policy": POLICY,
        "name": "张三",
        "id_number": id_number(serial),
        "region": REGION,
        "address": "黄河五路 1 号",
        "temperature": 36.5,
        "pledge": True,
    }


def prepare(database_url: str, *, declared: int, fresh: int) -> Residents:
    """Migrate the database, give it the monthly partitions a deployment keeps, create
    the first signing key and sign residents in; the ``declared`` ones declare and
    confirm, so they have a code to fetch."""
    engine = make_engine(database_url)
    try:
        upgrade(engine)
        settings = bench_settings(database_url)
        _kept_months(engine, settings)
        outbox = Outbox()
        env = make_env(settings, SystemClock(), outbox)
        units = UnitOfWorkFactory(session_factory(engine))
        with units() as uow:
            ensure_signing_key(uow, env.protector, now=env.clock.now())
        with quiet_logs():
            tokens = _sign_in(units, env, outbox, declared + fresh)
            _declare(units, env, tokens[:declared])
    finally:
        engine.dispose()
    bodies = (_json(declaration_body(declared + i)) for i in range(fresh))
    return Residents(tuple(tokens[:declared]), tuple(zip(tokens[declared:], bodies, strict=True)))


def _kept_months(engine: Engine, settings: Settings) -> None:
    """The partitions of scans and daily reports a deployment holds after its first
    ``retention_days`` (eight months with the defaults), not the fresh database's few:
    how many there are decides how PostgreSQL plans the statements that read them."""
    today = date.today()
    with engine.begin() as connection:
        partitions.ensure(
            connection, today=today, ahead=settings.partition_months_ahead,
            since=today - timedelta(days=settings.retention_days),
        )  # fmt: skip


def _sign_in(units: UnitOfWorkFactory, env: Env, outbox: Outbox, count: int) -> list[str]:
    """The API's own login flow, in bulk: one transaction for the codes, one for the logins."""
    phones = [f"138{serial:08d}" for serial in range(count)]
    with units() as uow:
        for phone in phones:
            accounts.request_login_code(uow, env, phone=phone, client="bench")
    with units() as uow:
        return [
            accounts.verify_login_code(
                uow, env, phone=phone, code=outbox.codes[phone], client="bench", user_agent="bench"
            ).token
            for phone in phones
        ]


def _declare(units: UnitOfWorkFactory, env: Env, tokens: Sequence[str]) -> None:
    with units() as uow:
        for serial, token in enumerate(tokens):
            principal = authenticate(uow, env, token=token)
            account = uow.accounts.by_id(principal.account_id) if principal else None
            assert account is not None
            data = DeclarationInput.model_validate(declaration_body(serial))
            row = declarations.submit_declaration(
                uow, env, account_id=account.id, data=data
            ).declaration
            declarations.confirm_declaration(uow, env, account_id=account.id, declaration_id=row.id)


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode()


# --- the server -----------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    name: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path


@contextlib.contextmanager
def serve(
    name: str, database_url: str, log_dir: Path, extra: dict[str, str] | None = None
) -> Iterator[Server]:
    """uvicorn with one worker (uvloop, httptools) on a free port, pinned away from
    this process's core when there is another one; stopped on exit. ``extra``: more
    HEALTHCODE_* settings (e.g. the colour cache off)."""
    port, log = free_port(), log_dir / f"server-{name}.log"
    command = [sys.executable, "-m", "uvicorn", "healthcode.app:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    command += ["--loop", "uvloop", "--http", "httptools", "--no-access-log"]
    command += ["--log-level", "warning", "--timeout-keep-alive", "600"]
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            env=server_environment(database_url) | (extra or {}),
            cwd=REPO,
            stdout=output,
            stderr=output,
        )
    server = Server(name, port, process, log)
    try:
        pin_away(process.pid)
        wait_ready(server)
        yield server
    finally:
        stop(server)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def server_cores() -> set[int]:
    """Every core but the one this (pinned) process runs on; empty if there is none."""
    if not hasattr(os, "sched_getaffinity"):
        return set()
    return set(range(os.cpu_count() or 1)) - os.sched_getaffinity(0)


def pin_away(pid: int) -> None:
    cores = server_cores()
    if cores:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(pid, cores)


def wait_ready(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"the {server.name} server exited:\n{tail(server.log)}")
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
        with (
            contextlib.suppress(OSError, http.client.HTTPException),
            contextlib.closing(connection),
        ):
            connection.request("GET", "/api/v1/health")
            if connection.getresponse().status == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"the {server.name} server did not start:\n{tail(server.log)}")


def stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.send_signal(signal.SIGINT)
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()


def tail(log: Path, lines: int = 30) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def progress(message: str) -> None:
    print(f"  http: {message}", flush=True)
