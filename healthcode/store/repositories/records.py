"""Repositories: one per aggregate, query methods named after the domain."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, and_, case, func, insert, or_, select, update

from healthcode.domain.scope import Scope
from healthcode.store import tables as t
from healthcode.store.bulk import among, sent_ahead, write_rows
from healthcode.store.repositories.base import _Repo


def _amended_by(key: Any, batch_id: uuid.UUID) -> Any:
    """The ids of the records (``Amendment.record_id``) or listings (``listing_id``)
    the batch amended."""
    return select(key).where(t.Amendment.batch_id == batch_id).scalar_subquery()


def _locked_amended_by(
    table: type[t.DataRecord] | type[t.HighRiskRegion], key: Any, batch_id: uuid.UUID
) -> Any:
    return (
        select(table)
        .where(table.id.in_(_amended_by(key, batch_id)))
        .order_by(table.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


class DataRecords(_Repo):
    def of_resident(self, resident_id: uuid.UUID) -> Sequence[t.DataRecord]:
        query = (
            select(t.DataRecord)
            .where(t.DataRecord.resident_id == resident_id)
            .order_by(t.DataRecord.received_at, t.DataRecord.id)  # as the batches read them
        )
        return self.session.scalars(query).all()

    def by_id(self, record_id: uuid.UUID) -> t.DataRecord | None:
        return self.session.get(t.DataRecord, record_id)

    def departments(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        if not ids:
            return {}
        query = select(t.DataRecord.id, t.DataRecord.department).where(t.DataRecord.id.in_(ids))
        return {row[0]: row[1] for row in self.session.execute(query).all()}

    def residents_by_id_hash(self, hashes: Iterable[bytes]) -> dict[bytes, uuid.UUID]:
        """The residents with these ID hashes, in one query (a chunk of an import)."""
        wanted = list(set(hashes))
        if not wanted:
            return {}
        return dict(self.columns(self._residents_query(wanted, None)).all())

    def _residents_query(
        self, hashes: Sequence[bytes], reach: str | None
    ) -> Select[bytes, uuid.UUID]:
        """The residents of these ID hashes (living in ``reach``, a region prefix, if
        given)."""
        query = select(t.Resident.id_hash, t.Resident.id).where(
            among(self.session, t.Resident.id_hash, hashes)
        )
        return query if reach is None else query.where(t.Resident.region_code.startswith(reach))

    @contextmanager
    def matching(
        self,
        department: str,
        source_ids: Iterable[str],
        hashes: Iterable[bytes],
        reach: str | None = None,
    ) -> Iterator[t.Matches]:
        """``residents_by_id_hash`` (within ``reach``) and ``sent_before`` at once,
        sent to the server before the ``with`` block and read after it (``sent_ahead``):
        an import checks the chunk's rows meanwhile. The ``Matches`` are filled when the
        block ends; the block must not use the session."""
        statements = [
            self._residents_query(list(set(hashes)), reach),
            self._sent_before_query(department, list(set(source_ids))),
        ]
        matches = t.Matches({}, {})
        with sent_ahead(self.session, statements) as ahead:
            yield matches
        residents, known = ahead.rows
        matches.residents.update(residents)
        matches.known.update((row[0], t.KnownRecord(*row[1:])) for row in known if row[0])

    def existing(self, department: str, source_ids: Iterable[str]) -> set[str]:
        """Which of these source ids the department has sent before (any batch)."""
        ids = list(set(source_ids))
        if not ids:
            return set()
        query = select(t.DataRecord.source_id).where(
            t.DataRecord.department == department, t.DataRecord.source_id.in_(ids)
        )
        return {s for s in self.session.scalars(query) if s is not None}

    def sent_before(self, department: str, source_ids: Iterable[str]) -> dict[str, t.KnownRecord]:
        """The department's records with these source ids (one query per chunk), as
        plain rows: what an import compares, no ORM object per row."""
        ids = list(set(source_ids))
        if not ids:
            return {}
        query = self._sent_before_query(department, ids)
        return {row[0]: t.KnownRecord(*row[1:]) for row in self.columns(query) if row[0]}

    def _sent_before_query(self, department: str, ids: Sequence[str]) -> Select[*tuple[Any, ...]]:
        r = t.DataRecord
        return select(
            r.source_id, r.id, r.resident_id, r.kind, r.start, r.end, r.setting, r.region,
            r.detail, r.received_at, r.withdrawn_at, r.withdrawn_reason, r.batch_id,
        ).where(r.department == department, among(self.session, r.source_id, ids))  # fmt: skip

    def locked(self, ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, t.DataRecord]:
        """These records, locked in id order and read afresh: an import amends them
        from what is committed now, not from a look-up that a concurrent import or
        rollback may have overtaken (two imports never wait on each other in a cycle
        within a chunk)."""
        wanted = sorted(set(ids))
        if not wanted:
            return {}
        query = (
            select(t.DataRecord)
            .where(among(self.session, t.DataRecord.id, wanted))
            .order_by(t.DataRecord.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {record.id: record for record in self.session.scalars(query)}

    def amended_by_batch(self, batch_id: uuid.UUID) -> Sequence[t.DataRecord]:
        """The records the batch amended, locked in id order and read afresh: a
        rollback restores them from what is committed now (an import amending one
        meanwhile is waited for, and its amendment is then in the chain)."""
        query = _locked_amended_by(t.DataRecord, t.Amendment.record_id, batch_id)
        return self.session.scalars(query).all()

    def add_new(self, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
        """COPY (PostgreSQL) or multi-row INSERT (SQLite) of new records, skipping any
        whose department and source id a concurrent import has just written: how
        many were written."""
        return write_rows(self.session, t.DataRecord.__table__, columns, rows, skip_conflicts=True)

    def residents_of_batch(
        self, batch_id: uuid.UUID, after: uuid.UUID | None, limit: int
    ) -> list[uuid.UUID]:
        """The residents a batch touched, a page at a time in id order (keyset)."""
        query = (
            select(t.DataRecord.resident_id)
            .where(
                or_(
                    t.DataRecord.batch_id == batch_id,
                    t.DataRecord.id.in_(_amended_by(t.Amendment.record_id, batch_id)),
                )
            )
            .group_by(t.DataRecord.resident_id)
            .order_by(t.DataRecord.resident_id)
            .limit(limit)
        )
        if after is not None:
            query = query.where(t.DataRecord.resident_id > after)
        return list(self.session.scalars(query))

    def withdraw_batch(self, batch_id: uuid.UUID, *, at: datetime, reason: str) -> int:
        result = self.session.execute(
            update(t.DataRecord)
            .where(t.DataRecord.batch_id == batch_id, t.DataRecord.withdrawn_at.is_(None))
            .values(withdrawn_at=at, withdrawn_reason=reason)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def residents_who_stayed(self, region: str, start: date, end: date | None) -> set[uuid.UUID]:
        """Residents with a travel record in `region` (a prefix) overlapping the dates."""
        last = func.coalesce(t.DataRecord.end, t.DataRecord.start)
        first = func.coalesce(t.DataRecord.start, t.DataRecord.end)
        conditions = [
            t.DataRecord.kind == "travel",
            t.DataRecord.region.startswith(region, autoescape=True),
            last >= start,
        ]
        if end is not None:
            conditions.append(first <= end)
        query = select(t.DataRecord.resident_id).where(*conditions).distinct()
        return set(self.session.scalars(query))

    def confirmed_cases(
        self, regions: Sequence[str] | None, limit: int
    ) -> Sequence[tuple[t.DataRecord, t.Resident]]:
        """Confirmed records in force (not withdrawn), newest first, of residents in
        the regions (prefixes; None: everywhere)."""
        query = (
            select(t.DataRecord, t.Resident)
            .join(t.Resident, t.Resident.id == t.DataRecord.resident_id)
            .where(t.DataRecord.kind == "confirmed", t.DataRecord.withdrawn_at.is_(None))
        )
        if regions is not None:
            if not regions:
                return []
            query = query.where(or_(*(t.Resident.region_code.startswith(r) for r in regions)))
        query = query.order_by(t.DataRecord.start.desc(), t.DataRecord.id).limit(limit)
        return [(d, r) for d, r in self.session.execute(query)]


class HighRiskRegions(_Repo):
    def ever_listed(self) -> Sequence[t.HighRiskRegion]:
        """Every high-risk period, withdrawn ones too (they counted until withdrawn):
        a handful of rows, region-level, read with each resident's facts."""
        return self.session.scalars(select(t.HighRiskRegion)).all()

    def sent_before(
        self, department: str, source_ids: Iterable[str]
    ) -> dict[str, t.HighRiskRegion]:
        """The department's listings with these source ids, locked in id order and
        read afresh: an import amends them from what is committed now (a file lists
        a handful of regions, so it locks them all)."""
        ids = list(set(source_ids))
        if not ids:
            return {}
        query = (
            select(t.HighRiskRegion)
            .where(t.HighRiskRegion.department == department, t.HighRiskRegion.source_id.in_(ids))
            .order_by(t.HighRiskRegion.id)
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        return {region.source_id: region for region in self.session.scalars(query)}

    def add_new(self, rows: Sequence[Mapping[str, Any]]) -> int:
        """New listings, skipping any a concurrent import has just written: how many
        were written (as ``DataRecords.add_new``)."""
        if not rows:
            return 0
        columns = list(rows[0])
        values = ([row[c] for c in columns] for row in rows)
        return write_rows(
            self.session, t.HighRiskRegion.__table__, columns, values, skip_conflicts=True
        )

    def of_batch(self, batch_id: uuid.UUID) -> Sequence[t.HighRiskRegion]:
        """The listings the batch added or amended."""
        r = t.HighRiskRegion
        amended = _amended_by(t.Amendment.listing_id, batch_id)
        query = select(r).where(or_(r.batch_id == batch_id, r.id.in_(amended)))
        return self.session.scalars(query).all()

    def amended_by_batch(self, batch_id: uuid.UUID) -> Sequence[t.HighRiskRegion]:
        """As ``DataRecords.amended_by_batch``, for listings."""
        query = _locked_amended_by(t.HighRiskRegion, t.Amendment.listing_id, batch_id)
        return self.session.scalars(query).all()

    def withdraw_batch(self, batch_id: uuid.UUID, *, at: datetime, reason: str) -> int:
        result = self.session.execute(
            update(t.HighRiskRegion)
            .where(t.HighRiskRegion.batch_id == batch_id, t.HighRiskRegion.withdrawn_at.is_(None))
            .values(withdrawn_at=at, withdrawn_reason=reason)
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    def residents_with_declared_trips(self, since: datetime) -> Iterable[tuple[uuid.UUID, Any]]:
        """(resident, trips) of declarations confirmed since `since` that name a trip."""
        query = select(t.Declaration.resident_id, t.Declaration.trips).where(
            t.Declaration.confirmed_at >= since, t.Declaration.resident_id.is_not(None)
        )
        for resident_id, trips in self.session.execute(query).yield_per(1000):
            if trips and resident_id is not None:
                yield resident_id, trips


class Amendments(_Repo):
    def record(
        self,
        batch_id: uuid.UUID,
        row: t.DataRecord | t.HighRiskRegion,
        before: dict[str, Any],
        after: dict[str, Any],
    ) -> None:
        key = "record_id" if isinstance(row, t.DataRecord) else "listing_id"
        self.session.add(
            t.Amendment(batch_id=batch_id, before=before, after=after, **{key: row.id})
        )

    def chains(self, key: Any, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, t.Chain]:
        """The amendments of these records (``key``: ``Amendment.record_id``) or
        listings (``listing_id``), each with its import's status, oldest first."""
        found: dict[uuid.UUID, t.Chain] = {row_id: [] for row_id in ids}
        if not ids:
            return found
        query = (
            select(t.Amendment, t.ImportBatch.status)
            .join(t.ImportBatch, t.ImportBatch.id == t.Amendment.batch_id)
            .where(among(self.session, key, list(ids)))
            .order_by(t.Amendment.id)
        )
        self.session.flush()
        for amendment, status in self.session.execute(query):
            found[getattr(amendment, key.key)].append((amendment, status))
        return found


class ImportBatches(_Repo):
    def by_id(self, batch_id: uuid.UUID, *, lock: bool = False) -> t.ImportBatch | None:
        if not lock:
            return self.session.get(t.ImportBatch, batch_id)
        query = select(t.ImportBatch).where(t.ImportBatch.id == batch_id).with_for_update()
        return self.session.scalars(query.execution_options(populate_existing=True)).first()

    def add_refusals(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows:
            self.session.execute(insert(t.ImportRefusal), list(rows))

    def recolour_due(self, before: datetime) -> list[uuid.UUID]:
        """Batches whose residents still await recolouring since before ``before``,
        oldest first."""
        b = t.ImportBatch
        query = select(b.id).where(b.recolour_due_at <= before).order_by(b.recolour_due_at, b.id)
        return list(self.session.scalars(query))

    def recoloured(self, batch_id: uuid.UUID, due_at: datetime | None, residents: int) -> None:
        """Record a finished recolouring of the batch as it was due at ``due_at``. A
        rollback committed meanwhile set a later instant, which stays: its recolouring
        is still owed (on PostgreSQL the update waits for the rollback's row lock and
        then reads the row it left)."""
        b = t.ImportBatch
        done = b.recolour_due_at == due_at if due_at is not None else b.recolour_due_at.is_(None)
        self.session.execute(
            update(b)
            .where(b.id == batch_id)
            .values(
                residents_touched=residents,
                recolour_due_at=case((done, None), else_=b.recolour_due_at),
            )
        )

    def refusals(self, batch_id: uuid.UUID, limit: int) -> Sequence[t.ImportRefusal]:
        query = (
            select(t.ImportRefusal)
            .where(t.ImportRefusal.batch_id == batch_id)
            .order_by(t.ImportRefusal.line, t.ImportRefusal.id)
            .limit(limit)
        )
        return self.session.scalars(query).all()

    def recent(self, scope: Scope, limit: int) -> Sequence[t.ImportBatch]:
        """Newest first, those ``scope`` covers (``Scope.covers_records``)."""
        query = select(t.ImportBatch).order_by(t.ImportBatch.started_at.desc()).limit(limit)
        if scope.everywhere:
            return self.session.scalars(query).all()
        region = func.coalesce(t.ImportBatch.region, "")
        covered = [region.startswith(p, autoescape=True) for p in sorted(scope.regions)] + [
            and_(t.ImportBatch.department == d, region.startswith(p, autoescape=True))
            for d, p in sorted(scope.departments)
        ]
        if not covered:
            return ()
        return self.session.scalars(query.where(or_(*covered))).all()


class DepartmentClients(_Repo):
    def holds_key(self, client_id: uuid.UUID, key_hash: bytes) -> bool:
        """Whether the client is not revoked and still has this key, read under a
        share lock: a revocation or a new key committed before is seen, one that comes
        after waits for this transaction."""
        query = (
            select(t.DepartmentClient.revoked_at, t.DepartmentClient.key_hash)
            .where(t.DepartmentClient.id == client_id)
            .with_for_update(read=True)
        )
        found = self.session.execute(query).first()
        return found is not None and found.revoked_at is None and found.key_hash == key_hash

    def by_key_hash(self, key_hash: bytes) -> t.DepartmentClient | None:
        query = select(t.DepartmentClient).where(
            t.DepartmentClient.key_hash == key_hash, t.DepartmentClient.revoked_at.is_(None)
        )
        return self.session.scalars(query).first()

    def by_name(self, name: str, *, lock: bool = False) -> t.DepartmentClient | None:
        """The active client of this name, else the one revoked last: a revoked
        client's name may be given to a new one."""
        query = (
            select(t.DepartmentClient)
            .where(t.DepartmentClient.name == name)
            .order_by(
                t.DepartmentClient.revoked_at.is_not(None),
                t.DepartmentClient.revoked_at.desc(),
            )
            .limit(1)
        )
        if lock:
            query = query.with_for_update()
        return self.session.scalars(query).first()

    def listed(self) -> Sequence[tuple[t.DepartmentClient, bool]]:
        """Every client, by name, the active one first, each with whether it holds a
        look-up grant (``lookup_grants``, not revoked): one query."""
        granted = t.LookupGrant.revoked_at.is_(None) & t.LookupGrant.client_id.is_not(None)
        query = (
            select(t.DepartmentClient, granted)
            .outerjoin(t.LookupGrant, t.LookupGrant.client_id == t.DepartmentClient.id)
            .order_by(
                t.DepartmentClient.name,
                t.DepartmentClient.revoked_at.is_not(None),
                t.DepartmentClient.created_at.desc(),
            )
        )
        return [(client, bool(grant)) for client, grant in self.session.execute(query)]


class CreditRecords(_Repo):
    def of_resident(self, resident_id: uuid.UUID) -> Sequence[t.CreditRecord]:
        query = (
            select(t.CreditRecord)
            .where(t.CreditRecord.resident_id == resident_id)
            .order_by(t.CreditRecord.at, t.CreditRecord.id)  # as the batches read them
        )
        return self.session.scalars(query).all()

    def of_case(self, case_id: uuid.UUID) -> t.CreditRecord | None:
        query = select(t.CreditRecord).where(t.CreditRecord.case_id == case_id)
        return self.session.scalars(query).first()
