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


class HighRiskRegions(_Repo):
    def ever_listed(self) -> Sequence[t.HighRiskRegion]:
        """Every high-risk period, withdrawn ones too (they counted until withdrawn):
        a handful of rows, region-level, read with each resident's facts."""
        return self.session.scalars(select(t.HighRiskRegion)).all()


class ImportBatches(_Repo):
    def by_id(self, batch_id: uuid.UUID) -> t.ImportBatch | None:
        return self.session.get(t.ImportBatch, batch_id)


class CreditRecords(_Repo):
    def of_resident(self, resident_id: uuid.UUID) -> Sequence[t.CreditRecord]:
        query = select(t.CreditRecord).where(t.CreditRecord.resident_id == resident_id)
        return self.session.scalars(query).all()
