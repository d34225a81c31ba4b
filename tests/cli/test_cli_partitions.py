"""`jobs partitions` and `jobs retention` from the command line (SQLite: plain tables,
so nothing to make, and retention deletes rows)."""

from __future__ import annotations

from healthcode.cli import app
from tests.cli.test_cli import database, runner

__all__ = ["database"]  # the fixture, shared with test_cli


def test_partitions_and_retention_run_and_say_what_they_did(database: str) -> None:
    made = runner.invoke(app, ["jobs", "partitions"])
    assert made.exit_code == 0, made.output
    assert "partitions: 0 made" in made.output
    retired = runner.invoke(app, ["jobs", "retention"])
    assert retired.exit_code == 0, retired.output
    assert "0 partitions dropped, 0 rows deleted" in retired.output
