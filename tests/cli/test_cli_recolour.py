"""`codes recolour --policy` applies a policy change set-wise, under its own lease."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from healthcode.cli import app
from healthcode.domain.clock import FixedClock
from healthcode.store import tables as t
from tests.cli.test_cli import START, database, runner, units_and_env
from tests.services.conftest import declare, new_account

__all__ = ["database"]  # the fixture, shared with test_cli


@pytest.mark.parametrize("workers", [[], ["--workers", "2"]])
def test_codes_of_an_older_policy_version_are_recoloured(database: str, workers: list[str]) -> None:
    units, env = units_and_env(database, FixedClock(START))
    with units() as uow:
        declare(uow, env, new_account(uow, env, "13800001111"), "binzhou-code", temperature=38.4)
    with units() as uow:  # evaluated under a version before the one in force
        uow.session.execute(update(t.Code).values(policy_version="2020-01-01.1", colour="green"))

    ran = runner.invoke(app, ["codes", "recolour", "--policy", "binzhou-code", *workers])

    assert ran.exit_code == 0, ran.output
    assert "1 codes recoloured, 1 changed colour" in ran.output
    with units() as uow:
        code = uow.session.scalars(select(t.Code)).one()
        assert (code.colour, code.policy_version) == (
            "yellow",
            env.policies["binzhou-code"].version,
        )
        assert uow.codes.history(code.id)[0].cause == "policy"
    again = runner.invoke(app, ["codes", "recolour", "--policy", "binzhou-code"])
    assert "0 codes recoloured" in again.output


def test_an_unknown_policy_is_refused(database: str) -> None:
    refused = runner.invoke(app, ["codes", "recolour", "--policy", "nowhere"])
    assert refused.exit_code != 0
    assert "no policy 'nowhere'" in refused.output
