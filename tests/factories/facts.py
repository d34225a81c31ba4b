"""Small builders for the engine's facts; times are Asia/Shanghai wall-clock."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from datetime import date, datetime, timedelta

from healthcode.domain.clock import TZ
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
    QuarantineSetting,
    RecordKind,
    Signature,
    Symptom,
    Trip,
)

_ids = itertools.count(1)
START = date(2020, 2, 23)  # the day the Binzhou notice was issued


def at(day: date | int, hour: int = 9, minute: int = 0) -> datetime:
    """An instant on a day given as a date or as a day number counted from START."""
    if isinstance(day, int):
        day = START + timedelta(days=day)
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ)


def day(n: int) -> date:
    return START + timedelta(days=n)


def observation(
    when: datetime,
    *,
    kind: ObservationKind = ObservationKind.DAILY_REPORT,
    temperature: float | None = 36.5,
    symptoms: Iterable[Symptom | str] = (),
    exposures: Iterable[Exposure] = (),
    trips: Iterable[Trip] = (),
    residence_since: date | None = None,
) -> Observation:
    return Observation(
        id=f"o{next(_ids)}",
        kind=kind,
        at=when,
        temperature=temperature,
        symptoms=frozenset(Symptom(s) for s in symptoms),
        exposures=tuple(exposures),
        trips=tuple(trips),
        residence_since=residence_since,
    )


def declaration(when: datetime, **kwargs: object) -> Observation:
    return observation(when, kind=ObservationKind.DECLARATION, **kwargs)  # type: ignore[arg-type]


def report(when: datetime, **kwargs: object) -> Observation:
    return observation(when, kind=ObservationKind.DAILY_REPORT, **kwargs)  # type: ignore[arg-type]


def daily_reports(first: int, last: int, *, hour: int = 8, **kwargs: object) -> list[Observation]:
    """Normal (unless told otherwise) reports on each day number from first to last."""
    return [report(at(n, hour), **kwargs) for n in range(first, last + 1)]


def exposure(
    kind: ExposureKind | str, start: date | None = None, end: date | None = None
) -> Exposure:
    return Exposure(ExposureKind(kind), start, end)


def trip(region: str, end: date, start: date | None = None) -> Trip:
    return Trip(region, end, start)


def record(
    kind: RecordKind | str,
    received: datetime,
    *,
    start: date | None = None,
    end: date | None = None,
    region: str | None = None,
    setting: str | None = None,
    withdrawn: datetime | None = None,
) -> DataRecord:
    return DataRecord(
        f"rec{next(_ids)}",
        RecordKind(kind),
        received,
        start,
        end,
        region,
        "health",
        QuarantineSetting(setting) if setting else None,
        withdrawn,
    )


def high_risk(
    region: str,
    start: date,
    end: date | None = None,
    *,
    received: datetime,
    withdrawn: datetime | None = None,
) -> HighRiskPeriod:
    return HighRiskPeriod(f"hr{next(_ids)}", region, start, received, end, withdrawn)


def credit(when: datetime, revoked: datetime | None = None) -> CreditRecord:
    return CreditRecord(f"cr{next(_ids)}", when, "screenshot", revoked)


def signature(application: Observation, when: datetime, colour: Colour = Colour.GREEN) -> Signature:
    return Signature(application.id, when, colour, "issuer-1", "视频核实体温正常")


def facts(
    *observations: Observation,
    records: Iterable[DataRecord] = (),
    credit_records: Iterable[CreditRecord] = (),
    signatures: Iterable[Signature] = (),
    high_risk_periods: Iterable[HighRiskPeriod] = (),
) -> Facts:
    return Facts(
        tuple(observations),
        tuple(records),
        tuple(credit_records),
        tuple(signatures),
        high_risk_periods=tuple(high_risk_periods),
    )
