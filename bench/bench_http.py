"""HTTP throughput: code fetches and declarations per second through the whole stack.

The real app runs under uvicorn (one worker, uvloop, httptools, no access log) in a
subprocess on a fresh SQLite file, and another on a fresh PostgreSQL schema; client
processes hold keep-alive connections and keep ``CLIENTS`` requests in flight. The
baseline is the bare ``GET /api/v1/health`` of the same app, timed by the same
clients in the same interleaved rounds, so the ratio is the share of the framework's
own request rate that a real request keeps: what the app adds (authentication, the
unit of work, the queries, signing, validation) is everything below 1.

Candidates: ``code_fetch`` is ``GET /codes/binzhou-code/token`` for 200 residents in
rotation, with the colour cache off (every request reads the code from the database:
one query); ``code_cached`` is the same against a second server of the same database
with the cache on (the default), so the colour comes from it; ``attest`` is the
phone's ``GET /codes/binzhou-code/attestation`` (cache off); ``report`` is a daily report
(``POST /codes/binzhou-code/reports``, cache off) by ``REPORTERS`` other declared
residents in rotation, a few each (the health code takes any number a day: morning and
evening check-ins), every one recolouring the resident's code; ``declare`` is one
declaration (``POST /declarations`` then ``POST /declarations/{id}/confirm``), each by
a resident who has never declared, so every one creates a resident and a code.
Targets: see docs/performance.md and docs/hot-path.md.
"""

from __future__ import annotations

import base64
import contextlib
import math
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from bench import http_server as hs
from bench.core import Benchmark, Result, Settings, rates
from bench.load import CodeFetch, Declare, Health, Job, Load, Report, split

CLIENTS = 4  # requests in flight: enough to keep one uvicorn worker busy
DECLARED = 200  # residents whose codes are fetched in rotation
REPORTERS = 1000  # other declared residents, whose daily reports are posted in rotation
REPORT = b'{"temperature": 36.5}'
FRESH_PER_SECOND = 400  # fresh residents prepared per second of timing: ~3× today's rate
PER_BURST = {
    "health": 32, "code_fetch": 16, "code_cached": 16, "attest": 16, "report": 4, "declare": 2
}  # fmt: skip
TARGETS = {  # issue 14
    "code_fetch": 0.3, "code_cached": 0.5, "attest": 0.3, "report": 0.05, "declare": 0.05
}  # fmt: skip
UNITS = {
    "health": "req/s",
    "code_fetch": "req/s",
    "code_cached": "req/s",
    "attest": "req/s",
    "report": "reports/s",
    "declare": "decl/s",
}
UNCACHED = {"HEALTHCODE_COLOUR_CACHE": "false"}


@dataclass(frozen=True)
class Candidate:
    """One timed callable; each call is ``units`` requests or declarations."""

    name: str  # e.g. "code_fetch.sqlite"
    kind: str  # a key of PER_BURST
    burst: Callable[[], None]
    units: int


def run(settings: Settings) -> list[Result]:
    with contextlib.ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="bench-http-")))
        load = stack.enter_context(Load(CLIENTS))  # forked first, while this process is small
        candidates: list[Candidate] = []
        for backend, url in _databases(stack, directory):
            candidates += _backend(stack, load, backend, url, directory, settings)
        hs.progress(_plan(candidates, settings))
        measured = rates({c.name: c.burst for c in candidates}, settings)
    per_second = {c.name: measured[c.name] * c.units for c in candidates}
    return _results(per_second)


def _databases(stack: contextlib.ExitStack, directory: Path) -> list[tuple[str, str]]:
    databases = [("sqlite", hs.sqlite_url(directory))]
    postgresql = stack.enter_context(hs.postgresql_url())
    if postgresql is not None:
        databases.append(("postgresql", postgresql))
    return databases


def _backend(
    stack: contextlib.ExitStack,
    load: Load,
    backend: str,
    url: str,
    directory: Path,
    settings: Settings,
) -> list[Candidate]:
    """Prepare the database, start its server and give the clients their jobs."""
    seconds = settings.warmup + settings.rounds * settings.seconds + 1.0
    fresh = math.ceil(FRESH_PER_SECOND * seconds)
    declared = DECLARED + REPORTERS
    hs.progress(f"{backend}: preparing {declared} declared and {fresh} fresh residents")
    residents = hs.prepare(url, declared=declared, fresh=fresh)
    server = stack.enter_context(hs.serve(backend, url, directory, UNCACHED))
    cached = stack.enter_context(hs.serve(f"{backend}-cached", url, directory))
    hs.progress(f"{backend}: uvicorn serving on ports {server.port} and {cached.port} (cached)")
    shares = split(residents.declared[:DECLARED], CLIENTS)
    reporters = split(residents.declared[DECLARED:], CLIENTS)
    attest = f"attestation?device_key={_device_key()}"
    declares = [Declare(server.port, share) for share in split(residents.fresh, CLIENTS)]
    candidates = [
        _candidate(load, f"code_fetch.{backend}", "code_fetch", _fetches(server.port, shares)),
        _candidate(load, f"code_cached.{backend}", "code_cached", _fetches(cached.port, shares)),
        _candidate(load, f"attest.{backend}", "attest", _fetches(server.port, shares, attest)),
        _candidate(load, f"report.{backend}", "report", _reports(server.port, reporters)),
        _candidate(load, f"declare.{backend}", "declare", declares),
    ]
    if backend == "sqlite":  # one bare endpoint for every candidate: the same app code
        health = [Health(server.port)] * CLIENTS
        candidates.insert(0, _candidate(load, "health", "health", health))
    return candidates


def _fetches(port: int, shares: Sequence[tuple[str, ...]], what: str = "token") -> list[Job]:
    return [CodeFetch(port, hs.POLICY, tokens, what) for tokens in shares]


def _reports(port: int, shares: Sequence[tuple[str, ...]]) -> list[Job]:
    return [Report(port, hs.POLICY, tokens, REPORT) for tokens in shares]


def _device_key() -> str:
    """A phone's public key (compressed P-256, base64url), one for the whole run."""
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    raw = key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint)
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _candidate(load: Load, name: str, kind: str, jobs: Sequence[Job]) -> Candidate:
    burst = load.add(name, jobs, PER_BURST[kind])
    return Candidate(name, kind, burst, load.clients * PER_BURST[kind])


def _plan(candidates: list[Candidate], settings: Settings) -> str:
    names = ", ".join(c.name for c in candidates)
    return f"timing {names}: {settings.rounds} rounds of {settings.seconds:g} s each"


def _results(per_second: dict[str, float]) -> list[Result]:
    health = per_second["health"]
    results = [Result("http.health", health, UNITS["health"])]
    for name, value in per_second.items():
        kind = name.split(".")[0]
        if kind != "health":
            results.append(
                Result(f"http.{name}", value, UNITS[kind], baseline=health, target=TARGETS[kind])
            )
    return results


BENCHMARK = Benchmark(
    "http",
    "code fetches, daily reports and declarations through uvicorn on SQLite and PostgreSQL"
    " vs GET /health",
    run,
)
