"""Repositories: one per aggregate, query methods named after the domain."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Select, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from healthcode.store import tables as t
from healthcode.store.repositories.base import _Repo, held, on_sqlite

Query = TypeVar("Query", bound=Select[Any])


def recolour_lock(query: Query) -> Query:
    """The lock that serialises a resident's recolouring: ``FOR NO KEY UPDATE``, which
    two recolourings still wait on each other for, but which does not conflict with
    the ``KEY SHARE`` lock a new row referencing the resident takes (a department
    import's records, held until it commits). ``FOR UPDATE`` did: an import's second
    chunk and another import's recolouring (its residents locked in id order) could
    wait on each other in a cycle, and PostgreSQL aborted one with a deadlock."""
    return query.with_for_update(key_share=True)


class Residents(_Repo):
    """Residents. A resident is locked once per transaction (``held``): every later
    ``lock`` of it is free, and on SQLite it is never a statement (``on_sqlite``)."""

    def by_id(self, resident_id: uuid.UUID) -> t.Resident | None:
        return self.session.get(t.Resident, resident_id)

    def names_by_id_hash(self, hashes: Sequence[bytes]) -> dict[bytes, str]:
        """The registered names of the residents with these ID hashes (a roster's file
        at once, 500 a statement)."""
        found: dict[bytes, str] = {}
        for start in range(0, len(hashes), 500):
            query = select(t.Resident.id_hash, t.Resident.name).where(
                t.Resident.id_hash.in_(hashes[start : start + 500])
            )
            found.update((row[0], row[1]) for row in self.session.execute(query))
        return found

    def by_id_hash(self, id_hash: bytes, *, lock: bool = False) -> t.Resident | None:
        query = select(t.Resident).where(t.Resident.id_hash == id_hash)
        if lock:  # and read it afresh: another transaction may have just changed it
            query = recolour_lock(query).execution_options(populate_existing=True)
        found = self.session.scalars(query).first()
        if lock and found is not None:
            held(self.session)[t.Resident, found.id] = found
        return found

    def insert_or_existing(self, values: Mapping[str, Any]) -> tuple[t.Resident, bool]:
        """Insert a new person, or get (locked) the row another transaction has just
        inserted for the same ID hash: the unique key, not a prior read, decides; one
        statement, ``INSERT … ON CONFLICT DO NOTHING RETURNING``. (row, inserted)"""
        insert = sqlite_insert if on_sqlite(self.session) else pg_insert
        query = (
            insert(t.Resident)
            .values(id=uuid.uuid4(), **values)
            .on_conflict_do_nothing(index_elements=[t.Resident.id_hash])
            .returning(t.Resident)
        )
        created = self.session.scalars(query).first()
        if created is not None:
            held(self.session)[t.Resident, created.id] = created  # inserted here
            return created, True
        found = self.by_id_hash(values["id_hash"], lock=True)
        assert found is not None  # the conflict was on this ID hash
        return found, False

    def lock(self, resident_id: uuid.UUID) -> None:
        """Serialise writes that recolour this resident's codes: taken first, so every
        fact read afterwards (on PostgreSQL, statement by statement) is the committed one.
        ``recolour_lock`` says which lock."""
        key = (t.Resident, resident_id)
        if key in held(self.session):
            return
        if not on_sqlite(self.session):
            self.session.execute(
                recolour_lock(select(t.Resident.id).where(t.Resident.id == resident_id))
            )
        held(self.session).setdefault(key, None)

    def by_ref(self, ref: str) -> t.Resident | None:
        return self.session.scalars(select(t.Resident).where(t.Resident.ref == ref)).first()

    def id_by_ref(self, ref: str) -> uuid.UUID | None:
        """Whose code this is, and nothing more (a scan at a gate asks)."""
        return self.session.scalar(select(t.Resident.id).where(t.Resident.ref == ref))

    def count(self) -> int:
        return self.session.scalar(select(func.count()).select_from(t.Resident)) or 0


class Declarations(_Repo):
    def of_account(
        self, account_id: uuid.UUID, declaration_id: uuid.UUID, *, lock: bool = False
    ) -> t.Declaration | None:
        """One of the account's declarations. With ``lock``, the account's row is
        locked with it, in the same statement (accounts first, as ``submit`` takes
        them), and the account is then in the session for ``Accounts.by_id``."""
        if not lock:
            row = self.session.get(t.Declaration, declaration_id)
            return row if row is not None and row.account_id == account_id else None
        query = (
            select(t.Account, t.Declaration)
            .join(t.Declaration, t.Declaration.account_id == t.Account.id)
            .where(t.Account.id == account_id, t.Declaration.id == declaration_id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        found = self.session.execute(query).first()
        if found is None:
            return None
        held(self.session)[t.Account, account_id] = found[0]
        return found[1]

    def unconfirmed(
        self, account_id: uuid.UUID, policy_id: str, *, for_dependant: bool = False
    ) -> Sequence[tuple[uuid.UUID, t.TemperatureVideo | None, bytes | None]]:
        """The account's unconfirmed declarations of a code, each with its video if it
        has one and its sealed identity: its own, or (``for_dependant``) those made for
        a dependant. (Read
        after the account's lock, in a statement of its own: on PostgreSQL a join
        that waited for the lock would see the declarations as they were before.)"""
        made_for = (
            t.Declaration.relationship.is_not(None)
            if for_dependant
            else t.Declaration.relationship.is_(None)
        )
        query = (
            select(t.Declaration.id, t.TemperatureVideo, t.Declaration.identity_cipher)
            .outerjoin(t.TemperatureVideo, t.TemperatureVideo.declaration_id == t.Declaration.id)
            .where(
                t.Declaration.account_id == account_id,
                t.Declaration.policy_id == policy_id,
                t.Declaration.confirmed_at.is_(None),
                made_for,
            )
        )
        return [(row[0], row[1], row[2]) for row in self.session.execute(query)]

    def remove(self, ids: Sequence[uuid.UUID]) -> None:
        self.session.execute(delete(t.Declaration).where(t.Declaration.id.in_(ids)))

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

    def latest_organisation(
        self, resident_id: uuid.UUID, policy_id: str | None = None
    ) -> uuid.UUID | None:
        """The organisation the resident's latest application (under ``policy_id``, if
        given) went to, if any."""
        query = (
            select(t.Declaration.organisation_id)
            .where(
                t.Declaration.resident_id == resident_id,
                t.Declaration.organisation_id.is_not(None),
            )
            .order_by(t.Declaration.confirmed_at.desc())
            .limit(1)
        )
        if policy_id is not None:
            query = query.where(t.Declaration.policy_id == policy_id)
        return self.session.scalar(query)

    def latest_confirmed(self, resident_id: uuid.UUID) -> t.Declaration | None:
        """The resident's latest confirmed declaration, under any policy."""
        query = (
            select(t.Declaration)
            .where(
                t.Declaration.resident_id == resident_id, t.Declaration.confirmed_at.is_not(None)
            )
            .order_by(t.Declaration.confirmed_at.desc(), t.Declaration.id.desc())
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

    def guardian_of(self, resident_id: uuid.UUID) -> tuple[t.Account, str] | None:
        """The account holding this family member's codes, and the member's masked
        name: where their notifications go (they have no account), in one query."""
        query = (
            select(t.Account, t.Resident.name_masked)
            .join(t.Dependant, t.Dependant.account_id == t.Account.id)
            .join(t.Resident, t.Resident.id == t.Dependant.resident_id)
            .where(t.Dependant.resident_id == resident_id)
        )
        row = self.session.execute(query).first()
        return (row[0], row[1]) if row is not None else None

    def count_of(self, account_id: uuid.UUID) -> int:
        query = select(func.count()).select_from(t.Dependant)
        return self.session.scalar(query.where(t.Dependant.account_id == account_id)) or 0

    def remove(self, link: t.Dependant) -> None:
        self.session.delete(link)
        self.session.flush()
