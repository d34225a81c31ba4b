"""Department records: who sends what (seed 003 §二.二 "打通市公安、市场监管、卫生健康、
交通运输、医保、通讯运营商等部门、单位数据").

Pure data. A record names its source department and the department's own id for it
(``source_id``): the pair is unique, so a re-import changes nothing. A high-risk
region is a record about a region, not about a resident (``HIGH_RISK_REGION``).
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from healthcode.domain.facts import RecordKind


class Department(StrEnum):
    HEALTH = "health"  # 卫生健康: cases, contacts, quarantine, fever clinics, regions
    POLICE = "police"  # 公安: quarantine lists, checkpoint travel records
    TRANSPORT = "transport"  # 交通运输: tickets (travel)
    CARRIER = "carrier"  # 通讯运营商: roaming data (travel)
    MEDICAL_INSURANCE = "medical_insurance"  # 医保: fever-clinic visits, medicine bought
    MARKET_REGULATION = "market_regulation"  # 市场监管: pharmacies' fever-medicine sales


class ImportKind(StrEnum):
    """What one import file holds: one kind of resident record, or high-risk regions."""

    CONFIRMED = RecordKind.CONFIRMED.value
    SUSPECTED = RecordKind.SUSPECTED.value
    POSITIVE = RecordKind.POSITIVE.value
    CLOSE_CONTACT = RecordKind.CLOSE_CONTACT.value
    QUARANTINE = RecordKind.QUARANTINE.value
    TRAVEL = RecordKind.TRAVEL.value
    FEVER_CLINIC = RecordKind.FEVER_CLINIC.value
    FEVER_MEDICINE = RecordKind.FEVER_MEDICINE.value
    HIGH_RISK_REGION = "high_risk_region"

    @property
    def record_kind(self) -> RecordKind | None:
        """The resident record this import writes; None for high-risk regions."""
        return None if self is ImportKind.HIGH_RISK_REGION else RecordKind(self.value)


_CASES = frozenset({ImportKind.CONFIRMED, ImportKind.SUSPECTED, ImportKind.POSITIVE})

# Which kinds each department holds: an import of another kind from it is refused.
SENDS: Mapping[Department, frozenset[ImportKind]] = {
    Department.HEALTH: _CASES
    | {
        ImportKind.CLOSE_CONTACT,
        ImportKind.QUARANTINE,
        ImportKind.FEVER_CLINIC,
        ImportKind.HIGH_RISK_REGION,
    },
    Department.POLICE: frozenset({ImportKind.QUARANTINE, ImportKind.TRAVEL}),
    Department.TRANSPORT: frozenset({ImportKind.TRAVEL}),
    Department.CARRIER: frozenset({ImportKind.TRAVEL}),
    Department.MEDICAL_INSURANCE: frozenset({ImportKind.FEVER_CLINIC, ImportKind.FEVER_MEDICINE}),
    Department.MARKET_REGULATION: frozenset({ImportKind.FEVER_MEDICINE}),
}


def may_send(department: Department, kind: ImportKind) -> bool:
    return kind in SENDS[department]
