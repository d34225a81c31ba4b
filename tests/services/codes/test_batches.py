"""Set-wise recolouring equals the one-by-one result, on random populations.

Each example writes residents with random facts (declarations under both policies,
daily reports, department records, credit records, issuers' signatures, a
high-risk region), colours them one by one, lets time pass (and new facts arrive),
then recolours every code twice from the same database state, each in a savepoint
rolled back after: one by one (``recolour``/``recolour_resident``) and set-wise
(``batches.recolour_codes``/``recolour_residents``). Colour, reasons, recheck_at,
the whole cached state, the history and the notifications must be the same.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from healthcode.domain.clock import FixedClock, day_of, start_of
from healthcode.domain.colour import Colour
from healthcode.domain.policy import Policy
from healthcode.domain.policy_content import canonical, canonical_text, fingerprint
from healthcode.domain.state import State
from healthcode.jobs.rollover import NIGHT, rollover
from healthcode.policies import builtin_policy
from healthcode.services.codes import colour_cache
from healthcode.services.codes.batches import (
    Recoloured,
    apply_policy,
    recolour_codes,
    recolour_residents,
    top_up,
)
from healthcode.services.codes.recolour import Cause, recolour, recolour_resident
from healthcode.services.shared.env import Env
from healthcode.services.shared.policies import Policies
from healthcode.services.shared.versioned_cache import LocalCache, Ticket
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.policies import GREEN_REWORDED, RULE_EDITS, edited_policy
from tests.factories.units import SameUnit
from tests.services.conftest import new_account

HOUR = timedelta(hours=1)
EXAMPLES = 20  # of up to 5 residents each, per database and path
# No shrinking: each example is a database round, and the failing one is printed whole.
PHASES = (Phase.explicit, Phase.reuse, Phase.generate)
PROPERTY = settings(
    max_examples=EXAMPLES,
    phases=PHASES,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
POLICIES = ("binzhou-code", "shandong-pass")
VERSIONS = {name: builtin_policy(name).version for name in POLICIES}
REGIONS = ("420100", "370100", "110000", "371602")
SYMPTOMS = ("fever", "dry_cough", "fatigue", "shortness_of_breath", "respiratory")
EXPOSURES = ("confirmed", "close_contact", "febrile_contact", "high_risk_contact")
RECORDS = (
    "confirmed",
    "suspected",
    "positive",
    "close_contact",
    "quarantine",
    "travel",
    "fever_clinic",
    "fever_medicine",
    "exposure",
)

hours = st.integers(min_value=-20 * 24, max_value=6 * 24)  # around the first colouring
days = st.integers(min_value=-25, max_value=10)
temperature = st.sampled_from([None, 36.4, 36.9, 37.3, 38.2])


@dataclass(frozen=True)
class Person:
    declarations: list[dict[str, Any]]
    reports: list[dict[str, Any]]
    records: list[dict[str, Any]]
    credit: int | None
    account: bool


observations = st.fixed_dictionaries(
    {
        "at": hours,
        "temperature": temperature,
        "symptoms": st.lists(st.sampled_from(SYMPTOMS), max_size=2, unique=True),
        "exposures": st.lists(
            st.fixed_dictionaries(
                {"kind": st.sampled_from(EXPOSURES), "start": days, "end": st.none() | days}
            ),
            max_size=1,
        ),
        "trips": st.lists(
            st.fixed_dictionaries({"region": st.sampled_from(REGIONS), "end": days}), max_size=1
        ),
    }
)
declarations = st.builds(
    lambda obs, policy, signed, colour: {
        **obs,
        "policy": policy,
        "signed": signed,
        "colour": colour,
    },
    observations,
    st.sampled_from(POLICIES),
    st.none() | st.integers(min_value=0, max_value=72),
    st.sampled_from(["green", "yellow", "red"]),
)
records = st.fixed_dictionaries(
    {
        "kind": st.sampled_from(RECORDS),
        "received": hours,
        "start": st.none() | days,
        "end": st.none() | days,
        "region": st.none() | st.sampled_from(REGIONS),
        "setting": st.none() | st.sampled_from(["home", "company", "centralised"]),
        "withdrawn": st.none() | st.integers(min_value=1, max_value=10 * 24),
    }
)
people = st.lists(
    st.builds(
        Person,
        st.lists(declarations, min_size=1, max_size=3),
        st.lists(observations, max_size=12),
        st.lists(records, max_size=3),
        st.none() | hours,
        st.booleans(),
    ),
    min_size=1,
    max_size=5,
)
later = st.integers(min_value=0, max_value=20 * 24)  # hours from the first colouring


@pytest.fixture
def issuer(uow: UnitOfWork, env: Env) -> uuid.UUID:
    return new_account(uow, env, "13900009999").id


class TestSameResultAsOneByOne:
    @PROPERTY
    @given(population=people, after=later)
    def test_rollover_path(
        self,
        uow: UnitOfWork,
        env: Env,
        clock: FixedClock,
        issuer: uuid.UUID,
        population: list[Person],
        after: int,
    ) -> None:
        with _example(uow, clock) as start:
            keys = _populate(uow, env, clock, issuer, population, start)
            clock.set(start + after * HOUR)
            one = _outcome(uow, lambda: _one_by_one(uow, env, keys, Cause.TIME, None, ""))
            many = _outcome(uow, lambda: recolour_codes(uow, env, keys=keys, cause=Cause.TIME))
            assert many == one
            event(f"time changes: {sum(h[7] == 'time' for h in one['history']) > 0}")

    @PROPERTY
    @given(population=people, after=later)
    def test_import_path(
        self,
        uow: UnitOfWork,
        env: Env,
        clock: FixedClock,
        issuer: uuid.UUID,
        population: list[Person],
        after: int,
    ) -> None:
        """An import's residents: every code they hold, with the actor and the note."""
        with _example(uow, clock) as start:
            keys = _populate(uow, env, clock, issuer, population, start)
            clock.set(start + after * HOUR)
            residents = sorted({r for r, _ in keys})
            actor, note = issuer, "health: contacts.csv"
            one = _outcome(
                uow,
                lambda: [
                    recolour_resident(
                        uow, env, resident_id=r, cause=Cause.DATA, actor_id=actor, note=note
                    )
                    for r in residents
                ],
            )
            many = _outcome(
                uow,
                lambda: recolour_residents(
                    uow, env, resident_ids=residents, cause=Cause.DATA, actor_id=actor, note=note
                ),
            )
            assert many == one


