"""``python -m bench.latency``: one client's scan latency over HTTP, for an A/B.

The throughput benchmarks (``make bench``) measure many clients against a busy
server; on a shared machine one version's ratio moves by a third from run to run,
which hides a change of 5–10 %. One client, one request at a time, shows what a
change of round trips or of work per request does to each request: the scans of the
same guard, then as many ``GET /health``, on a fresh SQLite file and (when it can be
reached) a fresh PostgreSQL schema, each on its own uvicorn as ``make bench`` serves
it. Quartiles, not the mean: a request that waited on the machine's other tenants
says nothing about the code.

To compare two versions, run it in each checkout in turn, interleaved, e.g. with
``git worktree add /tmp/before <commit>`` (the server runs the checkout's own code:
``http_server.REPO``). Not part of ``make bench``: it compares, it sets no target.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import statistics
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from bench import http_server as hs
from bench.bench_scans import RESIDENTS, gate


def timed(
    connection: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
) -> float:
    """Seconds for one request and its whole answer (which must be a 200)."""
    started = time.perf_counter()
    connection.request(method, path, body=body, headers=dict(headers or {}))
    response = connection.getresponse()
    response.read()
    if response.status != 200:
        raise RuntimeError(f"{method} {path}: {response.status}")
    return time.perf_counter() - started


def quartiles(seconds: list[float]) -> str:
    """The quartiles, and the 99th percentile and the slowest: a pause of the server's
    own (a garbage collection walking its heap) shows in the tail, not the middle."""
    q1, median, q3 = statistics.quantiles(seconds, n=4)
    p99 = statistics.quantiles(seconds, n=100)[98]
    return (
        f"p25 {q1 * 1e3:.3f}  median {median * 1e3:.3f}  p75 {q3 * 1e3:.3f}  "
        f"p99 {p99 * 1e3:.3f}  max {max(seconds) * 1e3:.3f} ms"
    )


def measure(port: int, url: str, requests: int, warmup: int) -> tuple[list[float], list[float]]:
    """The guard's scans (after ``warmup`` more), then as many ``GET /health``."""
    guard, path, bodies, _foreign = gate(url)
    headers = {"Authorization": f"Bearer {guard.split()[0]}", "Content-Type": "application/json"}
    connection = http.client.HTTPConnection("127.0.0.1", port)
    try:
        scans = [
            timed(connection, "POST", path, bodies[n % len(bodies)], headers)
            for n in range(warmup + requests)
        ][warmup:]
        health = [timed(connection, "GET", "/api/v1/health") for _ in range(requests)]
    finally:
        connection.close()
    return scans, health


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.latency", description=__doc__)
    parser.add_argument("--requests", type=int, default=1500, help="scans, and as many /health")
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args(argv)
    with contextlib.ExitStack() as stack:
        directory = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="latency-")))
        databases = [("sqlite", hs.sqlite_url(directory))]
        postgresql = stack.enter_context(hs.postgresql_url())
        if postgresql is not None:
            databases.insert(0, ("postgresql", postgresql))
        for backend, url in databases:
            hs.prepare(url, declared=RESIDENTS, fresh=0)
            server = stack.enter_context(hs.serve(backend, url, directory))
            scans, health = measure(server.port, url, args.requests, args.warmup)
            print(f"{backend:>10}  scan    {quartiles(scans)}", flush=True)
            print(f"{backend:>10}  health  {quartiles(health)}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
