"""The demo region: every colour under both policies, made by the real services."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from structlog.testing import capture_logs
from typer.testing import CliRunner

from healthcode.cli import app
from healthcode.demo.load import DemoNotEmpty, DemoSummary, load_demo
from healthcode.demo.stories import Story
from healthcode.domain.checkpoint import Decision
from healthcode.domain.clock import Clock
from healthcode.services.accounts.sessions import principal_of
from healthcode.services.scanning import check_ins, scans, venues
from healthcode.services.shared.env import Env, make_env
from healthcode.store import tables as t
from healthcode.store.db import make_engine, session_factory
from healthcode.store.migrate import upgrade
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.scanning import display_token
from tests.factories.units import SameUnit

TODAY = date(2020, 2, 23)
SMALL = 40
ID_NUMBER = re.compile(r"\d{17}[\dX]")


def _envs(env: Env) -> Callable[[Clock], Env]:
    """Demo envs share the test's settings (cheap argon2) but run on the demo's clock."""
    return lambda clock: make_env(env.settings, clock)


@pytest.fixture
def loaded(uow: UnitOfWork, env: Env) -> DemoSummary:
    with capture_logs() as logs:
        summary = load_demo(SameUnit(uow), _envs(env), residents=SMALL, today=TODAY)
    assert logs
    phones = {p for by in summary.phones.values() for ps in by.values() for p in ps}
    for line in map(str, logs):
        assert not ID_NUMBER.search(line), line
        assert not any(p in line for p in phones), line
    return summary


def _colours(uow: UnitOfWork, policy: str) -> dict[str, int]:
    query = (
        select(t.Code.colour, func.count())
        .where(t.Code.policy_id == policy)
        .group_by(t.Code.colour)
    )
    return dict(uow.session.execute(query).all())


class TestLoadDemo:
    def test_every_colour_under_both_policies(self, uow: UnitOfWork, loaded: DemoSummary) -> None:
        assert set(_colours(uow, "binzhou-code")) == {"green", "yellow", "red"}
        assert set(_colours(uow, "shandong-pass")) == {"pending", "green", "yellow", "red"}
        assert loaded.colours == {p: _colours(uow, p) for p in loaded.colours}
        assert sum(n for c in loaded.colours.values() for n in c.values()) == SMALL
        assert uow.residents.count() == SMALL

    def test_every_story_ends_in_its_colour(self, loaded: DemoSummary) -> None:
        for story in loaded.stories:
            assert set(story.colours) == {story.expected}, story.name

    def test_a_queue_waits_for_the_issuers(self, uow: UnitOfWork, loaded: DemoSummary) -> None:
        assert loaded.colours["shandong-pass"]["pending"] >= 5
        signed_by = set(uow.session.scalars(select(t.Signature.issuer_id)))
        issuers = {a.id for a in uow.session.scalars(select(t.Account)) if a.username}
        assert signed_by
        assert signed_by <= issuers

    def test_histories_are_the_services_own(self, uow: UnitOfWork, loaded: DemoSummary) -> None:
        changes = uow.session.scalars(select(t.ColourChange)).all()
        moves = {(c.from_colour, c.to_colour, c.cause) for c in changes}
        assert ("yellow", "green", "daily_report") in moves  # 14 normal days
        assert ("red", "green", "daily_report") in moves
        assert ("green", "yellow", "time") in moves  # expired, or a missed report
        assert ("green", "red", "data") in moves
        assert ("green", "red", "credit") in moves
        assert ("pending", "green", "signature") in moves
        notified = uow.session.scalar(
            select(func.count())
            .select_from(t.Notification)
            .where(t.Notification.kind == "colour_changed")
        )
        assert notified == len(changes)  # each change told to its resident
        signed = uow.session.scalar(select(func.count()).select_from(t.Signature))
        told = uow.session.scalar(
            select(func.count())
            .select_from(t.Notification)
            .where(t.Notification.kind == "pass_signed")
        )
        assert told == signed

    def test_staff_can_sign_in_with_the_printed_passwords(self, loaded: DemoSummary) -> None:
        roles = {role.value for login in loaded.staff for role, _ in login.roles}
        assert roles == {"admin", "issuer", "org_admin", "checkpoint", "data_operator", "auditor"}
        assert all(login.password for login in loaded.staff)

    def test_the_guard_scans_at_the_checkpoint_and_the_market_takes_check_ins(
        self, uow: UnitOfWork, env: Env, loaded: DemoSummary, signing_key: None
    ) -> None:
        account = uow.accounts.by_username("checkpoint.west")
        assert account is not None
        guard = principal_of(uow, account_id=account.id)
        (checkpoint,) = venues.list_venues(uow, guard)
        assert (checkpoint.name, checkpoint.kind) == ("滨州西收费站卡口", "checkpoint")
        green = uow.session.scalars(
            select(t.Code.resident_id).where(
                t.Code.policy_id == "binzhou-code", t.Code.colour == "green"
            )
        ).first()
        token = display_token(uow, env, green)
        scanned = scans.scan_code(uow, env, guard, venue_id=checkpoint.id, token=token)
        assert scanned.decision is Decision.RELEASE
        market = uow.session.scalars(select(t.Venue).where(t.Venue.kind == "market")).one()
        assert check_ins.find_venue(uow, code=market.code).open

    def test_a_second_load_is_refused(self, uow: UnitOfWork, env: Env, loaded: DemoSummary) -> None:
        with pytest.raises(DemoNotEmpty):
            load_demo(SameUnit(uow), _envs(env), residents=30, today=TODAY)
        assert uow.residents.count() == SMALL


def _sqlite_units(path: Path) -> UnitOfWorkFactory:
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return UnitOfWorkFactory(session_factory(engine))


def test_the_same_seed_loads_the_same_region(tmp_path: Path, env: Env) -> None:
    def load(name: str, seed: int) -> DemoSummary:
        return load_demo(
            _sqlite_units(tmp_path / name),
            _envs(env),
            residents=30,
            seed=seed,
            today=TODAY,
        )

    first, again, other = load("a.db", 7), load("b.db", 7), load("c.db", 8)
    assert (first.colours, first.phones) == (again.colours, again.phones)
    assert first.colours == other.colours  # the stories fix the colours …
    assert first.phones != other.phones  # … the seed picks the people


def test_a_failure_leaves_the_database_empty(
    tmp_path: Path, env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the credit office is closed")

    units = _sqlite_units(tmp_path / "broken.db")
    monkeypatch.setattr(Story, "credit", broken)
    with pytest.raises(RuntimeError):
        load_demo(units, _envs(env), residents=30, today=TODAY)
    with units() as uow:
        assert uow.residents.count() == 0
        assert uow.accounts.by_username("admin") is None


def test_too_few_residents_is_refused(uow: UnitOfWork, env: Env) -> None:
    with pytest.raises(ValueError, match="at least 30"):
        load_demo(SameUnit(uow), _envs(env), residents=29, today=TODAY)


def test_the_command_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEALTHCODE_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    monkeypatch.setenv("HEALTHCODE_SECRET_KEY", "cli-test-secret")
    monkeypatch.setenv("HEALTHCODE_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("HEALTHCODE_ARGON2_MEMORY_KIB", "1024")
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> str:
        result = runner.invoke(app, list(args), input=stdin)
        assert result.exit_code == 0, result.output
        return result.output

    run("db", "upgrade")
    loaded = run("demo", "--residents", "30")
    assert "30 residents" in loaded
    assert "demo-issuer-2020" in loaded
    assert "server log" in loaded
    assert re.search(r"pending\s+\d{11}", loaded)
    assert "skipped" in run("demo", "--if-empty")
    refused = runner.invoke(app, ["demo"])
    assert refused.exit_code == 1
    with _sqlite_units(tmp_path / "cli.db")() as uow:  # an issuer acts for an organisation
        community = uow.session.scalars(select(t.Organisation.id).limit(1)).one()
    run(
        "staff",
        "add",
        "issuer.two",
        "--role",
        "issuer",
        "--scope",
        f"org:{community}",
        "--password-stdin",
        stdin="a-long-password\n",
    )
    weak = runner.invoke(
        app, ["staff", "add", "x", "--role", "auditor", "--password-stdin"], input="123\n"
    )
    assert weak.exit_code == 1
    listed = run("staff", "list")
    assert re.search(rf"issuer\.two\s+active\s+issuer@org:{community}", listed)
    assert "admin" in listed
