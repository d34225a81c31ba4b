"""`healthcode staff set-password` on a real SQLite file: the password the console set
must be changed by its owner before the account may do anything else, and the command
says so (an outside probe, stop 44)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from healthcode.cli import app
from healthcode.domain.clock import FixedClock
from healthcode.services.accounts import login, sessions
from healthcode.services.accounts.sessions import PasswordChangeRequired
from tests.cli.test_cli import START, database, units_and_env
from tests.cli.test_cli_staff import add

__all__ = ["database"]  # the fixture
runner = CliRunner()
NEW = "staple clip lantern 42"


def test_the_password_set_at_the_console_must_be_changed_first(database: str) -> None:
    add("officer.one", "--role", "data_operator", "--scope", "dept:health")

    done = runner.invoke(
        app, ["staff", "set-password", "officer.one", "--password-stdin"], input=NEW + "\n"
    )

    assert done.exit_code == 0, done.output
    assert "it must be changed at the next sign-in" in done.output
    units, env = units_and_env(database, FixedClock(START))
    with units() as uow:
        issued = login.staff_login(
            uow, env, username="officer.one", password=NEW, client="", user_agent=""
        )
        assert issued.account.must_change_password
        with pytest.raises(PasswordChangeRequired):
            sessions.authenticate(uow, env, token=issued.token)
