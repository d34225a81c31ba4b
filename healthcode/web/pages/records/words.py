"""Words of the records pages (English message ids, translated by ``N_``)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from healthcode.domain.i18n import N_
from healthcode.domain.records import Department, ImportKind

DEPARTMENTS: Mapping[str, str] = MappingProxyType(
    {
        Department.HEALTH: N_("Health commission"),
        Department.POLICE: N_("Public security"),
        Department.TRANSPORT: N_("Transport"),
        Department.CARRIER: N_("Mobile carriers"),
        Department.MEDICAL_INSURANCE: N_("Medical insurance"),
        Department.MARKET_REGULATION: N_("Market regulation"),
    }
)
KINDS: Mapping[str, str] = MappingProxyType(
    {
        ImportKind.CONFIRMED: N_("Confirmed cases"),
        ImportKind.SUSPECTED: N_("Suspected cases"),
        ImportKind.POSITIVE: N_("Positive (asymptomatic) cases"),
        ImportKind.CLOSE_CONTACT: N_("Close contacts"),
        ImportKind.QUARANTINE: N_("Quarantine"),
        ImportKind.TRAVEL: N_("Travel records"),
        ImportKind.FEVER_CLINIC: N_("Fever-clinic visits"),
        ImportKind.FEVER_MEDICINE: N_("Fever-medicine purchases"),
        ImportKind.EXPOSURE: N_("Possible exposures"),
        ImportKind.HIGH_RISK_REGION: N_("High-risk regions"),
    }
)
STATUSES: Mapping[str, str] = MappingProxyType(
    {"committed": N_("Imported"), "rolled_back": N_("Rolled back")}
)
