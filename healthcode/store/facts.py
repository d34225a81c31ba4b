"""Load a resident's facts for the engine: rows in, domain values out."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    Date,
    Float,
    Row,
    Select,
    String,
    Uuid,
    bindparam,
    literal_column,
    null,
    select,
    union_all,
)

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
from healthcode.domain.policy import OBSERVED, Source
from healthcode.store import tables as t
from healthcode.store.batches import CodeBatches
from healthcode.store.repositories.codes import Signatures
from healthcode.store.repositories.organisations import Overrides
from healthcode.store.repositories.records import CreditRecords, DataRecords, HighRiskRegions
from healthcode.store.repositories.residents import DailyReports, Declarations
from healthcode.store.types import JSONType, UTCDateTime


class FactsRepository:
    """A resident's facts for the engine in one statement (``FACTS``): seven kinds of
    row as one ``UNION ALL``, each kind in the same slots; this module turns the
    rows into domain values. The repositories are those that own the rows."""

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
        self.session = declarations.session
        self.declarations = declarations
        self.daily_reports = daily_reports
        self.signatures = signatures
        self.data_records = data_records
        self.credit_records = credit_records
        self.overrides = overrides
        self.high_risk_regions = high_risk_regions

    def for_resident(self, resident_id: uuid.UUID, policy_id: str) -> Facts:
        """Everything the engine needs: this policy's declarations and their
        signatures, every daily report (health facts hold for all codes), department
        and credit records, approved overrides and every high-risk period."""
        rows: dict[str, list[Row[Any]]] = defaultdict(list)
        for row in self.session.execute(
            FACTS, {"resident_id": resident_id, "policy_id": policy_id}
        ):
            rows[row.kind].append(row)
        return Facts(
            observations=(
                *(_observation(r, ObservationKind.DECLARATION) for r in rows["declaration"]),
                *(_observation(r, ObservationKind.DAILY_REPORT) for r in rows["report"]),
            ),
            records=tuple(_record(r) for r in rows["record"]),
            credit_records=tuple(
                CreditRecord(str(r.id), r.at, r.text1, r.at2) for r in rows["credit"]
            ),
            signatures=tuple(
                Signature(str(r.ref), r.at, Colour(r.text1), str(r.ref2), r.text2)
                for r in rows["signature"]
            ),
            overrides=tuple(
                Override(str(r.id), r.at, Colour(r.text1), r.text2, r.at2)
                for r in rows["override"]
                if r.at is not None
            ),
            high_risk_periods=tuple(_high_risk(r) for r in rows["region"]),
        )

    def for_residents(
        self,
        batches: CodeBatches,
        resident_ids: Sequence[uuid.UUID],
        policy_id: str,
        sources: frozenset[Source] | None = None,
    ) -> dict[uuid.UUID, Facts]:
        """``for_resident`` of many residents, a query per kind of fact for them all.
        With ``sources``, only the facts the items of those sources are made of (a
        policy change's screen, ``engine.holds_anywhere``), the others empty."""
        every = sources is None  # signatures and overrides are no item's
        wanted = frozenset(Source) if sources is None else sources
        observed = bool(wanted & OBSERVED)
        declarations = batches.declarations(resident_ids, policy_id) if observed else {}
        ids = [d.id for rows in declarations.values() for d in rows]
        signatures = batches.signatures(ids) if every else {}
        reports = batches.daily_reports(resident_ids) if observed else {}
        records = batches.data_records(resident_ids) if Source.RECORDS in wanted else {}
        credits = batches.credit_records(resident_ids) if Source.CREDIT_RECORDS in wanted else {}
        approved = batches.overrides(resident_ids, policy_id) if every else {}
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
        records=tuple(_record_row(r) for r in records),
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
        high_risk_periods=tuple(_high_risk_row(r) for r in regions),
    )


def _signed(row: t.Signature) -> tuple[datetime, uuid.UUID]:
    return row.signed_at, row.id


def _declaration(row: t.Declaration) -> Observation:
    assert row.confirmed_at is not None  # only confirmed declarations are facts
    return _observation_row(row, ObservationKind.DECLARATION, row.confirmed_at, row.residence_since)


def _report(row: t.DailyReport) -> Observation:
    return _observation_row(row, ObservationKind.DAILY_REPORT, row.reported_at, None)


