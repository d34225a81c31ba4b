"""Words of the records pages (English message ids, translated by ``N_``)."""

from __future__ import annotations

from healthcode.domain.records import BATCH_STATUS_NAMES, DEPARTMENT_NAMES, KIND_NAMES

# the domain's, for the pages
DEPARTMENTS, KINDS, STATUSES = DEPARTMENT_NAMES, KIND_NAMES, BATCH_STATUS_NAMES
