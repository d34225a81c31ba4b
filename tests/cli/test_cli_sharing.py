"""`data export-stats` and `data lookups grant|revoke` from the command line."""

from __future__ import annotations

import csv
import uuid
from pathlib import Path

from sqlalchemy import select

from healthcode.cli import app
from healthcode.domain.clock import FixedClock
from healthcode.store import tables as t
from tests.cli.test_cli import START, database, runner, units_and_env
from tests.services.conftest import declare, new_account

__all__ = ["database"]  # the fixture, shared with test_cli


def test_export_stats_writes_the_days_counts_suppressed(database: str, tmp_path: Path) -> None:
    units, env = units_and_env(database, FixedClock(START))
    with units() as uow:
        declare(uow, env, new_account(uow, env, "13800001111"))
    result = runner.invoke(
        app,
        [
            "data",
            "export-stats",
            "--day",
            "2020-02-23",
            "--directory",
            str(tmp_path),
            "--lang",
            "zh",
        ],
    )
    assert result.exit_code == 0, result.output
    assert result.output.startswith("已写入：")  # it said "written" to a Chinese user
    future = ["data", "export-stats", "--day", "2030-01-01", "--directory", str(tmp_path)]
    refused = runner.invoke(app, [*future, "--lang", "zh"])
    assert (refused.exit_code, refused.output[:3]) == (1, "错误：")
    rows = list(csv.DictReader((tmp_path / "colour-stats-2020-02-23.csv").open(encoding="utf-8")))
    assert [(r["code_type"], r["colour"], r["count"], r["suppressed"]) for r in rows] == [
        ("binzhou-code", colour, "", "1")  # one resident: fewer than 10, as the zeros
        for colour in ("green", "yellow", "red")
    ]


def test_lookups_are_granted_and_revoked_by_client_name(database: str) -> None:
    units, _env = units_and_env(database, FixedClock(START))
    with units() as uow:
        uow.add(
            t.DepartmentClient(
                id=uuid.uuid4(),
                name="gongan-kakou",
                department="police",
                kinds=["travel"],
                key_hash=b"\0" * 32,
                key_prefix="x",
                created_at=START,
            )
        )
    assert runner.invoke(app, ["data", "lookups", "grant", "nobody"]).exit_code == 1
    granted = runner.invoke(app, ["data", "lookups", "grant", "gongan-kakou", "--lang", "zh"])
    assert granted.exit_code == 0, granted.output
    assert granted.output == "gongan-kakou 可查询健康码颜色\n"
    with units() as uow:
        [grant] = uow.session.scalars(select(t.LookupGrant)).all()
        assert grant.revoked_at is None
    revoked = runner.invoke(app, ["data", "lookups", "revoke", "gongan-kakou"])
    assert revoked.exit_code == 0, revoked.output
    with units() as uow:
        [grant] = uow.session.scalars(select(t.LookupGrant)).all()
        assert grant.revoked_at is not None
    assert runner.invoke(app, ["data", "lookups", "revoke", "gongan-kakou"]).exit_code == 1
