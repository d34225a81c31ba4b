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

    def discard_unconfirmed(
        self, account_id: uuid.UUID, policy_id: str, *, for_dependant: bool = False
    ) -> None:
        """Submitting again replaces what was not confirmed (a typo corrected): one's
        own, or (``for_dependant``) the one made for a dependant."""
        made_for = (
            t.Declaration.relationship.is_not(None)
            if for_dependant
            else t.Declaration.relationship.is_(None)
        )
        self.session.execute(
            delete(t.Declaration).where(
                t.Declaration.account_id == account_id,
                t.Declaration.policy_id == policy_id,
                t.Declaration.confirmed_at.is_(None),
                made_for,
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

    def latest_organisation(self, resident_id: uuid.UUID) -> uuid.UUID | None:
        """The organisation the resident's latest application went to, if any."""
        query = (
            select(t.Declaration.organisation_id)
            .where(
                t.Declaration.resident_id == resident_id,
                t.Declaration.organisation_id.is_not(None),
            )
            .order_by(t.Declaration.confirmed_at.desc())
            .limit(1)
        )
        return self.session.scalar(query)

    def confirmed(self, resident_id: uuid.UUID, policy_id: str) -> Sequence[t.Declaration]:
        query = (
            select(t.Declaration)
            .where(
                t.Declaration.resident_id == resident_id,
                t.Declaration.policy_id == policy_id,
                t.Declaration.confirmed_at.is_not(None),
            )
            .order_by(t.Declaration.confirmed_at, t.Declaration.id)
        )
        return self.session.scalars(query).all()


class DailyReports(_Repo):
    def of_resident(self, resident_id: uuid.UUID) -> Sequence[t.DailyReport]:
        query = (
            select(t.DailyReport)
            .where(t.DailyReport.resident_id == resident_id)
            .order_by(t.DailyReport.reported_at, t.DailyReport.id)
        )
        return self.session.scalars(query).all()

    def latest_on(self, resident_id: uuid.UUID, day: date) -> t.DailyReport | None:
        query = (
            select(t.DailyReport)
            .where(t.DailyReport.resident_id == resident_id, t.DailyReport.day == day)
            .order_by(t.DailyReport.reported_at.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()

    def count_on(self, resident_id: uuid.UUID, policy_id: str, day: date) -> int:
        query = select(func.count()).where(
            t.DailyReport.resident_id == resident_id,
            t.DailyReport.policy_id == policy_id,
            t.DailyReport.day == day,
        )
        return self.session.scalar(query) or 0


class TemperatureVideos(_Repo):
    def of_declaration(
        self, declaration_id: uuid.UUID, *, lock: bool = False
    ) -> t.TemperatureVideo | None:
        query = select(t.TemperatureVideo).where(
            t.TemperatureVideo.declaration_id == declaration_id
        )
        if lock:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def of_unconfirmed(self, account_id: uuid.UUID, policy_id: str) -> Sequence[t.TemperatureVideo]:
        """The videos of the declarations ``discard_unconfirmed`` would remove."""
        query = (
            select(t.TemperatureVideo)
            .join(t.Declaration, t.Declaration.id == t.TemperatureVideo.declaration_id)
            .where(
                t.Declaration.account_id == account_id,
                t.Declaration.policy_id == policy_id,
                t.Declaration.confirmed_at.is_(None),
            )
        )
        return self.session.scalars(query).all()

    def remove(self, video: t.TemperatureVideo) -> None:
        """Delete now (flushed), so a new video of the same application may follow."""
        self.session.delete(video)
        self.session.flush()

    def page(
        self, after: uuid.UUID | None, limit: int
    ) -> Sequence[tuple[t.TemperatureVideo, t.Declaration]]:
        """All videos with their applications, in id order, ``limit`` after ``after``."""
        query = select(t.TemperatureVideo, t.Declaration).join(
            t.Declaration, t.Declaration.id == t.TemperatureVideo.declaration_id
        )
        if after is not None:
            query = query.where(t.TemperatureVideo.id > after)
        rows = self.session.execute(query.order_by(t.TemperatureVideo.id).limit(limit))
        return [(video, declaration) for video, declaration in rows]

    def referenced(self, keys: Sequence[str]) -> set[str]:
        if not keys:
            return set()
        query = select(t.TemperatureVideo.blob_key).where(t.TemperatureVideo.blob_key.in_(keys))
        return set(self.session.scalars(query))


class Dependants(_Repo):
    """Who holds whose codes (代领 / 亲友码): one guardian account per dependant."""

    def of_account(self, account_id: uuid.UUID) -> Sequence[tuple[t.Dependant, t.Resident]]:
        query = (
            select(t.Dependant, t.Resident)
            .join(t.Resident, t.Resident.id == t.Dependant.resident_id)
            .where(t.Dependant.account_id == account_id)
            .order_by(t.Dependant.added_at)
        )
        return [(d, r) for d, r in self.session.execute(query).all()]

    def by_resident(self, resident_id: uuid.UUID, *, lock: bool = False) -> t.Dependant | None:
        query = select(t.Dependant).where(t.Dependant.resident_id == resident_id)
        if lock:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def count_of(self, account_id: uuid.UUID) -> int:
        query = select(func.count()).select_from(t.Dependant)
        return self.session.scalar(query.where(t.Dependant.account_id == account_id)) or 0

    def remove(self, link: t.Dependant) -> None:
        self.session.delete(link)
        self.session.flush()