class TestRolloverAlongStatesAhead:
    """The rollover moves due codes along the states their last evaluation wrote
    ahead (``codes.ahead``, in SQL on PostgreSQL) and evaluates the rest."""

    @PROPERTY
    @given(population=people, first=later, second=later)
    def test_two_rollovers_write_what_evaluating_the_due_codes_writes(
        self,
        uow: UnitOfWork,
        env: Env,
        clock: FixedClock,
        issuer: uuid.UUID,
        population: list[Person],
        first: int,
        second: int,
    ) -> None:
        """Two rollovers, the second from what the first wrote, against the due codes
        recoloured one by one at the same two instants."""
        with _example(uow, clock) as start:
            _populate(uow, env, clock, issuer, population, start)
            instants = [start + first * HOUR, start + (first + second) * HOUR]
            one = _outcome(uow, lambda: _rollovers(uow, env, clock, instants, engine=True))
            advanced: list[int] = []
            many = _outcome(
                uow, lambda: advanced.extend(_rollovers(uow, env, clock, instants, engine=False))
            )
            assert many == one
            event(f"advanced along states ahead: {sum(advanced) > 0}")

    def test_a_code_changed_by_time_alone_is_advanced_without_the_engine(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, issuer: uuid.UUID
    ) -> None:
        ahead_kept = uow.code_batches.advances()  # PostgreSQL: states ahead kept
        [(resident, policy)] = _populate(uow, env, clock, issuer, [LAPSING], clock.now())
        clock.set(clock.now() + 3 * 24 * HOUR)  # two days without a report
        done = rollover(SameUnit(uow), env)  # type: ignore[arg-type]
        uow.session.expire_all()
        code = uow.codes.of_resident(resident, policy)
        assert code is not None
        assert (done.checked, done.changed, code.colour) == (1, 1, "yellow")
        assert done.advanced == (1 if ahead_kept else 0)
        [latest, *_] = uow.codes.history(code.id)
        assert (latest.cause, latest.to_colour) == ("time", "yellow")


