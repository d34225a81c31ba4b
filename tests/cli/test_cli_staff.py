"""`healthcode staff add` on a real SQLite file: an officer made at the console gets
the appeals that waited for someone with their role and scope (step ``unassigned``),
as one made by an administrator over the API or the pages does; it got none, and the
resident's timeline still read "waiting for an officer to be appointed"."""

from __future__ import annotations

from sqlalchemy import select
from typer.testing import CliRunner

from healthcode.cli import app
from healthcode.domain.clock import FixedClock
from healthcode.store import tables as t
from tests.cli.test_cli import START, database, units_and_env
from tests.factories.appeals import PASSWORD
from tests.factories.organisations import organisation
from tests.services.appeals.test_no_decider import appeal_record, told

__all__ = ["database"]  # the fixture
runner = CliRunner()


def add(username: str, *options: str) -> None:
    made = runner.invoke(
        app, ["staff", "add", username, *options, "--password-stdin"], input=PASSWORD + "\n"
    )
    assert made.exit_code == 0, made.output


def test_an_officer_made_at_the_console_gets_the_appeal_waiting_for_them(database: str) -> None:
    units, env = units_and_env(database, FixedClock(START))
    with units() as uow:
        appeal = appeal_record(uow, env)  # a health record, and no health officer yet

    add("police.new", "--role", "data_operator", "--scope", "dept:police")  # not theirs
    with units() as uow:
        steps = [s.step for s in uow.appeals.steps(appeal)]
        assert steps == ["submitted", "unassigned"]

    add("health.new", "--role", "data_operator", "--scope", "dept:health")
    with units() as uow:
        officer = uow.accounts.by_username("health.new")
        assert officer is not None
        assert [s.step for s in uow.appeals.steps(appeal)] == [
            "submitted",
            "unassigned",
            "assigned",
        ]
        assert told(uow, "appeal_waiting") == {officer.id}  # the new officer is told
        entries = uow.session.scalars(
            select(t.AuditEvent).where(t.AuditEvent.action == "appeal.assigned")
        ).all()
        assert [e.detail["officer"] for e in entries] == [str(officer.id)]
        made = uow.session.scalars(
            select(t.AuditEvent).where(t.AuditEvent.action == "staff.account.create")
        ).all()
        assert {e.detail["account_id"] for e in made} >= {str(officer.id)}


def test_an_issuer_made_at_the_console_is_authorised_to_sign_for_the_organisation(
    database: str,
) -> None:
    """It was given the role alone: with no active authorisation (签发人员授权, as an
    administrator's appointment over the API makes), its every signature was refused."""
    units, env = units_and_env(database, FixedClock(START))
    with units() as uow:
        community = organisation(uow, env, name="黄河五路社区居民委员会").id
    add("issuer.new", "--role", "issuer", "--scope", f"org:{community}")
    with units() as uow:
        issuer = uow.accounts.by_username("issuer.new")
        assert issuer is not None
        assert uow.authorisations.active(issuer.id, community, "issuer") is not None


def test_an_issuer_for_no_organisation_is_refused_at_the_console(database: str) -> None:
    """It was made, for the whole deployment, and reached no application."""
    for scope in ((), ("--scope", "region:371602")):
        refused = runner.invoke(
            app,
            ["staff", "add", "issuer.all", "--role", "issuer", *scope, "--password-stdin"],
            input=PASSWORD + "\n",
        )
        assert refused.exit_code == 1, refused.output
        assert "error: scope: Issuer (signs passes) is given for one organisation" in (
            refused.output
        )
    assert "issuer.all" not in runner.invoke(app, ["staff", "list"]).output


def test_the_list_flags_an_issuer_given_for_a_region_before_that_was_refused(
    database: str,
) -> None:
    add("old.issuer", "--role", "org_admin", "--scope", "region:371600")
    units, _ = units_and_env(database, FixedClock(START))
    with units() as uow:
        account = uow.accounts.by_username("old.issuer")
        assert account is not None
        uow.accounts.hold(account.id, "issuer", "region:371600")  # as granted before

    listed = runner.invoke(app, ["staff", "list"])

    assert listed.exit_code == 0, listed.output
    flagged = [line for line in listed.output.splitlines() if line.startswith("  !")]
    assert len(flagged) == 1, listed.output
    assert "issuer@region:371600 reaches no pass application" in flagged[0]
    assert "org_admin" not in flagged[0]  # a region's administrator does reach its region
