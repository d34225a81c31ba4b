"""Repositories: one per aggregate, query methods named after the domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError

from healthcode.store import tables as t
from healthcode.store.repositories.base import _Repo


class Residents(_Repo):
    def by_id(self, resident_id: uuid.UUID) -> t.Resident | None:
        return self.session.get(t.Resident, resident_id)

    def by_id_hash(self, id_hash: bytes, *, lock: bool = False) -> t.Resident | None:
        query = select(t.Resident).where(t.Resident.id_hash == id_hash)
        if lock:  # and read it afresh: another transaction may have just changed it
            query = query.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(query).first()

    def insert_or_existing(self, resident: t.Resident) -> t.Resident:
        """Insert a new person, or get the row another transaction has just inserted
        for the same ID hash: the unique key, not a prior read, decides."""
        try:
            with self.session.begin_nested():
                self.session.add(resident)
                self.session.flush()
        except IntegrityError:
            found = self.by_id_hash(resident.id_hash, lock=True)
            if found is None:
                raise
            return found
        return resident

    def lock(self, resident_id: uuid.UUID) -> None:
        """Serialise writes that recolour this resident's codes: taken first, so every
        fact read afterwards (on PostgreSQL, statement by statement) is the committed one."""
        self.session.execute(
            select(t.Resident.id).where(t.Resident.id == resident_id).with_for_update()
        )

    def by_ref(self, ref: str) -> t.Resident | None:
        return self.session.scalars(select(t.Resident).where(t.Resident.ref == ref)).first()

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(t.Resident)) or 0


class Declarations(_Repo):
    def of_account(
        self, account_id: uuid.UUID, declaration_id: uuid.UUID, *, lock: bool = False
    ) -> t.Declaration | None:
        row = self.session.get(
            t.Declaration, declaration_id, with_for_update=lock, populate_existing=lock
        )
        return row if row is not None and row.account_id == account_id else None

    def discard_unconfirmed(self, account_id: uuid.UUID, policy_id: str) -> None:
        """Submitting again replaces what was not confirmed (a typo corrected)."""
        self.session.execute(
            delete(t.Declaration).where(
                t.Declaration.account_id == account_id,
                t.Declaration.policy_id == policy_id,
                t.Declaration.confirmed_at.is_(None),
            )
        )

    def of_resident(
        self, resident_id: uuid.UUID, declaration_id: uuid.UUID, *, lock: bool = False
    ) -> t.Declaration | None:
        row = self.session.get(
            t.Declaration, declaration_id, with_for_update=lock, populate_existing=lock
        )
        return row if row is not None and row.resident_id == resident_id else None

    def by_id(self, declaration_id: uuid.UUID, *, lock: bool = False) -> t.Declaration | None:
        return self.session.get(
            t.Declaration, declaration_id, with_for_update=lock, populate_existing=lock
        )

    def confirmed(self, resident_id: uuid.UUID, policy_id: str) -> Sequence[t.Declaration]:
        query = (
            select(t.Declaration)
            .where(
                t.Declaration.resident_id == resident_id,
                t.Declaration.policy_id == policy_id,
                t.Declaration.confirmed_at.is_not(None),
            )
            .order_by(t.Declaration.confirmed_at)
        )
        return self.session.scalars(query).all()


class DailyReports(_Repo):
    def of_resident(self, resident_id: uuid.UUID) -> Sequence[t.DailyReport]:
        query = (
            select(t.DailyReport)
            .where(t.DailyReport.resident_id == resident_id)
            .order_by(t.DailyReport.reported_at)
        )
        return self.session.scalars(query).all()

    def count_on(self, resident_id: uuid.UUID, policy_id: str, day: date) -> int:
        query = select(func.count()).where(
            t.DailyReport.resident_id == resident_id,
            t.DailyReport.policy_id == policy_id,
            t.DailyReport.day == day,
        )
        return self.session.scalar(query) or 0