class TestTopUpByDay:
    """By day, codes the coming night's rollover would give the engine (their states
    ahead used up) are evaluated, so that the rollover moves them in SQL."""

    @PROPERTY
    @given(population=people, days=st.integers(min_value=0, max_value=3), spent=st.booleans())
    def test_the_night_after_a_top_up_writes_what_evaluating_the_due_codes_writes(
        self,
        uow: UnitOfWork,
        env: Env,
        clock: FixedClock,
        issuer: uuid.UUID,
        population: list[Person],
        days: int,
        spent: bool,
    ) -> None:
        """A top-up one afternoon, then the rollover after midnight, against the codes
        it takes recoloured one by one that afternoon and the due codes one by one at
        night (evaluated early, a code records then what a fact stored since its last
        evaluation changed, as any write at that instant would: the tests' facts are
        stored ahead of their instants); ``spent``: every code's states ahead used up
        before (or never written: an import's, a policy change's)."""
        with _example(uow, clock) as start:
            _populate(uow, env, clock, issuer, population, start)
            if spent:
                uow.session.execute(update(t.Code).values(ahead=[]))
            afternoon = start_of(day_of(start) + timedelta(days=days)) + 15.5 * HOUR
            night = start_of(day_of(afternoon) + timedelta(days=1)) + NIGHT

            def one_by_one() -> list[int]:
                clock.set(afternoon)
                _one_by_one(uow, env, _running_out(uow, env, night), Cause.TIME, None, "")
                return _rollovers(uow, env, clock, [night], engine=True)

            one = _outcome(uow, one_by_one)
            topped: list[int] = []

            def top_up_then_roll_over() -> list[int]:
                clock.set(afternoon)
                topped.append(top_up(SameUnit(uow), env, before=night).checked)  # type: ignore[arg-type]
                again = top_up(SameUnit(uow), env, before=night)  # type: ignore[arg-type]
                assert again.checked == 0  # what the engine must do at night is left to it
                return _rollovers(uow, env, clock, [night], engine=False)

            many = _outcome(uow, top_up_then_roll_over)
            assert many == one
            event(f"topped up: {topped[0] > 0}")

    def test_a_code_whose_states_ahead_ran_out_is_advanced_at_night(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, issuer: uuid.UUID
    ) -> None:
        ahead_kept = uow.code_batches.advances()  # PostgreSQL: states ahead kept
        start = clock.now()
        _populate(uow, env, clock, issuer, [LAPSING], start)
        code = uow.session.scalars(select(t.Code)).one()
        code.ahead = []  # used up, or written by an import
        uow.flush()
        night = start_of(day_of(start) + timedelta(days=1)) + NIGHT
        clock.set(start_of(day_of(start)) + 15.5 * HOUR)
        topped = top_up(SameUnit(uow), env, before=night)  # type: ignore[arg-type]
        again = top_up(SameUnit(uow), env, before=night)  # type: ignore[arg-type]
        clock.set(night)
        done = rollover(SameUnit(uow), env)  # type: ignore[arg-type]
        assert (topped.checked, topped.changed, again.checked) == (
            (1, 0, 0) if ahead_kept else (0, 0, 0)
        )
        assert (done.checked, done.advanced) == ((1, 1) if ahead_kept else (1, 0))

    def test_a_code_whose_states_ahead_end_tonight_is_left_to_the_night(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, issuer: uuid.UUID
    ) -> None:
        """A pass signed red for a fever four days ago lapses at midnight and stays red
        for the symptom: a state only the engine may write (``steps_ahead``), where an
        evaluation by day would stop again. The top-up used to evaluate it in vain,
        as often as it ran (twice here); now it leaves it to the night."""
        start = clock.now()
        _populate(uow, env, clock, issuer, [EXPIRING], start)
        clock.set(start_of(day_of(start)) + 15.5 * HOUR)
        night = start_of(day_of(start) + timedelta(days=1)) + NIGHT
        topped = [top_up(SameUnit(uow), env, before=night).checked for _ in range(2)]  # type: ignore[arg-type]
        clock.set(night)
        done = rollover(SameUnit(uow), env)  # type: ignore[arg-type]
        code = uow.session.scalars(select(t.Code)).one()
        uow.session.refresh(code)
        assert topped == [0, 0]
        assert (done.checked, done.advanced, code.colour) == (1, 0, "red")
        assert "SD-EXPIRED" in [reason["rule_id"] for reason in code.state["reasons"]]


