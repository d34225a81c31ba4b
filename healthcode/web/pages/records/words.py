"""Words of the records pages (English message ids, translated by ``N_``)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from healthcode.domain.i18n import N_
from healthcode.domain.records import DEPARTMENT_NAMES, KIND_NAMES

DEPARTMENTS, KINDS = DEPARTMENT_NAMES, KIND_NAMES  # the domain's, for the pages
STATUSES: Mapping[str, str] = MappingProxyType(
    {"committed": N_("Imported"), "rolled_back": N_("Rolled back")}
)
