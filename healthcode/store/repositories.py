"""Repositories: one per aggregate, query methods named after the domain.

All SQL lives in healthcode.store. Methods return table rows; conversion to domain
facts is in ``facts.py`` beside this module.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from healthcode.store import tables as t


class _Repo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: Any) -> None:
        self.session.add(row)


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


class Accounts(_Repo):
    def by_id(self, account_id: uuid.UUID, *, lock: bool = False) -> t.Account | None:
        return self.session.get(t.Account, account_id, with_for_update=lock, populate_existing=lock)

    def by_phone_hash(self, phone_hash: bytes) -> t.Account | None:
        query = select(t.Account).where(t.Account.phone_hash == phone_hash)
        return self.session.scalars(query).first()

    def by_username(self, username: str) -> t.Account | None:
        query = select(t.Account).where(t.Account.username == username)
        return self.session.scalars(query).first()

    def by_resident(self, resident_id: uuid.UUID) -> t.Account | None:
        query = select(t.Account).where(t.Account.resident_id == resident_id)
        return self.session.scalars(query).first()

    def roles_of(self, account_id: uuid.UUID) -> list[t.AccountRole]:
        query = select(t.AccountRole).where(t.AccountRole.account_id == account_id)
        return list(self.session.scalars(query))

    def staff(self) -> list[tuple[t.Account, Sequence[t.AccountRole]]]:
        """Every staff account by username, each with its roles (two queries in all)."""
        accounts = self.session.scalars(
            select(t.Account).where(t.Account.kind == "staff").order_by(t.Account.username)
        ).all()
        roles: dict[uuid.UUID, list[t.AccountRole]] = defaultdict(list)
        if accounts:
            query = select(t.AccountRole).where(
                t.AccountRole.account_id.in_([a.id for a in accounts])
            )
            for row in self.session.scalars(query.order_by(t.AccountRole.role)):
                roles[row.account_id].append(row)
        return [(a, roles[a.id]) for a in accounts]


class Sessions(_Repo):
    def with_account(
        self, token_hash: bytes
    ) -> tuple[t.AuthSession, t.Account, list[t.AccountRole]] | None:
        """A session with its account and roles in one round trip: every request asks."""
        query = (
            select(t.AuthSession, t.Account, t.AccountRole)
            .join(t.Account, t.Account.id == t.AuthSession.account_id)
            .outerjoin(t.AccountRole, t.AccountRole.account_id == t.Account.id)
            .where(t.AuthSession.token_hash == token_hash)
        )
        rows = self.session.execute(query).all()
        if not rows:
            return None
        session, account = rows[0][0], rows[0][1]
        return session, account, [role for _, _, role in rows if role is not None]

    def by_token_hash(self, token_hash: bytes) -> t.AuthSession | None:
        query = select(t.AuthSession).where(t.AuthSession.token_hash == token_hash)
        return self.session.scalars(query).first()

    def revoke_all(self, account_id: uuid.UUID, at: datetime) -> None:
        self.session.execute(
            update(t.AuthSession)
            .where(t.AuthSession.account_id == account_id, t.AuthSession.revoked_at.is_(None))
            .values(revoked_at=at)
        )


class OtpChallenges(_Repo):
    def latest(self, phone_hash: bytes, *, client: str | None = None) -> t.OtpChallenge | None:
        """The newest challenge of a number (requested from ``client``, if given), locked."""
        query = select(t.OtpChallenge).where(t.OtpChallenge.phone_hash == phone_hash)
        if client is not None:
            query = query.where(t.OtpChallenge.client == client)
        query = query.order_by(t.OtpChallenge.created_at.desc()).limit(1).with_for_update()
        return self.session.scalars(query).first()

    def count_since(self, phone_hash: bytes, since: datetime, *, client: str) -> int:
        query = select(func.count()).where(
            t.OtpChallenge.phone_hash == phone_hash,
            t.OtpChallenge.client == client,
            t.OtpChallenge.created_at >= since,
        )
        return self.session.scalar(query) or 0

    def count_all_since(self, since: datetime) -> int:
        """Codes sent to anyone since then: the global SMS budget."""
        query = select(func.count()).where(t.OtpChallenge.created_at >= since)
        return self.session.scalar(query) or 0


class LoginFailures(_Repo):
    """Consecutive wrong passwords per username and address, counted atomically."""

    def get(self, username: str, client: str) -> t.LoginFailure | None:
        return self.session.get(t.LoginFailure, (username, client), populate_existing=True)

    def count(self, username: str, client: str, at: datetime) -> None:
        """One more failure: an upsert, so two at once from one address both count."""
        dialect = self.session.get_bind().dialect.name
        insert = pg_insert if dialect == "postgresql" else sqlite_insert
        row = {"username": username, "client": client, "failures": 1, "last_at": at}
        statement = insert(t.LoginFailure).values(**row)
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["username", "client"],
                set_={"failures": t.LoginFailure.failures + 1, "last_at": at},
            )
        )

    def clear(self, username: str, client: str) -> None:
        self.session.execute(
            delete(t.LoginFailure).where(
                t.LoginFailure.username == username, t.LoginFailure.client == client
            )
        )


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


class Codes(_Repo):
    def of_resident(
        self, resident_id: uuid.UUID, policy_id: str, *, lock: bool = False
    ) -> t.Code | None:
        query = select(t.Code).where(
            t.Code.resident_id == resident_id, t.Code.policy_id == policy_id
        )
        if lock:  # and refresh a copy loaded earlier in this transaction (the rollover's)
            query = query.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(query).first()

    def all_of_resident(self, resident_id: uuid.UUID) -> Sequence[t.Code]:
        return self.session.scalars(select(t.Code).where(t.Code.resident_id == resident_id)).all()

    def due_for_recheck(self, at: datetime, limit: int) -> Sequence[t.Code]:
        query = (
            select(t.Code)
            .where(t.Code.recheck_at.is_not(None), t.Code.recheck_at <= at)
            .order_by(t.Code.recheck_at, t.Code.id)
            .limit(limit)
        )
        return self.session.scalars(query).all()

    def history(self, code_id: uuid.UUID) -> Sequence[t.ColourChange]:
        query = (
            select(t.ColourChange)
            .where(t.ColourChange.code_id == code_id)
            .order_by(t.ColourChange.seq.desc())
        )
        return self.session.scalars(query).all()


class Signatures(_Repo):
    def for_declarations(self, ids: Sequence[uuid.UUID]) -> Sequence[t.Signature]:
        if not ids:
            return []
        query = (
            select(t.Signature)
            .where(t.Signature.declaration_id.in_(ids))
            .order_by(t.Signature.signed_at)
        )
        return self.session.scalars(query).all()


class DataRecords(_Repo):
    def of_resident(self, resident_id: uuid.UUID) -> Sequence[t.DataRecord]:
        query = select(t.DataRecord).where(t.DataRecord.resident_id == resident_id)
        return self.session.scalars(query).all()


class CreditRecords(_Repo):
    def of_resident(self, resident_id: uuid.UUID) -> Sequence[t.CreditRecord]:
        query = select(t.CreditRecord).where(t.CreditRecord.resident_id == resident_id)
        return self.session.scalars(query).all()


class KeyChecks(_Repo):
    def get(self, name: str) -> t.KeyCheck | None:
        return self.session.get(t.KeyCheck, name)

    def add_once(self, check: t.KeyCheck) -> t.KeyCheck:
        """Write the check value, or get the one another worker starting at the same
        moment wrote first."""
        try:
            with self.session.begin_nested():
                self.session.add(check)
                self.session.flush()
        except IntegrityError:
            found = self.session.get(t.KeyCheck, check.name, populate_existing=True)
            if found is None:
                raise
            return found
        return check


class SigningKeys(_Repo):
    def all(self) -> Sequence[t.SigningKey]:
        return self.session.scalars(select(t.SigningKey).order_by(t.SigningKey.created_at)).all()

    def by_kid(self, kid: bytes) -> t.SigningKey | None:
        return self.session.get(t.SigningKey, kid)

    def window(self, kid: bytes) -> tuple[datetime, datetime | None, datetime | None] | None:
        """A key's (valid_from, valid_until, retired_at) as committed now: one primary-key
        lookup without the encrypted seed, cheap enough to make before every signature."""
        k = t.SigningKey
        query = select(k.valid_from, k.valid_until, k.retired_at).where(k.kid == kid)
        row = self.session.execute(query).first()
        return None if row is None else (row[0], row[1], row[2])


class Revocations(_Repo):
    def is_revoked(self, token_id: bytes) -> bool:
        return self.session.get(t.Revocation, token_id) is not None

    def since(self, at: datetime | None) -> Sequence[t.Revocation]:
        query = select(t.Revocation).order_by(t.Revocation.revoked_at)
        if at is not None:
            query = query.where(t.Revocation.revoked_at > at)
        return self.session.scalars(query).all()


class Notifications(_Repo):
    def of_resident(self, resident_id: uuid.UUID, limit: int = 50) -> Sequence[t.Notification]:
        query = (
            select(t.Notification)
            .where(t.Notification.resident_id == resident_id)
            .order_by(t.Notification.at.desc())
            .limit(limit)
        )
        return self.session.scalars(query).all()

    def count_unread(self, resident_id: uuid.UUID) -> int:
        query = select(func.count()).where(
            t.Notification.resident_id == resident_id, t.Notification.read_at.is_(None)
        )
        return self.session.scalar(query) or 0

    def mark_read(self, resident_id: uuid.UUID, at: datetime) -> None:
        self.session.execute(
            update(t.Notification)
            .where(t.Notification.resident_id == resident_id, t.Notification.read_at.is_(None))
            .values(read_at=at)
        )


class AuditLog(_Repo):
    def of_resident(self, resident_id: uuid.UUID) -> Sequence[t.AuditEvent]:
        query = (
            select(t.AuditEvent)
            .where(t.AuditEvent.resident_id == resident_id)
            .order_by(t.AuditEvent.at.desc())
        )
        return self.session.scalars(query).all()


class Leases(_Repo):
    def take(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take or renew the lease; False if another holder has it and it has not expired."""
        lease = self.session.get(t.Lease, name, with_for_update=True, populate_existing=True)
        if lease is None:
            try:  # two first takers: the second's insert fails, and it is not the holder
                with self.session.begin_nested():
                    self.session.add(t.Lease(name=name, holder=holder, expires_at=until))
            except IntegrityError:
                return False
            return True
        if lease.holder != holder and lease.expires_at > now:
            return False
        lease.holder, lease.expires_at = holder, until
        return True

    def release(self, name: str, holder: str) -> None:
        """Give the lease up early, so the next run need not wait for its expiry."""
        self.session.execute(delete(t.Lease).where(t.Lease.name == name, t.Lease.holder == holder))


class JobRuns(_Repo):
    def last(self, job: str) -> t.JobRun | None:
        query = select(t.JobRun).where(t.JobRun.job == job).order_by(t.JobRun.started_at.desc())
        return self.session.scalars(query.limit(1)).first()


class Applications(_Repo):
    """Pass applications waiting for an issuer, oldest first (a fair queue)."""

    def pending(
        self, policy_ids: Sequence[str], *, limit: int, offset: int = 0
    ) -> Sequence[tuple[t.Code, t.Resident, t.Declaration]]:
        query = (
            select(t.Code, t.Resident, t.Declaration)
            .join(t.Resident, t.Resident.id == t.Code.resident_id)
            .join(t.Declaration, t.Declaration.id == t.Code.awaiting_id)
            .where(t.Code.policy_id.in_(policy_ids))
            .order_by(t.Declaration.confirmed_at, t.Declaration.id)
            .limit(limit)
            .offset(offset)
        )
        return [(c, r, d) for c, r, d in self.session.execute(query)]

    def count_pending(self, policy_ids: Sequence[str]) -> int:
        query = select(func.count()).where(
            t.Code.policy_id.in_(policy_ids), t.Code.awaiting_id.is_not(None)
        )
        return self.session.scalar(query) or 0