def _running_out(uow: UnitOfWork, env: Env, before: datetime) -> list[tuple[uuid.UUID, str]]:
    """The codes a top-up takes now (none on SQLite, which keeps no states ahead)."""
    if not uow.code_batches.advances():
        return []
    now, found = env.clock.now(), []
    for policy_id in env.policies:
        policy = env.policies.find(policy_id)
        ids = uow.code_batches.running_out(
            policy.id, policy.version, now=now, before=before, after=None, limit=1000
        )
        found += [(resident_id, policy.id) for resident_id in ids]
    return sorted(found)


def _rollovers(
    uow: UnitOfWork, env: Env, clock: FixedClock, instants: list[datetime], *, engine: bool
) -> list[int]:
    """At each instant, the rollover, or (``engine``) the due codes one by one; the
    codes the rollover advanced along their states ahead."""
    advanced = []
    for at in instants:
        clock.set(at)
        if engine:
            due = select(t.Code.resident_id, t.Code.policy_id).where(t.Code.recheck_at <= at)
            keys = [(r, p) for r, p in uow.session.execute(due)]
            _one_by_one(uow, env, sorted(keys), Cause.TIME, None, "")
        else:
            advanced.append(rollover(SameUnit(uow), env).advanced)  # type: ignore[arg-type]
        uow.flush()
        uow.session.expire_all()
    return advanced


# One signed Shandong pass, declared an hour before: it lapses to yellow by itself.
LAPSING = Person(
    [{"at": -1, "temperature": 36.5, "symptoms": [], "exposures": [], "trips": [],
      "policy": "shandong-pass", "signed": 1, "colour": "green"}],
    [], [], None, True,
)  # fmt: skip
# A pass signed red for a fever 106 hours before (it lapses at the next midnight).
EXPIRING = Person(
    [{"at": -106, "temperature": None, "symptoms": ["fever"], "exposures": [], "trips": [],
      "policy": "shandong-pass", "signed": 0, "colour": "red"}],
    [], [], None, False,
)  # fmt: skip


class TestRollover:
    def test_twice_for_the_same_instant_changes_nothing_the_second_time(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, issuer: uuid.UUID
    ) -> None:
        person = Person(
            [{"at": -1, "temperature": 36.5, "symptoms": [], "exposures": [], "trips": [],
              "policy": "shandong-pass", "signed": 1, "colour": "green"}],
            [], [], None, True,
        )  # fmt: skip
        start = clock.now()
        _populate(uow, env, clock, issuer, [person], start)
        clock.set(start + 3 * 24 * HOUR)  # two days without a report
        first = rollover(SameUnit(uow), env)  # type: ignore[arg-type]
        second = rollover(SameUnit(uow), env)  # type: ignore[arg-type]
        assert (first.checked, first.changed) == (1, 1)
        assert (second.checked, second.changed) == (0, 0)


def _declared(temperature: float) -> Person:
    """One Binzhou declaration, nothing else declared, an hour before the example's
    instant."""
    return Person(
        [{"at": -1, "temperature": temperature, "symptoms": [], "exposures": [], "trips": [],
          "policy": "binzhou-code", "signed": None, "colour": "green"}],
        [], [], None, True,
    )  # fmt: skip


FEVERISH = _declared(38.2)  # yellow
WELL = _declared(36.5)  # green


