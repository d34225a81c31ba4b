"""Repositories: one per aggregate, query methods named after the domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from healthcode.store import tables as t
from healthcode.store.repositories.base import _Repo


class DataRecords(_Repo):
    def of_resident(self, resident_id: uuid.UUID) -> Sequence[t.DataRecord]:
        query = select(t.DataRecord).where(t.DataRecord.resident_id == resident_id)
        return self.session.scalars(query).all()


class CreditRecords(_Repo):
    def of_resident(self, resident_id: uuid.UUID) -> Sequence[t.CreditRecord]:
        query = select(t.CreditRecord).where(t.CreditRecord.resident_id == resident_id)
        return self.session.scalars(query).all()
