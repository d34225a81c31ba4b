"""A resident's facts for the engine come back whole from their one statement
(``store/facts.py``): every kind of row, each field where the engine reads it, and
nothing of another resident's or another code's."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import event

from healthcode.domain.colour import Colour
from healthcode.domain.facts import (
    CreditRecord,
    DataRecord,
    ExposureKind,
    HighRiskPeriod,
    ObservationKind,
    Override,
    QuarantineSetting,
    RecordKind,
    Signature,
    Symptom,
)
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.services.conftest import declare, new_account, report

POLICY = "binzhou-code"


def _facts_of_every_kind(uow: UnitOfWork, env: Env, resident_id: uuid.UUID) -> dict[str, Any]:
    """One row of each kind the engine reads besides declarations and reports."""
    now = env.clock.now()
    declaration = uow.session.query(t.Declaration).filter_by(resident_id=resident_id).one()
    staff = new_account(uow, env, "13900000001")
    rows: dict[str, Any] = {
        "signature": t.Signature(
            id=uuid.uuid4(), declaration_id=declaration.id, resident_id=resident_id,
            issuer_id=staff.id, colour="green", note="核签", signed_at=now,
        ),
        "record": t.DataRecord(
            id=uuid.uuid4(), resident_id=resident_id, kind="quarantine",
            start=date(2020, 2, 20), end=date(2020, 3, 5), region="371602", source="隔离名单",
            department="health", source_id="Q-1", received_at=now, setting="home",
            withdrawn_at=now + timedelta(hours=1),
        ),
        "credit": t.CreditRecord(
            id=uuid.uuid4(), resident_id=resident_id, at=now, reason="screenshot",
            revoked_at=now + timedelta(days=1),
        ),
        "override": t.ColourOverride(
            id=uuid.uuid4(), resident_id=resident_id, policy_id=POLICY, colour="yellow",
            reason="复核", ends_at=now + timedelta(days=3), status="approved",
            proposed_by=staff.id, proposed_at=now, decided_by=staff.id, decided_at=now,
            region_code="371602",
        ),
        "proposed": t.ColourOverride(  # not approved: no fact
            id=uuid.uuid4(), resident_id=resident_id, policy_id=POLICY, colour="red",
            reason="待批", status="proposed", proposed_by=staff.id, proposed_at=now,
            region_code="371602",
        ),
        "region": t.HighRiskRegion(
            id=uuid.uuid4(), region="4201", start=date(2020, 1, 20), end=None,
            department="health", source_id="HR-1", received_at=now,
        ),
    }  # fmt: skip
    for row in rows.values():
        uow.add(row)
    uow.flush()
    return rows


class TestFactsInOneStatement:
    def test_every_kind_of_fact_is_read_with_its_fields(self, uow: UnitOfWork, env: Env) -> None:
        mine = new_account(uow, env, "13800001234")
        declare(uow, env, mine, symptoms=["fever"], temperature=37.8)
        assert mine.resident_id is not None
        report(uow, env, mine, temperature=36.5)
        other = new_account(uow, env, "13800005678")
        declare(uow, env, other)  # another resident's facts stay theirs
        rows = _facts_of_every_kind(uow, env, mine.resident_id)
        statements: list[str] = []
        connection = uow.session.connection()
        listen = ("before_cursor_execute", lambda *a: statements.append(a[2]))
        event.listen(connection, *listen)
        try:
            facts = uow.facts.for_resident(mine.resident_id, POLICY)
        finally:
            event.remove(connection, *listen)
        assert len(statements) == 1

        declared, reported = facts.observations
        assert declared.kind is ObservationKind.DECLARATION
        assert declared.temperature == 37.8
        assert declared.symptoms == frozenset({Symptom.FEVER})
        assert reported.kind is ObservationKind.DAILY_REPORT
        assert reported.temperature == 36.5
        assert reported.exposures == ()
        assert reported.trips == ()

        signature, record, credit, override, region = (
            rows[k] for k in ("signature", "record", "credit", "override", "region")
        )
        assert facts.signatures == (
            Signature(str(signature.declaration_id), signature.signed_at, Colour.GREEN,
                      str(signature.issuer_id), "核签"),
        )  # fmt: skip
        assert facts.records == (
            DataRecord(str(record.id), RecordKind.QUARANTINE, record.received_at,
                       date(2020, 2, 20), date(2020, 3, 5), "371602", "health",
                       QuarantineSetting.HOME, record.withdrawn_at),
        )  # fmt: skip
        assert facts.credit_records == (
            CreditRecord(str(credit.id), credit.at, "screenshot", credit.revoked_at),
        )  # fmt: skip
        assert facts.overrides == (
            Override(str(override.id), override.decided_at, Colour.YELLOW, "复核",
                     override.ends_at),
        )  # fmt: skip
        assert facts.high_risk_periods == (
            HighRiskPeriod(str(region.id), "4201", date(2020, 1, 20), region.received_at,
                           None, None),
        )  # fmt: skip

    def test_a_resident_with_only_a_declaration(self, uow: UnitOfWork, env: Env) -> None:
        mine = new_account(uow, env, "13800004321")
        declare(uow, env, mine, exposures=[{"kind": "febrile_contact"}])
        assert mine.resident_id is not None
        facts = uow.facts.for_resident(mine.resident_id, POLICY)
        (declared,) = facts.observations
        assert [e.kind for e in declared.exposures] == [ExposureKind.FEBRILE_CONTACT]
        assert len(facts.records) + len(facts.credit_records) == 0
        assert len(facts.signatures) + len(facts.overrides) == 0
