"""The colour watch, held open on a live server, ends once its session no longer
admits: it authenticated once and then told a signed-out phone (or a disabled
account's) every change of the colour for up to an hour (an outside probe)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import httpx
from sqlalchemy import Engine, update

from healthcode.store import tables as t
from tests.api.helpers import declare, report
from tests.api.live_db import serve, sign_in
from tests.factories.inputs import declaration_data
from tests.web.live import LiveServer

WATCH = "/api/v1/codes/binzhou-code/watch"
HOLD = 60  # seconds: far longer than the test may wait for the end


@contextmanager
def watching(client: httpx.Client, me: dict[str, str]) -> Iterator[Iterator[str]]:
    """The watch of a green code, opened and being served: its lines from then on."""
    query: dict[str, str | int] = {"colour": "green", "hold": HOLD}
    with client.stream("GET", WATCH, params=query, headers=me) as stream:
        assert stream.status_code == 200
        lines = stream.iter_lines()
        assert next(lines) == "retry: 3600000"
        yield lines


def rest_of(lines: Iterator[str]) -> tuple[str, float]:
    """What the stream still sends, and how long it took to end."""
    started = time.monotonic()
    text = "\n".join(lines)
    return text, time.monotonic() - started


def two_sessions(client: httpx.Client, server: LiveServer) -> tuple[dict[str, str], ...]:
    """One phone's code watched by one session, changed through another."""
    first = sign_in(client, server)
    declare(client, first, declaration_data())  # type: ignore[arg-type]
    server.clock.advance(timedelta(minutes=2))  # past the next code's cooldown
    return first, sign_in(client, server)


def test_a_logout_ends_the_watch_without_the_next_colour(
    live_engine: Engine, served: list[LiveServer]
) -> None:
    server, client = serve(live_engine, served, colour_watch_seconds=0.1)
    watched, other = two_sessions(client, server)
    with watching(client, watched) as lines:
        assert client.post("/api/v1/auth/logout", headers=watched).status_code == 204
        changed = report(client, other, "binzhou-code", temperature=38.6)  # type: ignore[arg-type]
        assert changed.json()["colour"] == "yellow"
        text, took = rest_of(lines)
    assert "event: colour" not in text
    assert "yellow" not in text
    assert "event: renew" not in text  # ended at a tick, not at the end of its hold
    assert took < 10
    refused = client.get(WATCH, params={"colour": "green"}, headers=watched)
    assert refused.status_code == 401  # and it cannot be opened again


def test_a_disabled_account_ends_the_watch(live_engine: Engine, served: list[LiveServer]) -> None:
    server, client = serve(live_engine, served, colour_watch_seconds=0.1)
    me = sign_in(client, server)
    declare(client, me, declaration_data())  # type: ignore[arg-type]
    account = client.get("/api/v1/me", headers=me).json()["id"]
    with watching(client, me) as lines:
        with live_engine.begin() as connection:
            connection.execute(
                update(t.Account)
                .where(t.Account.id == uuid.UUID(account))
                .values(disabled_at=server.clock.now())
            )
        text, took = rest_of(lines)
    assert "event:" not in text
    assert took < 10


def test_a_watch_still_tells_the_change(live_engine: Engine, served: list[LiveServer]) -> None:
    server, client = serve(live_engine, served, colour_watch_seconds=0.1)
    watched, other = two_sessions(client, server)
    with watching(client, watched) as lines:
        report(client, other, "binzhou-code", temperature=38.6)  # type: ignore[arg-type]
        text, _ = rest_of(lines)
    assert "event: colour\ndata: yellow" in text
