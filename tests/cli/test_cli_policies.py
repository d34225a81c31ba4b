"""`healthcode policies versions|show`: the versions put in force, beside the files;
both answer while a start is refused for a file edited in place."""

from __future__ import annotations

import re

import pytest

from healthcode.cli import app
from healthcode.policies import builtin_policy
from tests.cli.test_cli import database, runner
from tests.factories.policies import OLD_WORDS, REWORDED, bumped, edit_policy

__all__ = ["database"]  # the fixture, shared with test_cli


def listed() -> dict[str, str]:
    """policy@version → its status, as the listing says."""
    result = runner.invoke(app, ["policies", "versions"])
    assert result.exit_code == 0, result.output
    rows = [re.split(r"\s{2,}", line) for line in result.output.splitlines()[1:]]
    return {ref: status for ref, _since, _fingerprint, status in rows}


def test_the_versions_put_in_force_and_how_the_files_stand(
    database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    binzhou, shandong = (builtin_policy(n).ref for n in ("binzhou-code", "shandong-pass"))
    assert listed() == {binzhou: "in force", shandong: "in force"}  # by `db upgrade`

    edit_policy(monkeypatch, "binzhou-code", REWORDED)
    assert runner.invoke(app, ["jobs", "rollover"]).exit_code != 0  # refused…
    assert listed()[binzhou] == "edited without a new version"  # …and told why
    shown = runner.invoke(app, ["policies", "show", binzhou])
    assert shown.exit_code == 0, shown.output
    assert OLD_WORDS in shown.output  # the recorded words

    newer = edit_policy(monkeypatch, "binzhou-code", REWORDED, bumped("binzhou-code"))
    assert listed()[newer.ref] == "not recorded yet"
    ran = runner.invoke(app, ["jobs", "rollover"])
    assert ran.exit_code == 0, ran.output
    assert listed() == {binzhou: "not in force here", newer.ref: "in force", shandong: "in force"}


def test_an_unknown_version_is_said_so(database: str) -> None:
    shown = runner.invoke(app, ["policies", "show", "binzhou-code@1999"])
    assert shown.exit_code != 0
    assert "no version 'binzhou-code@1999'" in shown.output
