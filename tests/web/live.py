"""A live server for browser tests and screenshots: the real app under uvicorn.

The app (``create_app``) runs in a background thread on a free port, on a fresh
SQLite file (or a database of the caller's), with a clock the test moves by hand
and an SMS sender that keeps the one-time codes instead of sending them.
"""

from __future__ import annotations

import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Engine

from healthcode.app import create_app
from healthcode.config import Settings
from healthcode.domain.clock import TZ, FixedClock
from healthcode.store.db import make_engine, session_factory
from healthcode.store.migrate import upgrade

START = datetime(2020, 2, 23, 9, 0, tzinfo=TZ)  # the day seed 003 was issued


@dataclass
class CapturingSender:
    """Keeps the one-time codes the app would have sent by SMS."""

    sent: dict[str, str] = field(default_factory=dict)

    def send(self, phone: str, code: str) -> None:
        self.sent[phone] = code


@dataclass
class LiveServer:
    url: str
    app: FastAPI
    clock: FixedClock
    sms: CapturingSender
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def test_settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="web-test-secret-key-not-for-production",
        display_token_seconds=15,
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        rate_limits=False,
        scheduler=False,
        blob_dir=tempfile.mkdtemp(prefix="healthcode-blobs-"),  # uploaded videos
    )


def start(directory: Path, *, at: datetime = START) -> LiveServer:
    engine = make_engine(f"sqlite:///{directory / 'web.db'}")
    upgrade(engine)
    return start_on(engine, at=at)


def start_on(engine: Engine, *, at: datetime = START, **settings: Any) -> LiveServer:
    """The app on a migrated database of the caller's, served by uvicorn; ``settings``
    override the tests' own."""
    clock, sms = FixedClock(at), CapturingSender()
    url = engine.url.render_as_string(hide_password=False)
    own = test_settings(url).model_copy(update=settings)
    app = create_app(own, clock=clock, sessions=session_factory(engine), otp_sender=sms)
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, log_level="warning", access_log=False, lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="live-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the live server did not start")
        time.sleep(0.02)
    port = server.servers[0].sockets[0].getsockname()[1]
    return LiveServer(f"http://127.0.0.1:{port}", app, clock, sms, server, thread)
