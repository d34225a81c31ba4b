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
from functools import cached_property

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
    """Kinds of department records about one resident, matched in the data check
    (大数据核验). What `start` and `end` mean depends on the kind."""

    CONFIRMED = "confirmed"  # 确诊病例: start diagnosis, end discharge
    SUSPECTED = "suspected"  # 疑似病例: start listed, end ruled out
    POSITIVE = "positive"  # 阳性感染者 (asymptomatic): start tested, end cured
    CLOSE_CONTACT = "close_contact"  # 密切接触者: start observation, end release
    QUARANTINE = "quarantine"  # 隔离: home, company or centralised (`setting`), start–end
    TRAVEL = "travel"  # 行程 (transport, carrier roaming): in `region` from start to end
    FEVER_CLINIC = "fever_clinic"  # 发热门诊就诊: start = the visit
    FEVER_MEDICINE = "fever_medicine"  # 购买退烧药品: start = the purchase
    # 可能暴露: scanned at a venue within the window of a confirmed case's scan (tracing
    # from scans, the officer's milder choice than a close contact): start = that day
    EXPOSURE = "exposure"


class QuarantineSetting(StrEnum):
    HOME = "home"  # 居家隔离
    COMPANY = "company"  # 单位隔离
    CENTRALISED = "centralised"  # 集中隔离


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

    @cached_property  # asked for each rule and document of each evaluation
    def day(self) -> date:
        return day_of(self.at)


@dataclass(frozen=True)
class DataRecord:
    """A record imported from a department; counts from `received_at` on, until it
    is withdrawn (an upheld appeal, a rolled-back import)."""

    id: str
    kind: RecordKind
    received_at: datetime
    start: date | None = None
    end: date | None = None  # discharge, cure, release or departure; None = still open
    region: str | None = None
    source: str = ""  # the department (domain/records.py `Department`)
    setting: QuarantineSetting | None = None
    withdrawn_at: datetime | None = None


@dataclass(frozen=True)
class HighRiskPeriod:
    """A region declared high-risk from `start` to `end` (None = still): a record
    about a region, not a resident. A stay there in that time counts."""

    id: str
    region: str  # 2-, 4- or 6-digit GB/T 2260 prefix
    start: date
    received_at: datetime
    end: date | None = None
    withdrawn_at: datetime | None = None

    def overlaps(self, first: date, last: date) -> bool:
        return first <= (self.end or last) and last >= self.start

    def covers(self, region: str | None) -> bool:
        return bool(region) and str(region).startswith(self.region)


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
    high_risk_periods: tuple[HighRiskPeriod, ...] = ()

    def known_at(self, now: datetime) -> Facts:
        """Only what the system knew at `now`, oldest first."""
        return Facts(
            observations=_sorted(o for o in self.observations if o.at <= now),
            records=tuple(
                sorted(
                    (r for r in self.records if _counts(r.received_at, r.withdrawn_at, now)),
                    key=lambda r: r.received_at,
                )
            ),
            credit_records=tuple(
                _credit_known_at(c, now) for c in self.credit_records if c.at <= now
            ),
            signatures=tuple(sorted((s for s in self.signatures if s.at <= now), key=_at)),
            overrides=tuple(sorted((o for o in self.overrides if o.at <= now), key=_at)),
            high_risk_periods=tuple(
                p for p in self.high_risk_periods if _counts(p.received_at, p.withdrawn_at, now)
            ),
        )

    def moments(self, after: datetime, until: datetime) -> list[datetime]:
        """The instants in (after, until) at which something was learnt or withdrawn,
        in order: where what the rules know changes."""
        found = [o.at for o in self.observations]
        found += [r.received_at for r in self.records] + [
            r.withdrawn_at for r in self.records if r.withdrawn_at
        ]
        found += [c.at for c in self.credit_records] + [
            c.revoked_at for c in self.credit_records if c.revoked_at
        ]
        found += [s.at for s in self.signatures]
        found += [p.received_at for p in self.high_risk_periods]
        found += [p.withdrawn_at for p in self.high_risk_periods if p.withdrawn_at]
        return sorted({m for m in found if after < m < until})

    def high_risk(self, region: str | None, first: date, last: date) -> bool:
        """Whether a stay in `region` from `first` to `last` touched a high-risk period."""
        return any(p.covers(region) and p.overlaps(first, last) for p in self.high_risk_periods)

    @property
    def declarations(self) -> tuple[Observation, ...]:
        return tuple(o for o in self.observations if o.kind is ObservationKind.DECLARATION)


def _counts(received_at: datetime, withdrawn_at: datetime | None, now: datetime) -> bool:
    """Known by `now` and not yet withdrawn: a withdrawn record counted until then."""
    return received_at <= now and (withdrawn_at is None or withdrawn_at > now)


def _at(item: Observation | Signature | Override) -> datetime:
    return item.at


def _sorted(items: Iterable[Observation]) -> tuple[Observation, ...]:
    return tuple(sorted(items, key=_at))


def _credit_known_at(record: CreditRecord, now: datetime) -> CreditRecord:
    if record.revoked_at is not None and record.revoked_at > now:
        return CreditRecord(record.id, record.at, record.reason, None)
    return record
