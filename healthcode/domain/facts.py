"""The facts a colour is computed from.

A resident's colour is a pure function of these facts, the policy and the time
(DESIGN.md §5). Each fact carries the instant the system learnt it, so evaluating at
an earlier time ignores what was not yet known and history can be replayed exactly.
Field names follow the national health-code data items (GB/T 38962-2020) where they
exist: temperature, symptoms, high-risk-area history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from healthcode.domain.clock import day_of
from healthcode.domain.colour import Colour


class Symptom(StrEnum):
    FEVER = "fever"
    DRY_COUGH = "dry_cough"  # 持续干咳 (seed 000)
    FATIGUE = "fatigue"  # 乏力 (seed 000)
    SHORTNESS_OF_BREATH = "shortness_of_breath"  # 气促 (seed 003)
    RESPIRATORY = "respiratory"  # 呼吸道症状: cough, sore throat, runny nose (seed 003)


class ExposureKind(StrEnum):
    """What a resident declares about themselves or their contacts."""

    CONFIRMED = "confirmed"  # 确诊病例 (start: diagnosis, end: discharge)
    SUSPECTED = "suspected"  # 疑似病例
    POSITIVE = "positive"  # 阳性感染者 (asymptomatic carrier)
    CLOSE_CONTACT = "close_contact"  # 密切接触者 (end: release from medical observation)
    FEBRILE_CONTACT = "febrile_contact"  # 接触过发热或呼吸道症状病人
    HIGH_RISK_CONTACT = "high_risk_contact"  # 与湖北等疫情高发地区人员有接触史


class RecordKind(StrEnum):
    """Kinds of department records matched in the data check (大数据核验)."""

    CONFIRMED = "confirmed"
    SUSPECTED = "suspected"
    POSITIVE = "positive"
    CLOSE_CONTACT = "close_contact"
    QUARANTINE = "quarantine"  # under centralised or home isolation
    TRAVEL = "travel"  # carrier/transport data: was in `region` up to `end`


class ObservationKind(StrEnum):
    DECLARATION = "declaration"
    DAILY_REPORT = "daily_report"


@dataclass(frozen=True)
class Trip:
    """A stay in a region during the last 14 days; `end` is the day the resident left it."""

    region: str  # 6-digit GB/T 2260 code
    end: date
    start: date | None = None


@dataclass(frozen=True)
class Exposure:
    kind: ExposureKind
    start: date | None = None
    end: date | None = None


@dataclass(frozen=True)
class Observation:
    """A declaration or a daily report: what the resident said about their health."""

    id: str
    kind: ObservationKind
    at: datetime
    temperature: float | None = None  # ℃; None = not measured
    symptoms: frozenset[Symptom] = frozenset()
    exposures: tuple[Exposure, ...] = ()
    trips: tuple[Trip, ...] = ()
    residence_since: date | None = None  # lived in the home province since (seed 000 scope)

    @property
    def day(self) -> date:
        return day_of(self.at)


@dataclass(frozen=True)
class DataRecord:
    """A record imported from a department; counts from `received_at` on."""

    id: str
    kind: RecordKind
    received_at: datetime
    start: date | None = None
    end: date | None = None  # discharge, cure, release or departure; None = still open
    region: str | None = None
    source: str = ""


@dataclass(frozen=True)
class CreditRecord:
    """A confirmed fraud finding (false declaration, screenshot, another's code)."""

    id: str
    at: datetime
    reason: str
    revoked_at: datetime | None = None  # an upheld appeal ends it


@dataclass(frozen=True)
class Signature:
    """An issuer's decision on a pass application (seed 000 签发)."""

    application_id: str
    at: datetime
    colour: Colour
    issuer: str
    note: str = ""


@dataclass(frozen=True)
class Override:
    """A colour set by hand, approved by a second officer (DESIGN.md §6); counts from
    its approval `at` until `ends_at` or until the rules' own view changes."""

    id: str
    at: datetime
    colour: Colour
    reason: str
    ends_at: datetime | None = None


@dataclass(frozen=True)
class Facts:
    observations: tuple[Observation, ...] = ()
    records: tuple[DataRecord, ...] = ()
    credit_records: tuple[CreditRecord, ...] = ()
    signatures: tuple[Signature, ...] = ()
    overrides: tuple[Override, ...] = ()

    def known_at(self, now: datetime) -> Facts:
        """Only what the system knew at `now`, oldest first."""
        return Facts(
            observations=_sorted(o for o in self.observations if o.at <= now),
            records=tuple(
                sorted(
                    (r for r in self.records if r.received_at <= now),
                    key=lambda r: r.received_at,
                )
            ),
            credit_records=tuple(
                _credit_known_at(c, now) for c in self.credit_records if c.at <= now
            ),
            signatures=tuple(sorted((s for s in self.signatures if s.at <= now), key=_at)),
            overrides=tuple(sorted((o for o in self.overrides if o.at <= now), key=_at)),
        )

    @property
    def declarations(self) -> tuple[Observation, ...]:
        return tuple(o for o in self.observations if o.kind is ObservationKind.DECLARATION)


def _at(item: Observation | Signature | Override) -> datetime:
    return item.at


def _sorted(items: Iterable[Observation]) -> tuple[Observation, ...]:
    return tuple(sorted(items, key=_at))


def _credit_known_at(record: CreditRecord, now: datetime) -> CreditRecord:
    if record.revoked_at is not None and record.revoked_at > now:
        return CreditRecord(record.id, record.at, record.reason, None)
    return record
