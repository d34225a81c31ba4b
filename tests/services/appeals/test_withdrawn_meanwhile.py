"""An appeal against a record whose import the department rolls back before anyone
decides: the resident is told at once that the record no longer counts, with the
colour their code has without it; the appeal is still decided (upheld, the record
stays withdrawn should the department send it again). They heard nothing: the
timeline still read "sent to the office" while the code had changed."""

from __future__ import annotations

from sqlalchemy import select

from healthcode.domain.colour import Colour
from healthcode.services.appeals.appeals import list_disputable, show_appeal, submit_appeal
from healthcode.services.appeals.decisions import decide_appeal, list_waiting_appeals
from healthcode.services.notices.texts import describe
from healthcode.services.records.batches import roll_back_batch
from healthcode.services.records.recolouring import recolour_batch
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.appeals import POLICY, REASON, colour, health_officer
from tests.factories.units import SameUnit
from tests.services.records.helpers import csv_bytes, green_resident, run_import

HEADER = ("source_id", "id_number", "name", "start", "end")
UPHOLD = "经核查该居民当日不在通报场所，撤销密接记录"


def steps_told(uow: UnitOfWork, resident: object) -> list[str]:
    query = select(t.Notification).where(
        t.Notification.resident_id == resident, t.Notification.kind == "appeal_step"
    )
    return [n.payload["step"] for n in uow.session.scalars(query.order_by(t.Notification.at))]


def test_the_resident_is_told_and_the_appeal_is_still_decided(uow: UnitOfWork, env: Env) -> None:
    account, number = green_resident(uow, env)
    resident = account.resident_id
    assert resident is not None
    row = ("CC-7", number, "张三", "2020-02-22", "")
    sent = run_import(uow, env, csv_bytes([HEADER, row]))
    [record] = list_disputable(uow, env, resident_id=resident, policy_id=POLICY)
    officer = health_officer(uow, env)
    appeal = submit_appeal(
        uow, env, resident_id=resident, policy_id=POLICY, record_id=record.id, reason=REASON
    )

    roll_back_batch(uow, env, None, batch_id=sent.batch_id)
    recolour_batch(SameUnit(uow), env, batch_id=sent.batch_id)  # type: ignore[arg-type]

    assert colour(uow, env, resident) is Colour.GREEN
    mine = show_appeal(uow, env, resident_id=resident, appeal_id=appeal.id)
    assert mine.status == "open"
    assert [(s.step, s.colour) for s in mine.steps][-1] == ("withdrawn", Colour.GREEN)
    assert steps_told(uow, resident)[-1] == "withdrawn"
    # the recolouring run again (the job repeats an unfinished page): told once
    recolour_batch(SameUnit(uow), env, batch_id=sent.batch_id)  # type: ignore[arg-type]
    again = show_appeal(uow, env, resident_id=resident, appeal_id=appeal.id)
    assert [s.step for s in again.steps].count("withdrawn") == 1

    # still the department's to decide: upheld, a re-sent file does not bring it back
    assert [a.id for a in list_waiting_appeals(uow, env, officer)] == [appeal.id]
    decided = decide_appeal(uow, env, officer, appeal_id=appeal.id, uphold=True, note=UPHOLD)
    # already green without it: the decision leaves the code as it is, and says so
    assert [s.step for s in decided.steps][-3:] == ["withdrawn", "upheld", "unchanged"]
    told = uow.session.scalars(
        select(t.Notification.payload).where(t.Notification.kind == "appeal_step")
    ).all()
    [last] = [p for p in told if p["step"] == "unchanged"]
    headline = describe("appeal_step", last, env.policies).title
    # stop 44, an outside probe: "…other reasons keep it green", and nothing did
    assert "已" in headline
    assert "其他原因" not in headline
    resent = run_import(uow, env, csv_bytes([HEADER, row]))
    assert [r.code for r in resent.refusals] == ["record_withdrawn"]
    assert colour(uow, env, resident) is Colour.GREEN


def test_an_appeal_on_a_record_in_force_is_not_told_anything(uow: UnitOfWork, env: Env) -> None:
    """Another resident's record was in the rolled-back file; this one's stays."""
    account, number = green_resident(uow, env)
    resident = account.resident_id
    assert resident is not None
    run_import(uow, env, csv_bytes([HEADER, ("CC-8", number, "张三", "2020-02-22", "")]))
    [record] = list_disputable(uow, env, resident_id=resident, policy_id=POLICY)
    submit_appeal(
        uow, env, resident_id=resident, policy_id=POLICY, record_id=record.id, reason=REASON
    )
    _, other_number = green_resident(uow, env)
    rolled = run_import(
        uow, env, csv_bytes([HEADER, ("CC-9", other_number, "李四", "2020-02-22", "")])
    )
    roll_back_batch(uow, env, None, batch_id=rolled.batch_id)
    recolour_batch(SameUnit(uow), env, batch_id=rolled.batch_id)  # type: ignore[arg-type]
    assert "withdrawn" not in steps_told(uow, resident)
