"""`healthcode staff set-password` on a real SQLite file: a forgotten or leaked staff
password set anew at the console, every session of the account ended (an outside
probe, stop 44: the only answer was to deactivate the account)."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from healthcode.cli import app
from healthcode.domain.clock import FixedClock
from healthcode.services.accounts import login, sessions
from healthcode.store import tables as t
from tests.cli.test_cli import START, database, units_and_env
from tests.cli.test_cli_staff import add

__all__ = ["database"]  # the fixture
runner = CliRunner()
NEW = "staple clip lantern 42"


def sign_in(url: str, password: str) -> sessions.IssuedSession | None:
    units, env = units_and_env(url, FixedClock(START))
    try:
        with units() as uow:
            return login.staff_login(
                uow, env, username="officer.one", password=password, client="", user_agent=""
            )
    except login.BadCredentials:
        return None


def test_set_from_stdin_ends_every_session_and_the_new_password_signs_in(database: str) -> None:
    add("officer.one", "--role", "data_operator", "--scope", "dept:health")
    before = sign_in(database, "correct horse battery")
    assert before is not None

    done = runner.invoke(
        app, ["staff", "set-password", "officer.one", "--password-stdin"], input=NEW + "\n"
    )

    assert done.exit_code == 0, done.output
    assert "password set for officer.one" in done.output
    units, env = units_and_env(database, FixedClock(START))
    with units() as uow:
        assert sessions.authenticate(uow, env, token=before.token) is None
        event = uow.session.scalars(
            select(t.AuditEvent).where(t.AuditEvent.action == "staff.password.reset")
        ).one()
        assert (event.actor_id, event.detail["via"]) == (None, "console")
    assert sign_in(database, "correct horse battery") is None
    assert sign_in(database, NEW) is not None


def test_the_prompt_asks_twice_and_a_weak_password_or_unknown_name_is_refused(
    database: str,
) -> None:
    add("officer.one", "--role", "data_operator", "--scope", "dept:health")
    prompted = runner.invoke(app, ["staff", "set-password", "officer.one"], input=f"{NEW}\n{NEW}\n")
    assert prompted.exit_code == 0, prompted.output
    assert sign_in(database, NEW) is not None

    weak = runner.invoke(
        app, ["staff", "set-password", "officer.one", "--password-stdin"], input="1234567890123\n"
    )
    assert weak.exit_code == 1
    assert "error: password: Cannot be only digits" in weak.output
    unknown = runner.invoke(
        app, ["staff", "set-password", "nobody", "--password-stdin"], input=NEW + "\n"
    )
    assert unknown.exit_code == 1
    assert "error: No such staff account" in unknown.output
    assert sign_in(database, NEW) is not None