class TestPolicyChange:
    def test_codes_of_an_older_version_are_recoloured_with_cause_policy(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, issuer: uuid.UUID
    ) -> None:
        start = clock.now()
        _populate(uow, env, clock, issuer, [FEVERISH], start)
        code = uow.session.scalars(select(t.Code)).one()
        code.policy_version, code.colour = "2020-01-01.1", "green"
        code.state = {"colour": "green", "reasons": []}
        uow.flush()
        done = apply_policy(SameUnit(uow), env, policy_id="binzhou-code")  # type: ignore[arg-type]
        uow.session.refresh(code)
        assert (done.checked, done.changed, code.colour) == (1, 1, "yellow")
        latest = uow.codes.history(code.id)[0]
        assert (latest.cause, latest.policy_version) == ("policy", VERSIONS["binzhou-code"])
        again = apply_policy(SameUnit(uow), env, policy_id="binzhou-code")  # type: ignore[arg-type]
        assert again.checked == 0


class TestPolicyChangeOfWordsAlone:
    """A new version whose stored parts are those of the older one (a title, the form,
    the checkpoint's words): its codes take the new name, not a new evaluation."""

    @PROPERTY
    @given(population=people, after=later)
    def test_codes_take_the_new_name_with_the_states_evaluating_under_it_gave(
        self,
        uow: UnitOfWork,
        env: Env,
        clock: FixedClock,
        issuer: uuid.UUID,
        population: list[Person],
        after: int,
    ) -> None:
        """The codes were evaluated under the version in force; named as of an older
        version that meant the same, a policy change gives back exactly what that
        evaluation wrote (state, colour, recheck, history), however long after."""
        with _example(uow, clock) as start:
            _populate(uow, env, clock, issuer, population, start)
            evaluated = _snapshot(uow)
            for policy_id in POLICIES:
                _named_as_older(uow, env, policy_id, OLDER, change=None)
            clock.set(start + after * HOUR)
            done = [apply_policy(SameUnit(uow), env, policy_id=p) for p in POLICIES]  # type: ignore[arg-type]
            uow.session.expire_all()
            assert _snapshot(uow) == evaluated
            assert sum(d.checked for d in done) == 0  # none evaluated again
            assert sum(d.relabelled for d in done) == len(evaluated["codes"])

    def test_an_older_version_with_other_rules_is_evaluated_again(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, issuer: uuid.UUID
    ) -> None:
        start = clock.now()
        _populate(uow, env, clock, issuer, [FEVERISH], start)
        _named_as_older(uow, env, "binzhou-code", OLDER, change=("fever_threshold_c", 37.5))
        clock.set(start + HOUR)
        done = apply_policy(SameUnit(uow), env, policy_id="binzhou-code")  # type: ignore[arg-type]
        code = uow.session.scalars(select(t.Code)).one()
        uow.session.refresh(code)
        assert done.checked == 1
        assert (code.policy_version, code.evaluated_at) == (VERSIONS["binzhou-code"], clock.now())


class TestPolicyChangeOfSomeRules:
    """A new version that changed only rules on items (``policy_reach``): the residents
    one of those rules holds on are evaluated again, the others' codes renamed."""

    @PROPERTY
    @given(population=people, edit=st.sampled_from(sorted(RULE_EDITS)))
    def test_every_code_is_what_evaluating_it_under_the_new_version_gives(
        self,
        uow: UnitOfWork,
        env: Env,
        clock: FixedClock,
        issuer: uuid.UUID,
        population: list[Person],
        edit: str,
    ) -> None:
        """Codes evaluated under an older version, recorded; the policy change gives
        each code, its history and its notifications exactly what evaluating every code
        one by one under the version in force gives, at the same instant."""
        older = edited_policy(RULE_EDITS[edit][0], OLDER)
        earlier = replace(env, policies=Policies({**env.policies, older.id: older}))
        with _example(uow, clock) as start:
            keys = _populate(uow, earlier, clock, issuer, population, start)
            _recorded(uow, older)
            mine = [key for key in keys if key[1] == older.id]
            expected = _outcome(uow, lambda: _one_by_one(uow, env, mine, Cause.POLICY, None, ""))
            done: list[Recoloured] = []
            actual = _outcome(
                uow,
                lambda: done.append(apply_policy(SameUnit(uow), env, policy_id=older.id)),  # type: ignore[arg-type]
            )
            assert actual == expected
            assert done[0].checked + done[0].relabelled == len(mine)
            event(f"{edit}: {'some' if done[0].relabelled else 'none'} renamed")


