"""Real concurrent callers on PostgreSQL: two threads, each in its own unit of work
(issue 7, items 20 and 21). SQLite serialises writers by itself; PostgreSQL reads each
statement's committed snapshot, so a fact read before a lock can be stale."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import TypeVar

import pytest
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.engine import evaluate
from healthcode.domain.errors import NotFound
from healthcode.domain.policy import Policy
from healthcode.domain.policy_content import canonical, canonical_text
from healthcode.jobs.rollover import RolloverResult, rollover, rollover_if_leader
from healthcode.services.accounts.permissions import Principal
from healthcode.services.codes import batches
from healthcode.services.codes.batches import RENAME_TRIES, Recoloured
from healthcode.services.organisations.signing import NotPending, sign_pass
from healthcode.services.residents.daily_reports import submit_daily_report
from healthcode.services.residents.declarations import confirm_declaration, submit_declaration
from healthcode.services.shared.env import Env
from healthcode.store import batches as store_batches
from healthcode.store import tables as t
from healthcode.store.state_json import state_from_json
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.history import assert_history_chains
from tests.factories.inputs import daily_report, declaration, id_number
from tests.factories.organisations import (
    authorised_issuer,
    issuer_for,
    organisation,
    sign_as_issuer,
)
from tests.factories.policies import RULE_EDITS, edited_policy
from tests.services.conftest import declare, new_account, report

POLICY = "shandong-pass"
OLDER = "2020-01-01."  # the versions these tests record as older ones


@pytest.fixture
def units(postgresql_engine: Engine) -> Iterator[UnitOfWorkFactory]:
    """Units of work that really commit, each on its own connection; whatever the test
    creates is deleted afterwards (residents cascade to their facts and codes)."""
    factory = sessionmaker(postgresql_engine, expire_on_commit=False)
    yield UnitOfWorkFactory(factory)
    with factory.begin() as session:
        for table in (t.AuditEvent, t.Resident, t.Account, t.Organisation, t.Lease, t.JobRun):
            session.execute(delete(table))
        session.execute(delete(t.PolicyVersion).where(t.PolicyVersion.version.like(OLDER + "%")))


HOLD = 0.5  # seconds another transaction holds what it wrote or locked (``while_held``)
Done = TypeVar("Done")


def while_held(
    units: UnitOfWorkFactory, hold: Callable[[UnitOfWork], None], job: Callable[[], Done]
) -> Done:
    """``job`` while another transaction, having done ``hold`` (flushed), keeps it
    uncommitted for ``HOLD`` seconds, then commits."""
    held = threading.Event()

    def holder() -> None:
        with units() as uow:
            hold(uow)
            uow.flush()
            held.set()
            time.sleep(HOLD)

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        held.wait(5)
        return job()
    finally:
        thread.join()


def together(*calls: Callable[[], object]) -> list[object]:
    """Run the calls at once, one thread each; each one's result or domain error."""
    start = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(i: int) -> None:
        start.wait()
        try:
            outcomes[i] = calls[i]()
        except NotPending as error:
            outcomes[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_confirming_while_an_issuer_signs_paints_the_right_colour(
    units: UnitOfWorkFactory, env: Env, clock: FixedClock
) -> None:
    """Each pair: the issuer signs application A red while the resident confirms a new
    application B. Whoever wins, the stored code is what the rules say of the committed
    facts, B is awaited by the queue unless it was refused, and the history chains."""
    residents = []
    for i in range(30):
        clock.advance(timedelta(minutes=1))
        number = id_number()
        with units() as uow:
            account = new_account(uow, env, f"1380000{i:04d}")
            first = declare(uow, env, account, POLICY, id_number=number)
            data = declaration(POLICY, id_number=number)
            new = submit_declaration(uow, env, account_id=account.id, data=data).declaration
            assert first.application_id is not None
            issuer = issuer_for(uow, env, uuid.UUID(first.application_id))
        assert account.resident_id is not None
        clock.advance(timedelta(minutes=1))
        app_a, app_b, resident_id = uuid.UUID(first.application_id), new.id, account.resident_id

        def signs(app: uuid.UUID = app_a, who: Principal = issuer) -> object:
            with units() as uow:
                return sign_pass(uow, env, who, application_id=app, colour=Colour.RED, note="发热")

        def confirms(owner: uuid.UUID = account.id, app: uuid.UUID = app_b) -> object:
            with units() as uow:
                return confirm_declaration(uow, env, account_id=owner, declaration_id=app)

        together(signs, confirms)
        residents.append((resident_id, app_b))

    policy = env.policies.find(POLICY)
    with units() as uow:
        for resident_id, app_b in residents:
            code = uow.codes.of_resident(resident_id, POLICY)
            assert code is not None
            stored = state_from_json(code.state)
            fresh = evaluate(policy, uow.facts.for_resident(resident_id, POLICY), clock.now())
            assert (stored.colour, stored.application_id) == (fresh.colour, fresh.application_id)
            assert stored.awaiting_signature == str(app_b)  # the queue still lists B
            assert_history_chains(uow.codes.history(code.id))


def test_an_issuer_of_another_organisation_is_refused_without_waiting_on_the_resident(
    units: UnitOfWorkFactory, env: Env
) -> None:
    """``sign_pass`` locked the application's resident before it checked the issuer's
    scope: an issuer of another organisation waited on a resident it may not see (and
    learnt from the wait that someone was writing to them) before its 404."""
    with units() as uow:
        account = new_account(uow, env, "13800009999")
        state = declare(uow, env, account, POLICY)
        assert state.application_id is not None
        stranger = authorised_issuer(uow, env, organisation(uow, env, region="370102").id)
    assert account.resident_id is not None
    resident_id, application = account.resident_id, uuid.UUID(state.application_id)

    def refused() -> float:
        started = time.perf_counter()
        with units() as uow, pytest.raises(NotFound):
            sign_pass(uow, env, stranger, application_id=application, colour=Colour.GREEN)
        return time.perf_counter() - started

    took = while_held(units, lambda uow: uow.residents.lock(resident_id), refused)
    assert took < HOLD / 2


def _passes_due_for_a_missed_report(
    units: UnitOfWorkFactory, env: Env, clock: FixedClock, count: int
) -> None:
    with units() as uow:
        for i in range(count):
            account = new_account(uow, env, f"1390000{i:04d}")
            state = declare(uow, env, account, POLICY)
            assert state.application_id is not None
            sign_as_issuer(uow, env, uuid.UUID(state.application_id), Colour.GREEN)
    clock.advance(timedelta(days=1))
    with units() as uow:
        for account in uow.session.scalars(
            select(t.Account).where(t.Account.resident_id.is_not(None))
        ):
            report(uow, env, account, POLICY)
    clock.advance(timedelta(days=1, hours=15, minutes=5))  # day 2 unreported: 00:05 next


def _each_change_once(units: UnitOfWorkFactory, count: int) -> None:
    with units() as uow:
        changes = uow.session.scalars(select(t.ColourChange).where(t.ColourChange.cause == "time"))
        assert sorted(c.to_colour for c in changes) == ["yellow"] * count
        notes = uow.session.scalar(
            select(func.count())
            .select_from(t.Notification)
            .where(t.Notification.payload["cause"].as_string() == "time")
        )
        assert notes == count
        for code in uow.session.scalars(select(t.Code)):
            assert_history_chains(uow.codes.history(code.id))


def test_two_rollovers_at_once_record_each_change_once(
    units: UnitOfWorkFactory, env: Env, clock: FixedClock
) -> None:
    """Even without the lease (two schedulers whose leases overlapped), the database
    lets no change be recorded twice."""
    _passes_due_for_a_missed_report(units, env, clock, 25)
    runs = together(lambda: rollover(units, env), lambda: rollover(units, env))
    _each_change_once(units, 25)
    assert sum(r.changed for r in runs if isinstance(r, RolloverResult)) == 25


def test_a_rollover_racing_daily_reports_leaves_each_code_as_evaluating_gives(
    units: UnitOfWorkFactory, env: Env, clock: FixedClock
) -> None:
    """The rollover moves codes along their states ahead in SQL while residents report:
    each code ends as the engine evaluates it, its history unbroken."""
    _passes_due_for_a_missed_report(units, env, clock, 25)
    with units() as uow:
        residents = list(
            uow.session.scalars(
                select(t.Account.resident_id).where(t.Account.resident_id.is_not(None))
            )
        )

    def reports() -> None:
        for resident_id in residents:
            with units() as uow:
                submit_daily_report(
                    uow, env, resident_id=resident_id, policy_id=POLICY, data=daily_report()
                )

    [done, _] = together(lambda: rollover(units, env), reports)
    assert isinstance(done, RolloverResult)
    assert done.advanced > 0  # the SQL path raced the reports
    policy = env.policies.find(POLICY)
    with units() as uow:
        for code in uow.session.scalars(select(t.Code)):
            fresh = evaluate(policy, uow.facts.for_resident(code.resident_id, POLICY), clock.now())
            assert state_from_json(code.state).colour == fresh.colour
            assert_history_chains(uow.codes.history(code.id))


def test_two_leaders_at_once_run_the_rollover_once_each_change(
    units: UnitOfWorkFactory, env: Env, clock: FixedClock
) -> None:
    _passes_due_for_a_missed_report(units, env, clock, 10)
    ran = together(lambda: rollover_if_leader(units, env), lambda: rollover_if_leader(units, env))
    assert any(r is not None for r in ran)
    _each_change_once(units, 10)
    with units() as uow:
        assert uow.session.scalars(select(t.Lease)).all() == []  # given up when done


def test_a_change_cannot_be_recorded_twice(
    units: UnitOfWorkFactory, env: Env, clock: FixedClock, postgresql_engine: Engine
) -> None:
    _passes_due_for_a_missed_report(units, env, clock, 1)
    rollover(units, env)
    sessions: sessionmaker[Session] = sessionmaker(postgresql_engine)
    with sessions() as session:
        change = session.scalars(select(t.ColourChange).where(t.ColourChange.cause == "time")).one()
        session.add(
            t.ColourChange(
                code_id=change.code_id,
                resident_id=change.resident_id,
                seq=change.seq,
                at=change.at,
                from_colour=change.from_colour,
                to_colour=change.to_colour,
                rule_ids=change.rule_ids,
                policy_version=change.policy_version,
                cause=change.cause,
            )
        )
        with pytest.raises(Exception, match="uq_colour_changes_code_seq"):
            session.flush()


@pytest.mark.parametrize("tries", [RENAME_TRIES, 1])
def test_a_rename_meeting_a_held_code_renames_it_once_the_holder_is_done(
    units: UnitOfWorkFactory,
    env: Env,
    clock: FixedClock,
    monkeypatch: pytest.MonkeyPatch,
    tries: int,
) -> None:
    """A policy change renames codes without locks and gives a page up when a code is
    held (so it waits in no cycle); after ``tries`` it waits for the locks. Either
    way no code is left under the older version."""
    monkeypatch.setattr(batches, "RENAME_TRIES", tries)
    _passes_due_for_a_missed_report(units, env, clock, 5)
    policy = env.policies.find(POLICY)
    _as_recorded_older(units, clock, policy, OLDER + "1")

    def holds_a_code(uow: UnitOfWork) -> None:
        uow.session.execute(select(t.Code.id).limit(1).with_for_update()).one()

    def policy_change() -> tuple[Recoloured, float]:
        started = time.perf_counter()
        return batches.apply_policy(units, env, policy_id=POLICY), time.perf_counter() - started

    done, took = while_held(units, holds_a_code, policy_change)
    assert (done.relabelled, done.checked) == (5, 0)
    assert took >= HOLD * 0.8  # the held code was waited for, not skipped
    with units() as uow:
        versions = uow.session.scalars(select(t.Code.policy_version)).all()
        assert versions == [policy.version] * 5


def test_a_code_written_while_a_rename_waits_for_it_does_not_end_the_rename(
    units: UnitOfWorkFactory, env: Env, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Pages of three; the first code is written under the new version by the
    transaction that holds it, so the first page renames two. The rename goes on: the
    last two codes are renamed too, not left to the engine."""
    monkeypatch.setattr(batches, "RENAME_PAGE", 3)
    monkeypatch.setattr(batches, "RENAME_TRIES", 1)
    _passes_due_for_a_missed_report(units, env, clock, 5)
    policy = env.policies.find(POLICY)
    _as_recorded_older(units, clock, policy, OLDER + "3")

    def writes_the_first_code(uow: UnitOfWork) -> None:
        first = select(t.Code).order_by(t.Code.resident_id).limit(1).with_for_update()
        uow.session.scalars(first).one().policy_version = policy.version

    done = while_held(
        units, writes_the_first_code, lambda: batches.apply_policy(units, env, policy_id=POLICY)
    )
    assert (done.relabelled, done.checked) == (4, 0)


def _as_recorded_older(
    units: UnitOfWorkFactory, clock: FixedClock, policy: Policy, older: str
) -> None:
    """Every code as evaluated under ``older``, recorded with the text of the version
    in force (a version bumped for a title, say): its codes are renamed."""
    recorded = json.loads(canonical_text(policy)) | {"version": older}
    with units() as uow:
        uow.add(
            t.PolicyVersion(
                policy_id=policy.id, version=older, fingerprint="x" * 64,
                content=canonical(recorded), first_seen_at=clock.now(),
            )
        )  # fmt: skip
        uow.session.execute(update(t.Code).values(policy_version=older))


def test_a_change_of_one_rule_evaluates_its_residents_while_the_rest_are_renamed(
    units: UnitOfWorkFactory, env: Env, clock: FixedClock
) -> None:
    """The close-contact rule reworded: the residents listed as close contacts are
    evaluated while, in another thread, the other codes are renamed; no code is both,
    none is left under the older version, and the contacts read the new words."""
    _one_rule_changed(units, env, clock, lambda ids: set(ids[::3]))


def test_a_rename_page_stops_at_the_last_evaluated_resident_it_was_given(
    units: UnitOfWorkFactory, env: Env, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Most residents reached, three in a row first, pages of two: the first page is
    given the first two to leave alone, and must not reach the third (it renamed it,
    as evaluated and renamed at once, before the page stopped at its last one)."""
    monkeypatch.setattr(batches, "RENAME_PAGE", 2)
    _one_rule_changed(units, env, clock, lambda ids: set(ids[:3] + ids[4:9]))


def _one_rule_changed(
    units: UnitOfWorkFactory,
    env: Env,
    clock: FixedClock,
    contacts_of: Callable[[list[uuid.UUID]], set[uuid.UUID]],
) -> None:
    """Twelve residents, the close contacts among them chosen by their ids in order,
    and every code evaluated under a version whose close-contact rule said other
    words: the contacts' codes evaluated, the others' renamed."""
    policy = env.policies.find("binzhou-code")
    older = edited_policy(RULE_EDITS["close contacts red until released"][0], OLDER + "2")
    with units() as uow:
        residents = []
        for i in range(12):
            account = new_account(uow, env, f"1370000{i:04d}")
            declare(uow, env, account)
            residents.append(account.resident_id)
        contacts = contacts_of(sorted(r for r in residents if r is not None))
        for i, resident_id in enumerate(contacts):
            uow.add(
                t.DataRecord(
                    id=uuid.uuid4(), resident_id=resident_id, kind="close_contact",
                    start=clock.now().date(), end=None, source="test",
                    received_at=clock.now(), source_id=f"cc-{i}",
                )
            )  # fmt: skip
        uow.add(
            t.PolicyVersion(
                policy_id=policy.id, version=older.version, fingerprint="y" * 64,
                content=canonical_text(older), first_seen_at=clock.now(),
            )
        )  # fmt: skip
        uow.session.execute(update(t.Code).values(policy_version=older.version))
    clock.advance(timedelta(minutes=5))
    done = batches.apply_policy(units, env, policy_id=policy.id)
    assert (done.checked, done.relabelled) == (len(contacts), 12 - len(contacts))
    with units() as uow:
        for code in uow.session.scalars(select(t.Code)):
            assert code.policy_version == policy.version
            evaluated = code.evaluated_at == clock.now()
            assert evaluated == (code.resident_id in contacts)


def test_a_code_written_while_the_advance_waits_for_it_is_left_as_written(
    units: UnitOfWorkFactory, env: Env, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The advance reads each code's states ahead from its snapshot and takes the
    codes' locks as it meets them. A code another transaction wrote meanwhile (here:
    red, not due) is no longer the code those steps were read from: it stays as that
    transaction wrote it, and the rest are advanced."""
    monkeypatch.setattr(store_batches, "HELD_WAIT_MS", 5000)  # wait, do not give up
    _passes_due_for_a_missed_report(units, env, clock, 5)
    with units() as uow:
        written = uow.session.scalars(select(t.Code.id).limit(1)).one()

    def writes_a_code(uow: UnitOfWork) -> None:
        uow.session.execute(
            update(t.Code).where(t.Code.id == written)
            .values(colour="red", evaluated_at=clock.now(), recheck_at=None)
        )  # fmt: skip

    done = while_held(units, writes_a_code, lambda: rollover(units, env))
    assert (done.advanced, done.checked) == (4, 4)
    with units() as uow:
        code = uow.session.get(t.Code, written)
        assert code is not None
        assert code.colour == "red"
