"""Appeals of a manual colour, decided where the override was; and two decisions at once."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.errors import NotFound
from healthcode.services.appeals.appeals import list_disputable, submit_appeal
from healthcode.services.appeals.decisions import (
    AppealDecided,
    OwnDecision,
    decide_appeal,
    list_waiting_appeals,
)
from healthcode.services.codes.recolour import current_state
from healthcode.services.organisations.overrides import decide_override, propose_override
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.appeals import REASON, health_officer, listed
from tests.factories.organisations import authorised_issuer
from tests.services.organisations.conftest import committed, race
from tests.services.organisations.review import Community, community
from tests.services.organisations.test_overrides import fevered

__all__ = ["committed"]  # the fixture
POLICY = "shandong-pass"
NOTE = "复核视频，体温读数清楚为36.5℃，撤销人工黄码"


def painted(uow: UnitOfWork, env: Env, home: Community) -> tuple[uuid.UUID, uuid.UUID]:
    """A resident whose pass two officers painted red: (resident, override)."""
    resident = fevered(uow, env, home)
    second = authorised_issuer(uow, env, home.organisation.id)
    proposal = propose_override(
        uow,
        env,
        home.issuer,
        resident_id=resident,
        policy_id=POLICY,
        colour=Colour.RED,
        reason="视频中体温计读数为38.2℃，按规则赋红码",
    )
    decide_override(uow, env, second, override_id=proposal.id, approve=True)
    return resident, proposal.id


def colour(uow: UnitOfWork, env: Env, resident: uuid.UUID) -> Colour:
    policy = env.policies.find(POLICY)
    return current_state(uow, env, resident_id=resident, policy=policy).colour


def test_a_manual_colour_that_has_ended_is_not_appealed(uow: UnitOfWork, env: Env) -> None:
    """Past its end it colours nothing: the appeal went to the deciders' queue all the
    same, and the code had nothing of it to undo."""
    home = community(uow, env)
    resident, override = painted(uow, env, home)
    assert isinstance(env.clock, FixedClock)
    env.clock.advance(timedelta(days=7))  # a pass's override ends with its validity
    assert colour(uow, env, resident) is not Colour.RED
    with pytest.raises(NotFound):
        submit_appeal(
            uow, env, resident_id=resident, policy_id=POLICY, override_id=override, reason=REASON
        )


def test_a_manual_colour_is_appealed_to_its_organisation(uow: UnitOfWork, env: Env) -> None:
    home = community(uow, env)
    resident, override = painted(uow, env, home)
    assert colour(uow, env, resident) is Colour.RED
    [item] = list_disputable(uow, env, resident_id=resident, policy_id=POLICY)
    assert (item.subject, item.id, item.source) == ("override", override, home.organisation.name)
    appeal = submit_appeal(
        uow, env, resident_id=resident, policy_id=POLICY, override_id=override, reason=REASON
    )
    with pytest.raises(OwnDecision):  # the proposer does not review their own colour
        decide_appeal(uow, env, home.issuer, appeal_id=appeal.id, uphold=True, note=NOTE)
    elsewhere = community(uow, env, region="370102")
    with pytest.raises(NotFound):
        decide_appeal(uow, env, elsewhere.issuer, appeal_id=appeal.id, uphold=True, note=NOTE)
    assert list_waiting_appeals(uow, env, health_officer(uow, env)) == []  # not a department's

    third = authorised_issuer(uow, env, home.organisation.id)
    decided = decide_appeal(uow, env, third, appeal_id=appeal.id, uphold=True, note=NOTE)

    assert decided.status == "upheld"
    assert colour(uow, env, resident) is Colour.PENDING  # the rules' own view again
    row = uow.overrides.by_id(override)
    assert row is not None
    assert row.status == "withdrawn"


def test_two_decisions_at_once_one_wins(committed: sessionmaker[Session], env: Env) -> None:
    units = UnitOfWorkFactory(committed)
    with units() as uow:
        person = listed(uow, env)
        appeal = submit_appeal(
            uow,
            env,
            resident_id=person.resident_id,
            policy_id="binzhou-code",
            record_id=person.record_id,
            reason=REASON,
        )
        first, second = health_officer(uow, env), health_officer(uow, env)
    outcome = race(
        units,
        lambda uow: decide_appeal(uow, env, first, appeal_id=appeal.id, uphold=True, note=NOTE),
        lambda uow: decide_appeal(uow, env, second, appeal_id=appeal.id, uphold=False, note=NOTE),
        AppealDecided,
    )
    assert len(outcome) == 1
    assert isinstance(outcome[0], AppealDecided)
    with units() as uow:
        row = uow.appeals.by_id(appeal.id)
        assert row is not None
        assert (row.status, [s.step for s in uow.appeals.steps(appeal.id)][-1]) == (
            "upheld",
            "restored",
        )


def test_an_appeal_against_a_later_manual_colour_leaves_the_rules_colour(
    uow: UnitOfWork, env: Env
) -> None:
    """Red, then green approved later: the upheld appeal against the green one brought
    the red one back (it was still approved and still the latest once green went)."""
    home = community(uow, env)
    resident, _ = painted(uow, env, home)
    second = authorised_issuer(uow, env, home.organisation.id)
    assert isinstance(env.clock, FixedClock)
    env.clock.advance(timedelta(hours=2))
    later = propose_override(
        uow, env, home.issuer, resident_id=resident, policy_id=POLICY, colour=Colour.GREEN,
        reason="复核视频体温36.6℃，改为绿码",
    )  # fmt: skip
    decide_override(uow, env, second, override_id=later.id, approve=True)
    assert colour(uow, env, resident) is Colour.GREEN
    appeal = submit_appeal(
        uow, env, resident_id=resident, policy_id=POLICY, override_id=later.id, reason=REASON
    )
    third = authorised_issuer(uow, env, home.organisation.id)
    decide_appeal(uow, env, third, appeal_id=appeal.id, uphold=True, note=NOTE)
    assert colour(uow, env, resident) is Colour.PENDING  # the rules', not the red one