class TestPolicyChangeOfTheGreenNextStep:
    """An older version with other words for the green next step: every code is
    renamed, and a state that shows the green next step (a health code no rule holds
    for) takes the new words, in the code and in the states ahead."""

    def test_the_codes_are_renamed_and_those_showing_it_take_the_new_words(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, issuer: uuid.UUID
    ) -> None:
        earlier = _with_older_green(uow, env)
        keys = _populate(uow, earlier, clock, issuer, [WELL, FEVERISH], clock.now())
        expected = _outcome(uow, lambda: _one_by_one(uow, env, keys, Cause.POLICY, None, ""))
        done: list[Recoloured] = []
        actual = _outcome(
            uow,
            lambda: done.append(apply_policy(SameUnit(uow), env, policy_id="binzhou-code")),  # type: ignore[arg-type]
        )
        assert actual == expected
        assert (done[0].checked, done[0].relabelled) == (0, 2)
        shown = [c[1]["next_step"] for c in actual["codes"].values()]
        green = dict(env.policies.find("binzhou-code").green_next_step)
        assert shown.count(green) == 1  # the fever's next step is its rule's

    def test_states_ahead_that_show_it_take_the_new_words_in_their_order(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, issuer: uuid.UUID
    ) -> None:
        """A yellow code whose states ahead turn green (made here from the two codes'
        own states): the green one takes the new words, the yellow one keeps its
        rule's. On SQLite no state ahead is kept: the rollover evaluates there."""
        ahead_kept = uow.code_batches.advances()  # PostgreSQL: states ahead kept
        _populate(uow, _with_older_green(uow, env), clock, issuer, [WELL, FEVERISH], clock.now())
        well, fever = sorted(uow.session.scalars(select(t.Code)), key=lambda c: c.colour)
        ahead = [{"t": 1, "state": fever.state}, {"t": 2, "state": well.state}]
        fever.ahead = ahead
        uow.flush()
        apply_policy(SameUnit(uow), env, policy_id="binzhou-code")  # type: ignore[arg-type]
        uow.session.refresh(fever)
        green = dict(env.policies.find("binzhou-code").green_next_step)
        assert well.state["next_step"] != green  # the older version's words
        renamed = [ahead[0], {"t": 2, "state": {**well.state, "next_step": green}}]
        assert fever.ahead == (renamed if ahead_kept else [])


def _with_older_green(uow: UnitOfWork, env: Env) -> Env:
    """``env`` with the Binzhou code of ``OLDER`` in force, whose green next step said
    other words; that version recorded, as the server records each it first sees."""
    older = edited_policy(RULE_EDITS[GREEN_REWORDED][0], OLDER)
    _recorded(uow, older)
    return replace(env, policies=Policies({**env.policies, older.id: older}))


class TestColourCache:
    def test_a_page_forgets_its_residents_once_it_commits(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, issuer: uuid.UUID
    ) -> None:
        [(resident, policy)] = _populate(uow, env, clock, issuer, [WELL], clock.now())
        env.cache = LocalCache()
        ticket = colour_cache.get(env, resident, policy)
        assert isinstance(ticket, Ticket)
        state = State(policy=policy, colour=Colour.GREEN, evaluated_at=clock.now())
        colour_cache.put(env, resident, policy, colour_cache.entry(state, "1"), ticket)
        recolour_codes(uow, env, keys=[(resident, policy)], cause=Cause.TIME)
        before = colour_cache.get(env, resident, policy)
        assert isinstance(before, colour_cache.CachedColour)  # kept until the commit
        uow.commit()
        assert isinstance(colour_cache.get(env, resident, policy), Ticket)


# -- the population --------------------------------------------------------------------


@contextmanager
def _example(uow: UnitOfWork, clock: FixedClock) -> Iterator[datetime]:
    """Each example in a savepoint rolled back after it, at the fixture's instant."""
    start = clock.now()
    savepoint = uow.session.begin_nested()
    try:
        yield start
    finally:
        savepoint.rollback()
        uow.session.expunge_all()
        clock.set(start)


