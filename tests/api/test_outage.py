"""A database outage is a 503 with Retry-After, and the client's connection survives.

Real failures on a real uvicorn server: PostgreSQL behind a port the test closes
(connection refused), a backend killed with ``pg_terminate_backend``, and SQLite
past its ``max_page_count`` ("database or disk is full"). After each, the same
HTTP connection carries the next request, which succeeds once the database is back.
"""

from __future__ import annotations

import os
import socket
import sqlite3
import threading
import time
import uuid
from contextlib import closing, suppress
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import Engine, event, text
from sqlalchemy.exc import DBAPIError

from healthcode.services.shared import keys
from healthcode.store.db import make_engine
from healthcode.store.migrate import upgrade
from healthcode.store.outage import DATABASE_ERRORS, outage_reason
from tests.api.live_db import pg_engine, serve, sign_in
from tests.conftest import PG_URL
from tests.factories.inputs import declaration_data
from tests.web.live import LiveServer


@pytest.fixture
def community() -> uuid.UUID:
    """No test community here: these tests fill the disk and lock the file themselves."""
    return uuid.uuid4()


class Gate:
    """A TCP port in front of PostgreSQL that the test shuts and opens: shut, a
    connect is refused and open connections are cut, as when the server is down."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self._listener: socket.socket | None = None
        self._open: list[socket.socket] = []

    def open(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._accept, args=(self._listener,), daemon=True).start()

    def shut(self) -> None:
        assert self._listener is not None
        for sock in [self._listener, *self._open]:
            with suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        self._listener, self._open = None, []

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(self.target)
            self._open += [client, upstream]
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(a, b), daemon=True).start()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            sink.sendall(data)
    except OSError:
        pass
    for sock in (source, sink):
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def local_port(response: httpx.Response) -> int:
    """Which client socket carried the response: the same port, the same connection."""
    stream: Any = response.extensions["network_stream"]
    port: int = stream.get_extra_info("client_addr")[1]
    return port


def assert_unavailable(response: httpx.Response, *, lang: str = "zh") -> None:
    assert response.status_code == 503, response.text
    assert int(response.headers["retry-after"]) > 0
    error = response.json()["error"]
    assert error["code"] == "service_unavailable"
    assert ("稍后" in error["message"]) == (lang == "zh")


def assert_one_quiet_line(captured: str, count: int) -> None:
    assert captured.count("database.unavailable") == count, captured
    assert "Traceback" not in captured
    assert "Exception in ASGI application" not in captured


class TestPostgresOutage:
    def test_connection_refused_then_back_on_the_same_connection(
        self, pg_schema: str, served: list[LiveServer], capfd: pytest.CaptureFixture[str]
    ) -> None:
        gate = Gate(("127.0.0.1", make_engine(PG_URL).url.port or 5432))
        gate.open()
        url = make_engine(PG_URL).url.set(host="127.0.0.1", port=gate.port)
        server, client = serve(pg_engine(url.render_as_string(False), pg_schema), served)
        me = sign_in(client, server)
        capfd.readouterr()
        gate.shut()
        down = client.get("/api/v1/me", headers=me)
        assert_unavailable(down)
        english = client.get("/api/v1/me?lang=en", headers=me)
        assert_unavailable(english, lang="en")
        assert "try again" in english.json()["error"]["message"]
        page = client.get(
            "/codes/binzhou-code",
            headers={"Accept": "text/html", "Cookie": "hc_session=some-session-token"},
        )
        assert page.status_code == 503
        assert "text/html" in page.headers["content-type"]
        assert page.headers["retry-after"]
        gate.open()
        back = client.get("/api/v1/me", headers=me)
        assert back.status_code == 200, back.text
        assert local_port(back) == local_port(down) == local_port(page)
        assert_one_quiet_line(capfd.readouterr().err, 3)

    def test_a_terminated_backend_mid_request(
        self, pg_schema: str, served: list[LiveServer], capfd: pytest.CaptureFixture[str]
    ) -> None:
        engine = pg_engine(PG_URL, pg_schema)
        server, client = serve(engine, served)
        me = sign_in(client, server)
        admin = make_engine(PG_URL, pool_size=1)
        armed = [True]

        @event.listens_for(engine, "before_cursor_execute")
        def _terminate(conn: Any, *_args: object) -> None:
            if armed:
                armed.clear()
                pid = conn.connection.dbapi_connection.info.backend_pid
                with admin.begin() as other:
                    other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

        capfd.readouterr()
        data = declaration_data()
        down = client.post("/api/v1/declarations", json=data, headers=me)
        assert_unavailable(down)
        again = client.post("/api/v1/declarations", json=data, headers=me)
        assert again.status_code == 201, again.text
        assert local_port(again) == local_port(down)
        assert_one_quiet_line(capfd.readouterr().err, 1)
        admin.dispose()

    def test_connections_ended_while_idle_are_replaced_unnoticed(
        self, pg_schema: str, served: list[LiveServer], capfd: pytest.CaptureFixture[str]
    ) -> None:
        """Between two requests the server ends every pooled connection (a restart, an
        administrator): the next request is served on fresh ones, no error shown."""
        engine = pg_engine(PG_URL, pg_schema)
        backends: list[int] = []

        @event.listens_for(engine, "connect")
        def _remember(dbapi_connection: Any, _record: Any) -> None:
            backends.append(dbapi_connection.info.backend_pid)

        server, client = serve(engine, served)
        me = sign_in(client, server)
        first = client.post("/api/v1/declarations", json=declaration_data(), headers=me)
        assert first.status_code == 201, first.text
        admin = make_engine(PG_URL, pool_size=1)
        with admin.begin() as other:
            for pid in backends:  # waits until each has ended
                other.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        admin.dispose()
        capfd.readouterr()
        again = client.post("/api/v1/declarations", json=declaration_data(), headers=me)
        assert again.status_code == 201, again.text
        assert len(backends) > 1  # connected afresh
        assert_one_quiet_line(capfd.readouterr().err, 0)


class TestSqliteDiskFull:
    def test_a_full_database_then_room_again(
        self,
        tmp_path: Path,
        served: list[LiveServer],
        capfd: pytest.CaptureFixture[str],
    ) -> None:
        path = tmp_path / "small.db"
        with closing(sqlite3.connect(path)) as db:  # small pages: a declaration needs new ones
            db.executescript("PRAGMA page_size = 512; CREATE TABLE t (a); DROP TABLE t;")
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        with closing(sqlite3.connect(path)) as db:  # no free pages left by table rebuilds
            db.execute("VACUUM")
        limit = [1 << 30]

        @event.listens_for(engine, "checkout")
        def _limit(dbapi_connection: Any, *_args: object) -> None:
            dbapi_connection.execute(f"PRAGMA max_page_count = {limit[0]}")

        server, client = serve(engine, served)
        me = sign_in(client, server)
        capfd.readouterr()
        limit[0] = 1  # SQLite raises it to the current size: no page may be added
        data = declaration_data(address="黄河五路 1 号" * 20)
        full = client.post("/api/v1/declarations", json=data, headers=me)
        assert_unavailable(full)
        limit[0] = 1 << 30
        again = client.post("/api/v1/declarations", json=data, headers=me)
        assert again.status_code == 201, again.text
        assert local_port(again) == local_port(full)
        assert_one_quiet_line(capfd.readouterr().err, 1)


class TestSqliteWriterElsewhere:
    def test_code_pages_are_served_while_another_process_holds_the_write_lock(
        self, tmp_path: Path, served: list[LiveServer]
    ) -> None:
        """An import or the rollover in another process holds SQLite's write lock. Once
        this process's key ring copy was old, every token waited for the lock to reload
        it, and answered 503 after 5 s (found from outside, stop 30)."""
        path = tmp_path / "hc.db"
        engine = make_engine(f"sqlite:///{path}")
        upgrade(engine)
        server, client = serve(engine, served)
        me = sign_in(client, server)
        data = declaration_data()
        submitted = client.post("/api/v1/declarations", json=data, headers=me)
        confirmed = client.post(
            f"/api/v1/declarations/{submitted.json()['id']}/confirm", headers=me
        )
        assert confirmed.status_code == 200, confirmed.text
        url = f"/api/v1/codes/{data['policy']}/token"
        assert client.get(url, headers=me).status_code == 200
        with closing(sqlite3.connect(path, isolation_level=None)) as other:
            other.execute("BEGIN IMMEDIATE")
            time.sleep(keys.CACHE_SECONDS + 0.2)  # this process's copy of the keys is old
            started = time.monotonic()
            shown = client.get(url, headers=me)
            took = time.monotonic() - started
            other.execute("ROLLBACK")
        assert shown.status_code == 200, shown.text
        assert took < 1.0


class TestWhichErrorsAreAnOutage:
    def test_too_many_connections(self, postgresql_engine: Engine) -> None:
        role = f"hc_full_{os.getpid()}"
        with postgresql_engine.begin() as conn:
            conn.execute(text(f"CREATE ROLE {role} LOGIN CONNECTION LIMIT 0"))
        limited = make_engine(make_engine(PG_URL).url.set(username=role).render_as_string())
        try:
            with pytest.raises(DBAPIError) as refused:
                limited.connect()
            assert outage_reason(refused.value) == "too_many_connections"
        finally:
            limited.dispose()
            with postgresql_engine.begin() as conn:
                conn.execute(text(f"DROP ROLE {role}"))

    @pytest.mark.parametrize(
        ("state", "reason"), [("40P01", "deadlock"), ("40001", "serialization_failure")]
    )
    def test_a_transaction_aborted_to_break_a_conflict_is_tried_again(
        self, postgresql_engine: Engine, state: str, reason: str
    ) -> None:
        """A deadlock's victim, through SQLAlchemy or straight from the driver (an
        import's COPY): answered 503 with Retry-After, not a crash."""
        statement = f"DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '{state}'; END $$"
        with postgresql_engine.connect() as conn:
            with pytest.raises(DBAPIError) as wrapped:
                conn.execute(text(statement))
            conn.rollback()
            raw = conn.connection.driver_connection
            with pytest.raises(psycopg.Error) as driver, raw.cursor() as cursor:  # type: ignore[union-attr]
                cursor.execute(statement)
            conn.rollback()
        assert outage_reason(wrapped.value) == reason
        assert outage_reason(driver.value) == reason
        assert isinstance(driver.value, DATABASE_ERRORS)

    def test_a_bug_is_not_an_outage(self, sqlite_engine: Engine) -> None:
        with pytest.raises(DBAPIError) as failed, sqlite_engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table"))
        assert outage_reason(failed.value) is None