def _observation_row(
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


def _record_row(row: t.DataRecord) -> DataRecord:
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


def _high_risk_row(row: t.HighRiskRegion) -> HighRiskPeriod:
    return HighRiskPeriod(
        str(row.id), row.region, row.start, row.received_at, row.end, row.withdrawn_at
    )


def _slots(kind: str, **given: Any) -> Select[*tuple[Any, ...]]:
    """One kind of fact row in the common slots (``SLOTS``), the rest typed NULLs (a
    column keeps its own type: casting JSON text on SQLite would make it a number)."""
    columns = [literal_column(f"'{kind}'", String(16)).label("kind")]
    for name, type_ in SLOTS:
        value = given.get(name)
        columns.append((null().cast(type_) if value is None else value).label(name))
    return select(*columns)


_d, _r, _s = t.Declaration, t.DailyReport, t.Signature
_rec, _c, _o, _h = t.DataRecord, t.CreditRecord, t.ColourOverride, t.HighRiskRegion
SLOTS: tuple[tuple[str, Any], ...] = (
    ("id", Uuid()),
    ("ref", Uuid()),  # a signature's declaration
    ("ref2", Uuid()),  # a signature's issuer
    ("at", UTCDateTime()),  # the fact's instant (the sort key within a kind)
    ("at2", UTCDateTime()),  # withdrawn, revoked or ending
    ("day1", Date()),
    ("day2", Date()),
    ("text1", String(500)),
    ("text2", String(500)),
    ("text3", String(500)),
    ("text4", String(500)),
    ("temperature", Float()),
    ("symptoms", JSONType),
    ("exposures", JSONType),
    ("trips", JSONType),
)
_RESIDENT = bindparam("resident_id", type_=Uuid())
_POLICY = bindparam("policy_id", type_=String(32))
_CONFIRMED = (_d.resident_id == _RESIDENT, _d.policy_id == _POLICY, _d.confirmed_at.is_not(None))
FACTS = union_all(
    _slots(
        "declaration", id=_d.id, at=_d.confirmed_at, day1=_d.residence_since,
        temperature=_d.temperature, symptoms=_d.symptoms, exposures=_d.exposures, trips=_d.trips,
    ).where(*_CONFIRMED),
    _slots(
        "report", id=_r.id, at=_r.reported_at, temperature=_r.temperature,
        symptoms=_r.symptoms, exposures=_r.exposures, trips=_r.trips,
    ).where(_r.resident_id == _RESIDENT),
    _slots(
        "signature", id=_s.id, ref=_s.declaration_id, ref2=_s.issuer_id, at=_s.signed_at,
        text1=_s.colour, text2=_s.note,
    ).where(_s.declaration_id.in_(select(_d.id).where(*_CONFIRMED))),
    _slots(
        "record", id=_rec.id, at=_rec.received_at, at2=_rec.withdrawn_at, day1=_rec.start,
        day2=_rec.end, text1=_rec.kind, text2=_rec.region, text3=_rec.department,
        text4=_rec.setting,
    ).where(_rec.resident_id == _RESIDENT),
    _slots("credit", id=_c.id, at=_c.at, at2=_c.revoked_at, text1=_c.reason).where(
        _c.resident_id == _RESIDENT
    ),
    _slots(
        "override", id=_o.id, at=_o.decided_at, at2=_o.ends_at, text1=_o.colour, text2=_o.reason
    ).where(_o.resident_id == _RESIDENT, _o.policy_id == _POLICY, _o.status == "approved"),
    _slots(
        "region", id=_h.id, at=_h.received_at, at2=_h.withdrawn_at, day1=_h.start, day2=_h.end,
        text1=_h.region,
    ),
).order_by("kind", "at", "id")  # fmt: skip


def _observation(row: Row[Any], kind: ObservationKind) -> Observation:
    return Observation(
        id=str(row.id),
        kind=kind,
        at=row.at,
        temperature=row.temperature,
        symptoms=frozenset(Symptom(s) for s in row.symptoms),
        exposures=exposures_from(row.exposures),
        trips=trips_from(row.trips),
        residence_since=row.day1,
    )


def _record(row: Row[Any]) -> DataRecord:
    return DataRecord(
        str(row.id),
        RecordKind(row.text1),
        row.at,
        row.day1,
        row.day2,
        row.text2,
        row.text3,
        QuarantineSetting(row.text4) if row.text4 else None,
        row.at2,
    )


def _high_risk(row: Row[Any]) -> HighRiskPeriod:
    return HighRiskPeriod(str(row.id), row.text1, row.day1, row.at, row.day2, row.at2)


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
