"""Opening fraud cases, from each of their three sources.

* A gate report ("not the holder", ``scanning/releases.py``): one case per scan.
* A scan's anti-fraud flags (``domain/checkpoint.py``: the same display token at two
  venues, one resident at two distant venues within minutes): one undecided case per
  resident and cause; a further flagged scan is added to it as evidence.
* A contradiction (``contradictions.py``): one undecided case per resident, the
  declaration and the record as evidence.

A case's scope is fixed when it opens: the organisation the resident's latest
application went to, else the resident's region (as for manual colours), else, for a
code that named none of our residents, the venue's. Every opening is audit-logged.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from healthcode.domain.fraud import SOURCE_OF, Cause, Status, causes_of_flags, open_key
from healthcode.services.notices import events
from healthcode.services.notices.texts import Kind
from healthcode.services.organisations.officers import officers_of
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


def open_from_gate_report(
    uow: UnitOfWork, env: Env, *, scan: t.Scan, reported_by: uuid.UUID, client: str = ""
) -> tuple[t.FraudCase, bool]:
    """The operator's "not the holder" on ``scan``: its case, and whether it is new."""
    row = _new_case(uow, env, scan.resident_id, Cause.NOT_THE_HOLDER, venue_of=scan)
    row.scan_id, row.reported_by = scan.id, reported_by
    if not uow.fraud_cases.open_once(row):
        found = uow.fraud_cases.of_scan(scan.id)
        assert found is not None
        return found, False
    add_evidence(uow, env, row, "scan", scan.id, {"flags": list(scan.flags)})
    _opened(uow, env, row, reported_by, client)
    return row, True


def open_from_flags(uow: UnitOfWork, env: Env, *, scan: t.Scan) -> list[t.FraudCase]:
    """A recorded scan's duplicate-token and distance flags, each the resident's case
    for that cause (opened now, or the undecided one, with this scan added)."""
    if scan.resident_id is None:
        return []  # no resident to hold a case against (a foreign or unknown code)
    cases = []
    for cause in causes_of_flags(scan.flags):
        flag = next(f for f in scan.flags if isinstance(f, Mapping) and f.get("code") == cause)
        row = case_for(uow, env, scan.resident_id, cause)
        add_evidence(uow, env, row, "scan", scan.id, {"flag": dict(flag)})
        cases.append(row)
    return cases


def case_for(uow: UnitOfWork, env: Env, resident_id: uuid.UUID, cause: Cause) -> t.FraudCase:
    """The resident's undecided case for ``cause``, opened if there is none (also
    when a concurrent transaction opens it at the same moment: one wins, both use it)."""
    key = open_key(str(resident_id), cause)
    found = uow.fraud_cases.by_open_key(key)
    if found is not None:
        return found
    row = _new_case(uow, env, resident_id, cause)
    row.open_key = key
    if uow.fraud_cases.open_once(row):
        _opened(uow, env, row, None, "")
        return row
    found = uow.fraud_cases.by_open_key(key)
    assert found is not None
    return found


def add_evidence(
    uow: UnitOfWork,
    env: Env,
    case: t.FraudCase,
    kind: str,
    ref_id: uuid.UUID,
    detail: dict[str, Any] | None = None,
) -> bool:
    """Add an item (``scan``, ``record``, ``declaration``) to a case, once."""
    return uow.fraud_cases.add_evidence(
        t.FraudEvidence(
            id=uuid.uuid4(),
            case_id=case.id,
            kind=kind,
            ref_id=ref_id,
            at=env.clock.now(),
            detail=detail or {},
        )
    )


def _new_case(
    uow: UnitOfWork,
    env: Env,
    resident_id: uuid.UUID | None,
    cause: Cause,
    *,
    venue_of: t.Scan | None = None,
) -> t.FraudCase:
    organisation_id, region = _scope_of(uow, resident_id, venue_of)
    return t.FraudCase(
        id=uuid.uuid4(),
        resident_id=resident_id,
        at=env.clock.now(),
        status=Status.OPEN.value,
        source=SOURCE_OF[cause].value,
        cause=cause.value,
        organisation_id=organisation_id,
        region_code=region,
        proposal_reason="",
        decision_note="",
    )


def _scope_of(
    uow: UnitOfWork, resident_id: uuid.UUID | None, scan: t.Scan | None
) -> tuple[uuid.UUID | None, str]:
    resident = uow.residents.by_id(resident_id) if resident_id is not None else None
    if resident is not None:
        organisation_id = uow.declarations.latest_organisation(resident.id)
        organisation = uow.organisations.by_id(organisation_id) if organisation_id else None
        region = organisation.region_code if organisation is not None else resident.region_code
        return organisation_id, region
    venue = uow.venues.by_id(scan.venue_id) if scan is not None else None
    if venue is None:
        return None, ""
    return venue.organisation_id, venue.region_code


def _opened(
    uow: UnitOfWork, env: Env, row: t.FraudCase, actor_id: uuid.UUID | None, client: str
) -> None:
    """Audit-logged, and the officers who may review the case are told at once (the
    queue waited for someone to look)."""
    audit.record(
        uow,
        env,
        actor_id=actor_id,
        action="fraud.opened",
        resident_id=row.resident_id,
        detail={"case": str(row.id), "source": row.source, "cause": row.cause},
        client=client,
    )
    officers = officers_of(uow, row.organisation_id, row.region_code, excluding={actor_id})
    for account in sorted(officers):
        events.notify(
            uow,
            env,
            kind=Kind.FRAUD_WAITING,
            params={"case": str(row.id)},
            account_id=account,
            dedup_key=f"fraud:{row.id}:{account}",
        )
