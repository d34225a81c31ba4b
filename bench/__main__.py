"""``python -m bench [names...]``: run benchmarks, print a table, write results JSON.

To add a benchmark, write ``bench/bench_<name>.py`` with a ``BENCHMARK`` and list
it in ``BENCHMARKS`` below.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench import (
    bench_batches,
    bench_device,
    bench_http,
    bench_imports,
    bench_scanner,
    bench_scans,
    bench_tokens,
)
from bench.core import Benchmark, Result, Settings, one_core
from healthcode import heap

BENCHMARKS: list[Benchmark] = [
    bench_tokens.BENCHMARK,
    bench_device.BENCHMARK,
    bench_scanner.BENCHMARK,
    bench_http.BENCHMARK,
    bench_scans.BENCHMARK,
    bench_imports.BENCHMARK,
    bench_batches.BENCHMARK,
]

RESULTS = Path(__file__).resolve().parent.parent / "var" / "bench" / "results.json"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    console = Console()
    chosen = _choose(args.names)
    if chosen is None:
        known = ", ".join(b.name for b in BENCHMARKS)
        console.print(f"[red]unknown benchmark; choose from: {known}[/red]")
        return 2
    settings = Settings(seconds=args.seconds, rounds=args.rounds)
    results: list[Result] = []
    heap.settle()  # started as the server and the command line are (healthcode/heap.py)
    with one_core() as core:
        console.print(f"pinned to core {core}" if core is not None else "not pinned")
        for benchmark in chosen:
            with console.status(f"{benchmark.name}: {benchmark.description}"):
                results.extend(benchmark.run(settings))
    console.print(_table(results))
    _save(results, args.out)
    console.print(f"wrote {args.out}")
    return 0 if all(result.passed for result in results) else 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("names", nargs="*", help="benchmarks to run (default: all)")
    parser.add_argument("--seconds", type=float, default=Settings.seconds, help="per round")
    parser.add_argument("--rounds", type=int, default=Settings.rounds)
    parser.add_argument("--out", type=Path, default=RESULTS)
    return parser


def _choose(names: Sequence[str]) -> list[Benchmark] | None:
    if not names:
        return list(BENCHMARKS)
    chosen = [b for b in BENCHMARKS if b.name in names]
    return chosen if len(chosen) == len(set(names)) else None


def _table(results: Sequence[Result]) -> Table:
    table = Table(title="benchmarks (best of interleaved rounds, one core)")
    for column in ("name", "value", "unit", "baseline", "ratio", "target", ""):
        table.add_column(column, justify="left" if column in ("name", "unit") else "right")
    for r in results:
        status = "[green]ok[/green]" if r.passed else "[red]LOW[/red]"
        table.add_row(
            r.name,
            f"{r.value:,.0f}",
            r.unit,
            "" if r.baseline is None else f"{r.baseline:,.0f}",
            "" if r.ratio is None else f"{r.ratio:.3f}",
            "" if r.target is None else f"≥ {r.target:g}",
            "–" if r.target is None else status,
        )
    return table


def _save(results: Sequence[Result], path: Path) -> None:
    """Merge into the results file, so running one benchmark keeps the others'."""
    path.parent.mkdir(parents=True, exist_ok=True)
    saved = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    saved.update({result.name: result.to_json() for result in results})
    path.write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
