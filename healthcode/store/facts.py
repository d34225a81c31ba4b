"""Load a resident's facts for the engine: rows in, domain values out."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from healthcode.domain.colour import Colour
from healthcode.domain.facts import (
    CreditRecord,
    DataRecord,
    Exposure,
    ExposureKind,
    Facts,
    HighRiskPeriod,
    Observation,
    ObservationKind,
    Override,
    QuarantineSetting,
    RecordKind,
    Signature,
    Symptom,
    Trip,
)
from healthcode.store import tables as t
from healthcode.store.batches import CodeBatches
from healthcode.store.repositories.codes import Signatures
from healthcode.store.repositories.organisations import Overrides
from healthcode.store.repositories.records import CreditRecords, DataRecords, HighRiskRegions
from healthcode.store.repositories.residents import DailyReports, Declarations


class FactsRepository:
    """A resident's facts for the engine, read through the repositories that own the
    rows: this module only turns rows into domain values, it writes no query."""

    def __init__(
        self,
        declarations: Declarations,
        daily_reports: DailyReports,
        signatures: Signatures,
        data_records: DataRecords,
        credit_records: CreditRecords,
        overrides: Overrides,
        high_risk_regions: HighRiskRegions,
    ) -> None:
        self.declarations = declarations
        self.daily_reports = daily_reports
        self.signatures = signatures
        self.data_records = data_records
        self.credit_records = credit_records
        self.overrides = overrides
        self.high_risk_regions = high_risk_regions

    def for_resident(self, resident_id: uuid.UUID, policy_id: str) -> Facts:
        """Everything the engine needs: this policy's declarations, every daily
        report (health facts hold for all codes), department and credit records."""
        declarations = self.declarations.confirmed(resident_id, policy_id)
        return _facts(
            declarations,
            self.daily_reports.of_resident(resident_id),
            self.signatures.for_declarations([d.id for d in declarations]),
            self.data_records.of_resident(resident_id),
            self.credit_records.of_resident(resident_id),
            self.overrides.approved(resident_id, policy_id),
            self.high_risk_regions.ever_listed(),
        )

    def for_residents(
        self, batches: CodeBatches, resident_ids: Sequence[uuid.UUID], policy_id: str
    ) -> dict[uuid.UUID, Facts]:
        """``for_resident`` of many residents, a query per kind of fact for them all."""
        declarations = batches.declarations(resident_ids, policy_id)
        signatures = batches.signatures([d.id for rows in declarations.values() for d in rows])
        reports = batches.daily_reports(resident_ids)
        records = batches.data_records(resident_ids)
        credits = batches.credit_records(resident_ids)
        approved = batches.overrides(resident_ids, policy_id)
        regions = self.high_risk_regions.ever_listed()
        found: dict[uuid.UUID, Facts] = {}
        for rid in resident_ids:
            mine = declarations.get(rid, [])
            found[rid] = _facts(
                mine,
                reports.get(rid, []),
                [s for d in mine for s in signatures.get(d.id, [])],
                records.get(rid, []),
                credits.get(rid, []),
                approved.get(rid, []),
                regions,
            )
        return found


def _facts(
    declarations: Sequence[t.Declaration],
    reports: Sequence[t.DailyReport],
    signatures: Sequence[t.Signature],
    records: Sequence[t.DataRecord],
    credits: Sequence[t.CreditRecord],
    approved: Sequence[t.ColourOverride],
    regions: Sequence[t.HighRiskRegion],
) -> Facts:
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
            for s in sorted(signatures, key=_signed)
        ),
        overrides=tuple(
            Override(str(o.id), o.decided_at, Colour(o.colour), o.reason, o.ends_at)
            for o in approved
            if o.decided_at is not None
        ),
        high_risk_periods=tuple(_high_risk(r) for r in regions),
    )


def _signed(row: t.Signature) -> tuple[datetime, uuid.UUID]:
    return row.signed_at, row.id


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
        row.department,
        QuarantineSetting(row.setting) if row.setting else None,
        row.withdrawn_at,
    )


def _high_risk(row: t.HighRiskRegion) -> HighRiskPeriod:
    return HighRiskPeriod(
        str(row.id), row.region, row.start, row.received_at, row.end, row.withdrawn_at
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