def _populate(
    uow: UnitOfWork,
    env: Env,
    clock: FixedClock,
    issuer: uuid.UUID,
    population: list[Person],
    start: datetime,
) -> list[tuple[uuid.UUID, str]]:
    """Write the population's facts, then colour each code one by one at `start`: the
    (resident, policy) of the codes that exist then."""
    today = day_of(start)
    uow.add(
        t.HighRiskRegion(
            id=uuid.uuid4(), region="4201", start=today - timedelta(days=30), end=None,
            department="health", source_id=f"hr-{uuid.uuid4()}", received_at=start - 40 * 24 * HOUR,
        )
    )  # fmt: skip
    keys: set[tuple[uuid.UUID, str]] = set()
    for n, person in enumerate(population):
        resident = _resident(uow, env, n)
        if person.account:
            account = new_account(uow, env, f"1370000{n:04d}")
            account.resident_id = resident.id
        for d in person.declarations:
            row = _declaration(uow, resident.id, d, start, today)
            keys.add((resident.id, d["policy"]))
            if d["policy"] == "shandong-pass" and d["signed"] is not None:
                signed = start + (d["at"] + d["signed"]) * HOUR
                uow.add(
                    t.Signature(
                        id=uuid.uuid4(), declaration_id=row.id, resident_id=resident.id,
                        issuer_id=issuer, colour=d["colour"], note="", signed_at=signed,
                    )
                )  # fmt: skip
        for r in person.reports:
            at = start + r["at"] * HOUR
            uow.add(
                t.DailyReport(
                    id=uuid.uuid4(), resident_id=resident.id, policy_id="binzhou-code",
                    reported_at=at, day=day_of(at), **_health(r, today),
                )
            )  # fmt: skip
        for rec in person.records:
            received = start + rec["received"] * HOUR
            withdrawn = rec["withdrawn"]
            uow.add(
                t.DataRecord(
                    id=uuid.uuid4(), resident_id=resident.id, kind=rec["kind"],
                    start=_day(today, rec["start"]), end=_day(today, rec["end"]),
                    region=rec["region"], source="test", received_at=received,
                    department="health", source_id=f"s-{uuid.uuid4()}", setting=rec["setting"],
                    withdrawn_at=received + withdrawn * HOUR if withdrawn else None,
                )
            )  # fmt: skip
        if person.credit is not None:
            uow.add(
                t.CreditRecord(
                    id=uuid.uuid4(), resident_id=resident.id, at=start + person.credit * HOUR,
                    reason="false_declaration", detail="",
                )
            )  # fmt: skip
    uow.flush()
    for resident_id, policy_id in sorted(keys):
        recolour(
            uow, env, resident_id=resident_id, policy=env.policies.find(policy_id),
            cause=Cause.DECLARATION,
        )  # fmt: skip
    uow.flush()
    held = {(c.resident_id, c.policy_id) for c in uow.session.scalars(select(t.Code))}
    return sorted(keys & held)  # a batch recolours codes that exist (a future fact makes none)


def _resident(uow: UnitOfWork, env: Env, n: int) -> t.Resident:
    number = f"{uuid.uuid4().int % 10**17:017d}"
    resident = t.Resident(
        id=uuid.uuid4(), ref=f"r{uuid.uuid4().hex[:12]}", name="张三", name_masked="*三",
        id_type="resident_id", id_hash=env.protector.keyed_hash(number, kind="id_number"),
        id_cipher=b"x", id_masked="371***", sex="M", birth_date=date(1980, 1, 1),
        nationality="CHN", region_code="371602", address="", created_at=env.clock.now(),
    )  # fmt: skip
    uow.add(resident)
    uow.flush()  # the ORM orders inserts by relationship, and these rows declare none
    return resident


def _declaration(
    uow: UnitOfWork, resident_id: uuid.UUID, d: dict[str, Any], start: datetime, today: date
) -> t.Declaration:
    at = start + d["at"] * HOUR
    row = t.Declaration(
        id=uuid.uuid4(), resident_id=resident_id, policy_id=d["policy"],
        policy_version=VERSIONS[d["policy"]], submitted_at=at, confirmed_at=at,
        residence_since=today - timedelta(days=60), destination="371602",
        destination_detail="", purpose="work", employer="", pledge="v1", checked_at=at,
        **_health(d, today),
    )  # fmt: skip
    uow.add(row)
    uow.flush()
    return row


