"""Load a resident's facts for the engine: rows in, domain values out."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from healthcode.domain.colour import Colour
from healthcode.domain.facts import (
    CreditRecord,
    DataRecord,
    Exposure,
    ExposureKind,
    Facts,
    Observation,
    ObservationKind,
    RecordKind,
    Signature,
    Symptom,
    Trip,
)
from healthcode.store import tables as t


class FactsRepository:
    def __init__(self, session: Session) -> None:
        self.session = session

    def for_resident(self, resident_id: uuid.UUID, policy_id: str) -> Facts:
        """Everything the engine needs: this policy's declarations, every daily
        report (health facts hold for all codes), department and credit records."""
        declarations = self.session.scalars(
            select(t.Declaration).where(
                t.Declaration.resident_id == resident_id,
                t.Declaration.policy_id == policy_id,
                t.Declaration.confirmed_at.is_not(None),
            )
        ).all()
        reports = self.session.scalars(
            select(t.DailyReport).where(t.DailyReport.resident_id == resident_id)
        ).all()
        ids = [d.id for d in declarations]
        signatures: Iterable[t.Signature] = (
            self.session.scalars(select(t.Signature).where(t.Signature.declaration_id.in_(ids)))
            if ids
            else ()
        )
        records = self.session.scalars(
            select(t.DataRecord).where(t.DataRecord.resident_id == resident_id)
        )
        credits = self.session.scalars(
            select(t.CreditRecord).where(t.CreditRecord.resident_id == resident_id)
        )
        return Facts(
            observations=(
                *(_declaration(d) for d in declarations),
                *(_report(r) for r in reports),
            ),
            records=tuple(_record(r) for r in records),
            credit_records=tuple(
                CreditRecord(str(c.id), c.at, c.reason, c.revoked_at) for c in credits
            ),
            signatures=tuple(
                Signature(
                    str(s.declaration_id), s.signed_at, Colour(s.colour), str(s.issuer_id), s.note
                )
                for s in signatures
            ),
        )


def _declaration(row: t.Declaration) -> Observation:
    assert row.confirmed_at is not None  # only confirmed declarations are facts
    return _observation(row, ObservationKind.DECLARATION, row.confirmed_at, row.residence_since)


def _report(row: t.DailyReport) -> Observation:
    return _observation(row, ObservationKind.DAILY_REPORT, row.reported_at, None)


def _observation(
    row: t.Declaration | t.DailyReport,
    kind: ObservationKind,
    at: datetime,
    residence_since: date | None,
) -> Observation:
    return Observation(
        id=str(row.id),
        kind=kind,
        at=at,
        temperature=row.temperature,
        symptoms=frozenset(Symptom(s) for s in row.symptoms),
        exposures=exposures_from(row.exposures),
        trips=trips_from(row.trips),
        residence_since=residence_since,
    )


def _record(row: t.DataRecord) -> DataRecord:
    return DataRecord(
        str(row.id),
        RecordKind(row.kind),
        row.received_at,
        row.start,
        row.end,
        row.region,
        row.source,
    )


def _day(value: Any) -> date | None:
    return date.fromisoformat(value) if value else None


def exposures_from(items: Iterable[Mapping[str, Any]]) -> tuple[Exposure, ...]:
    return tuple(
        Exposure(ExposureKind(e["kind"]), _day(e.get("start")), _day(e.get("end"))) for e in items
    )


def trips_from(items: Iterable[Mapping[str, Any]]) -> tuple[Trip, ...]:
    return tuple(
        Trip(str(x["region"]), date.fromisoformat(x["end"]), _day(x.get("start"))) for x in items
    )
