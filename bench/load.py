"""The load generator: client processes, each with one keep-alive connection per server.

The bench process drives them in bursts: ``Load.add`` gives every client its share
of a job and returns a callable that makes each client do ``per_burst`` units of it
concurrently and waits for all of them. That callable is what ``bench.core.rates``
times, so HTTP candidates get the same warm-up, interleaved rounds and best-of as
every other benchmark; the rate of units is bursts/s × clients × per_burst.

Only the standard library is used here, so the clients stay cheap to start and run.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import multiprocessing
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import TypeVar

T = TypeVar("T")
HEALTH = "/api/v1/health"
JSON = "application/json"
REPEATING = (
    "  http: WARNING: a client ran out of fresh residents and now repeats declarations"
    " (no new resident each time); raise bench_http.FRESH_PER_SECOND"
)


@dataclass(frozen=True)
class Health:
    """GET the bare endpoint."""

    port: int


@dataclass(frozen=True)
class CodeFetch:
    """GET a fresh code token (or ``what`` else under the code: ``attestation?...``),
    the residents' sessions taken in rotation."""

    port: int
    policy: str
    tokens: tuple[str, ...]
    what: str = "token"


@dataclass(frozen=True)
class Report:
    """POST a daily report (``body``) under the policy, the residents' sessions taken
    in rotation, so that each resident reports a few times a day, as an employer's
    morning and evening check-ins do."""

    port: int
    policy: str
    tokens: tuple[str, ...]
    body: bytes


@dataclass(frozen=True)
class Declare:
    """A full declaration (submit, then confirm), each by a resident who has not
    declared yet (once they run out, they declare again, with a warning); a unit is
    one declaration, so two requests."""

    port: int
    residents: tuple[tuple[str, bytes], ...]  # (session token, JSON body)


@dataclass(frozen=True)
class PostJson:
    """POST the bodies in rotation with one session, each answered ``status``."""

    port: int
    path: str
    token: str
    bodies: tuple[bytes, ...]
    status: int = 200


Job = Health | CodeFetch | Report | Declare | PostJson


class LoadError(RuntimeError):
    """A client got an answer it did not expect."""


# --- the client process ---------------------------------------------------------------


class _Client:
    def __init__(self) -> None:
        self.connections: dict[int, http.client.HTTPConnection] = {}
        self.jobs: dict[str, Iterator[None]] = {}

    def request(
        self, port: int, method: str, path: str, token: str = "", body: bytes | None = None
    ) -> tuple[int, bytes]:
        connection = self.connections.get(port)
        if connection is None:
            connection = self.connections[port] = http.client.HTTPConnection("127.0.0.1", port)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if body is not None:
            headers["Content-Type"] = JSON
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        return response.status, response.read()

    def steps(self, job: Job) -> Iterator[None]:
        """One unit of ``job`` per ``next``."""
        if isinstance(job, Health):
            while True:
                self.expect(200, *self.request(job.port, "GET", HEALTH))
                yield
        elif isinstance(job, PostJson):
            while True:
                for body in job.bodies:
                    self.expect(
                        job.status, *self.request(job.port, "POST", job.path, job.token, body)
                    )
                    yield
        elif isinstance(job, CodeFetch | Report):
            method, what, sent = (
                ("POST", "reports", job.body)
                if isinstance(job, Report)
                else ("GET", job.what, None)
            )
            path = f"/api/v1/codes/{job.policy}/{what}"
            while True:
                for token in job.tokens:
                    self.expect(200, *self.request(job.port, method, path, token, sent))
                    yield
        else:
            for lap in itertools.count():
                if lap == 1:
                    print(REPEATING, file=sys.stderr, flush=True)
                for token, body in job.residents:
                    declared = self.request(job.port, "POST", "/api/v1/declarations", token, body)
                    declaration_id = json.loads(self.expect(201, *declared))["id"]
                    confirm = f"/api/v1/declarations/{declaration_id}/confirm"
                    self.expect(200, *self.request(job.port, "POST", confirm, token, b""))
                    yield

    @staticmethod
    def expect(wanted: int, status: int, body: bytes) -> bytes:
        if status != wanted:
            raise LoadError(f"HTTP {status} (wanted {wanted}): {body[:300]!r}")
        return body


def _serve(pipe: Connection) -> None:
    """A client process: obey ("add", name, job), ("run", name, units) and ("stop",)."""
    client = _Client()
    while True:
        command = pipe.recv()
        try:
            if command[0] == "stop":
                return
            if command[0] == "add":
                client.jobs[command[1]] = client.steps(command[2])
            else:
                steps = client.jobs[command[1]]
                for _ in range(command[2]):
                    next(steps)
            pipe.send(None)
        except Exception as error:  # reported to the bench process, which raises it
            pipe.send(f"{type(error).__name__}: {error}")


# --- the bench process ----------------------------------------------------------------


class Load:
    """``clients`` client processes; use as a context manager."""

    def __init__(self, clients: int) -> None:
        # Forked, not spawned: a spawned child would import ``bench.__main__``, and so
        # all of healthcode, before it could run the few lines of stdlib it needs.
        context = multiprocessing.get_context("fork")
        self.pipes: list[Connection] = []
        self.processes: list[BaseProcess] = []
        for _ in range(clients):
            mine, theirs = context.Pipe()
            process = context.Process(target=_serve, args=(theirs,), daemon=True)
            process.start()
            self.pipes.append(mine)
            self.processes.append(process)

    def __enter__(self) -> Load:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def clients(self) -> int:
        return len(self.pipes)

    def add(self, name: str, jobs: Sequence[Job], per_burst: int) -> Callable[[], None]:
        """Give client ``i`` ``jobs[i]``; return the burst that runs ``per_burst`` units
        on every client at once (``clients × per_burst`` units in all)."""
        if len(jobs) != self.clients:
            raise ValueError(f"{len(jobs)} jobs for {self.clients} clients")
        for pipe, job in zip(self.pipes, jobs, strict=True):
            pipe.send(("add", name, job))
        self._collect()

        def burst() -> None:
            for pipe in self.pipes:
                pipe.send(("run", name, per_burst))
            self._collect()

        return burst

    def _collect(self) -> None:
        errors = [error for error in (pipe.recv() for pipe in self.pipes) if error is not None]
        if errors:
            raise LoadError(errors[0])

    def close(self) -> None:
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(("stop",))
        for process in self.processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
        self.pipes.clear()
        self.processes.clear()


def split(items: Sequence[T], parts: int) -> list[tuple[T, ...]]:
    """``items`` dealt into ``parts`` disjoint shares, round-robin."""
    return [tuple(items[i::parts]) for i in range(parts)]
