"""What other contexts may ask about records: which department sent them."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from healthcode.store.uow import UnitOfWork


def departments_of(uow: UnitOfWork, record_ids: Iterable[str]) -> dict[str, str]:
    """Record id → its source department (``domain.records.Department`` value)."""
    ids = []
    for value in record_ids:
        try:
            ids.append(uuid.UUID(value))
        except ValueError:
            continue
    return {str(k): v for k, v in uow.data_records.departments(ids).items()}
