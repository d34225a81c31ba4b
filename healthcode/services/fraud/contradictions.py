"""Data contradictions: a declaration that names no stay in a region against a
department's travel record (transport tickets, carrier roaming, police checkpoints)
that puts the resident there in the days the declaration asked about
(``domain/fraud.py:contradicts``).

Checked when either side arrives: when a declaration is confirmed
(``residents/declarations.py``) and, for each resident a travel import touched, after
it commits (``records/recolouring.py``). A pair already cited in one of the
resident's cases (open or decided) is not raised again, so a re-run, a re-import or a
dismissed case never reopens it.
"""

from __future__ import annotations

import uuid
from datetime import date

from healthcode.domain.clock import day_of
from healthcode.domain.facts import RecordKind
from healthcode.domain.fraud import Cause, DeclaredTrips, TravelStay, contradicts
from healthcode.services.fraud.cases import add_evidence, case_for
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

DEFAULT_WINDOW_DAYS = 14  # "近14天": a policy's own ``window_days`` wins


def check_resident(uow: UnitOfWork, env: Env, *, resident_id: uuid.UUID) -> t.FraudCase | None:
    """Raise the resident's contradictions not raised before: their case (opened, or
    the undecided one, with each declaration and record added), or None."""
    resident = uow.residents.by_id(resident_id)
    if resident is None:
        return None
    stays = [
        r
        for r in uow.data_records.of_resident(resident_id)
        if r.kind == RecordKind.TRAVEL and r.withdrawn_at is None
    ]
    if not stays:
        return None
    pairs = []
    for policy_id, policy in env.policies.items():
        window = int(policy.params.get("window_days", DEFAULT_WINDOW_DAYS))
        for row in uow.declarations.confirmed(resident_id, policy_id):
            declared = _declared(row)
            pairs += [
                (row, stay)
                for stay in stays
                if contradicts(declared, _stay(stay), home=resident.region_code, window_days=window)
            ]
    cited = uow.fraud_cases.cited(
        resident_id, Cause.UNDECLARED_TRAVEL, [x.id for pair in pairs for x in pair]
    )
    fresh = [(d, r) for d, r in pairs if not {d.id, r.id} <= cited]
    if not fresh:
        return None
    case = case_for(uow, env, resident_id, Cause.UNDECLARED_TRAVEL)
    for declaration, record in fresh:
        add_evidence(uow, env, case, "declaration", declaration.id, {"record": str(record.id)})
        add_evidence(uow, env, case, "record", record.id, {"declaration": str(declaration.id)})
    return case


def _declared(row: t.Declaration) -> DeclaredTrips:
    assert row.confirmed_at is not None
    return DeclaredTrips(
        id=str(row.id),
        day=day_of(row.confirmed_at),
        trips=tuple(
            (str(x.get("region", "")), _day(x.get("start")), _day(x.get("end")) or date.min)
            for x in row.trips
            if isinstance(x, dict)
        ),
    )


def _stay(row: t.DataRecord) -> TravelStay:
    return TravelStay(str(row.id), row.region or "", row.start, row.end)


def _day(value: object) -> date | None:
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
