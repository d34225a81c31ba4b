"""Appeals raced on real connections, each unit committing: on PostgreSQL the second
caller waits for the first one's locks; on SQLite the writers take turns."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.colour import Colour
from healthcode.services.appeals.appeals import AlreadyAppealed, show_appeal, submit_appeal
from healthcode.services.appeals.decisions import AppealDecided, decide_appeal
from healthcode.services.appeals.results import AppealView
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.appeals import POLICY, REASON, colour, health_officer, listed
from tests.services.organisations.conftest import race

UPHOLD = "经核查该居民当日不在通报场所，撤销密接记录"
REJECT = "经核查该居民确在通报时段到过该场所，维持原记录"


def test_two_officers_deciding_at_once_one_decision_stands(
    racing: sessionmaker[Session], env: Env
) -> None:
    """The second officer waits for the first one's lock, then finds it decided: the
    resident is told one decision, and the code follows that one."""
    units = UnitOfWorkFactory(racing)
    with units() as uow:
        person = listed(uow, env)
        first, second = health_officer(uow, env), health_officer(uow, env)
        made = submit_appeal(
            uow, env, resident_id=person.resident_id, policy_id=POLICY,
            record_id=person.record_id, reason=REASON,
        )  # fmt: skip
    outcome = race(
        units,
        lambda uow: decide_appeal(uow, env, first, appeal_id=made.id, uphold=True, note=UPHOLD),
        lambda uow: decide_appeal(uow, env, second, appeal_id=made.id, uphold=False, note=REJECT),
        AppealDecided,
    )
    assert len(outcome) == 1
    assert isinstance(outcome[0], AppealDecided)
    with units() as uow:
        mine = show_appeal(uow, env, resident_id=person.resident_id, appeal_id=made.id)
        assert mine.status == "upheld"
        assert [s.step for s in mine.steps][-2:] == ["upheld", "restored"]
        assert colour(uow, env, person.resident_id) is Colour.GREEN


def test_the_same_appeal_sent_twice_at_once_is_one_appeal(
    racing: sessionmaker[Session], env: Env
) -> None:
    """A double tap on a slow network: the second waits for the first's lock on the
    resident and finds the appeal open."""
    units = UnitOfWorkFactory(racing)
    with units() as uow:
        person = listed(uow, env)

    def send(uow: UnitOfWork) -> AppealView:
        return submit_appeal(
            uow, env, resident_id=person.resident_id, policy_id=POLICY,
            record_id=person.record_id, reason=REASON,
        )  # fmt: skip

    outcome = race(units, send, send, AlreadyAppealed)
    assert len(outcome) == 1
    assert isinstance(outcome[0], AlreadyAppealed)
    with units() as uow:
        assert len(uow.appeals.of_resident(person.resident_id)) == 1
