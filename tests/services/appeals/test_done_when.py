"""Issue 13's "done when", last part: a close-contact file from the health commission,
imported as a department sends it, turns a resident red; they appeal, the
department's officer upholds, the record is withdrawn and they are green again, with
the history showing it."""

from __future__ import annotations

from healthcode.domain.colour import Colour
from healthcode.services.appeals.appeals import list_disputable, submit_appeal
from healthcode.services.appeals.decisions import decide_appeal
from healthcode.services.codes.health_codes import list_colour_changes
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.factories.appeals import POLICY, REASON, colour, health_officer
from tests.services.records.helpers import csv_bytes, green_resident, run_import

HEADER = ("source_id", "id_number", "name", "start", "end")
NOTE = "经流调复核，该居民当日未到过通报场所，撤销密接记录"


def test_an_imported_close_contact_appeals_and_is_green_again(uow: UnitOfWork, env: Env) -> None:
    account, number = green_resident(uow, env)
    assert account.resident_id is not None
    resident = account.resident_id
    report = run_import(uow, env, csv_bytes([HEADER, ("CC-7", number, "张三", "2020-02-22", "")]))
    assert report.added == 1
    assert colour(uow, env, resident) is Colour.RED

    [record] = list_disputable(uow, env, resident_id=resident, policy_id=POLICY)
    assert (record.kind, record.source, record.behind_colour) == ("close_contact", "health", True)
    appeal = submit_appeal(
        uow, env, resident_id=resident, policy_id=POLICY, record_id=record.id, reason=REASON
    )
    decide_appeal(uow, env, health_officer(uow, env), appeal_id=appeal.id, uphold=True, note=NOTE)

    assert colour(uow, env, resident) is Colour.GREEN
    history = list_colour_changes(uow, env, resident_id=resident, policy_id=POLICY)
    assert [(c.to_colour, c.cause) for c in history][:2] == [("green", "appeal"), ("red", "data")]
    assert history[0].note == NOTE
    again = run_import(uow, env, csv_bytes([HEADER, ("CC-7", number, "张三", "2020-02-22", "")]))
    # re-sending the file does not undo it, and the department is told why
    assert (again.added, again.unchanged, again.refused) == (0, 0, 1)
    assert [(r.field, r.code) for r in again.refusals] == [("source_id", "record_withdrawn")]
    assert colour(uow, env, resident) is Colour.GREEN
