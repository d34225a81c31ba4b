"""The repository stands on its own: what a clone needs is inside it, nothing stray."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")


def _tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def test_no_build_artefacts_are_committed() -> None:
    stray = [p for p in _tracked() if p.endswith((".whl", ".tar.gz", ".egg"))]
    assert stray == []


@pytest.mark.parametrize(
    "doc", ["README.md", *sorted(str(p.relative_to(ROOT)) for p in (ROOT / "docs").glob("*.md"))]
)
def test_relative_links_stay_inside_the_repository(doc: str) -> None:
    source = ROOT / doc
    for target in LINK.findall(source.read_text(encoding="utf-8")):
        if "://" in target or target.startswith("mailto:"):
            continue
        resolved = (source.parent / target).resolve()
        assert resolved.is_relative_to(ROOT), f"{doc} links outside the repository: {target}"
        assert resolved.exists(), f"{doc} links a missing file: {target}"


def test_the_seed_notices_are_summarised_with_title_issuer_and_date() -> None:
    seeds = (ROOT / "docs" / "seeds.md").read_text(encoding="utf-8")
    for needle in ("第164号", "2020-02-22", "第201号", "2020-02-23", "37.3℃以上", "连续14天"):
        assert needle in seeds


def _dry_run(target: str) -> str:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(
        ["make", "-n", "-W", "pyproject.toml", target],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout


def test_make_run_installs_only_the_runtime_dependencies() -> None:
    commands = _dry_run("run")
    assert "-e ." in commands
    assert ".[dev]" not in commands


@pytest.mark.parametrize("target", ["test", "lint", "bench"])
def test_make_test_lint_and_bench_install_the_dev_tools(target: str) -> None:
    assert ".[dev]" in _dry_run(target)
