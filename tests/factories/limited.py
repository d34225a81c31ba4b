"""A reader run in a process of its own with a bounded address space: a file that
would make it hold too much fails there (or is refused first), not in the suite."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run_limited(script: str, path: Path, *, memory: int, timeout: int) -> str:
    """What ``script`` (given the file's path as ``sys.argv[1]``) printed, run with
    at most ``memory`` bytes of address space; it must end well."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))

    done = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        cwd=ROOT,
        preexec_fn=limit,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-800:]
    return done.stdout.strip()