def _health(obs: dict[str, Any], today: date) -> dict[str, Any]:
    return {
        "temperature": obs["temperature"],
        "symptoms": list(obs["symptoms"]),
        "exposures": [
            {"kind": e["kind"], "start": _iso(today, e["start"]), "end": _iso(today, e["end"])}
            for e in obs["exposures"]
        ],
        "trips": [{"region": x["region"], "end": _iso(today, x["end"])} for x in obs["trips"]],
    }


def _day(today: date, offset: int | None) -> date | None:
    return None if offset is None else today + timedelta(days=offset)


def _iso(today: date, offset: int | None) -> str | None:
    found = _day(today, offset)
    return found.isoformat() if found else None


# -- running a path and reading what it wrote -----------------------------------------


def _one_by_one(
    uow: UnitOfWork,
    env: Env,
    keys: list[tuple[uuid.UUID, str]],
    cause: Cause,
    actor_id: uuid.UUID | None,
    note: str,
) -> None:
    for resident_id, policy_id in keys:
        recolour(
            uow, env, resident_id=resident_id, policy=env.policies.find(policy_id), cause=cause,
            actor_id=actor_id, note=note,
        )  # fmt: skip


def _outcome(uow: UnitOfWork, run: Any) -> dict[str, Any]:
    """What `run` writes, read back; then undone."""
    savepoint = uow.session.begin_nested()
    try:
        run()
        uow.flush()
        uow.session.expire_all()
        return _snapshot(uow)
    finally:
        savepoint.rollback()
        uow.session.expire_all()


def _snapshot(uow: UnitOfWork) -> dict[str, Any]:
    s = uow.session
    codes = {
        (c.resident_id, c.policy_id): (
            c.colour, c.state, c.recheck_at, c.evaluated_at, c.valid_until, c.policy_version,
            c.application_id, c.awaiting_id, c.suggested, c.history_seq,
        )
        for c in s.scalars(select(t.Code))
    }  # fmt: skip
    history = sorted(
        (
            str(c.code_id), c.seq, c.at, c.from_colour, c.to_colour, tuple(c.rule_ids),
            c.policy_version, c.cause, c.actor_id, c.note,
        )
        for c in s.scalars(select(t.ColourChange))
    )  # fmt: skip
    notices = sorted(
        (str(n.resident_id), n.at, n.kind, repr(sorted(n.payload.items())))
        for n in s.scalars(select(t.Notification))
    )
    outbox = sorted(
        (m.kind, m.phone_masked or "", m.language, str(m.notification_id is not None))
        for m in s.scalars(select(t.OutboxMessage))
    )
    return {"codes": codes, "history": history, "notifications": notices, "outbox": outbox}


OLDER = "2020-01-01.1"


def _recorded(uow: UnitOfWork, policy: Policy) -> None:
    """``policy``'s text recorded, as the server records each version it first sees."""
    text = canonical_text(policy)
    uow.add(
        t.PolicyVersion(
            policy_id=policy.id, version=policy.version, fingerprint=fingerprint(text),
            content=text, first_seen_at=datetime(2020, 1, 1, tzinfo=UTC),
        )
    )  # fmt: skip


def _named_as_older(
    uow: UnitOfWork, env: Env, policy_id: str, older: str, change: tuple[str, Any] | None
) -> None:
    """The policy's codes as if evaluated under ``older``, recorded as the policy in
    force with another version (and, with ``change``, one parameter otherwise)."""
    content = json.loads(canonical_text(env.policies.find(policy_id)))
    content["version"] = older
    if change is not None:
        content["params"][change[0]] = change[1]
    text = canonical(content)
    uow.add(
        t.PolicyVersion(
            policy_id=policy_id,
            version=older,
            fingerprint=fingerprint(text),
            content=text,
            first_seen_at=datetime(2020, 1, 1, tzinfo=UTC),
        )
    )
    for code in uow.session.scalars(select(t.Code).where(t.Code.policy_id == policy_id)):
        code.policy_version = older
        code.state = {**code.state, "policy": f"{policy_id}@{older}"}
    uow.flush()
