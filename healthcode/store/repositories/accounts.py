"""Repositories: one per aggregate, query methods named after the domain."""

from __future__ import annotations

import hashlib
import uuid
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from healthcode.store import tables as t
from healthcode.store.repositories.base import _Repo, held
from healthcode.store.signed_in import SESSION_COLUMNS, SessionColumns


class Accounts(_Repo):
    def by_id(self, account_id: uuid.UUID, *, lock: bool = False) -> t.Account | None:
        """With ``lock``: locked and read afresh, unless this transaction has locked and
        read it already (``held``): then that row is the current one."""
        mine = held(self.session)
        if lock and isinstance(row := mine.get((t.Account, account_id)), t.Account):
            return row
        found = self.session.get(
            t.Account, account_id, with_for_update=lock, populate_existing=lock
        )
        if lock and found is not None:
            mine[t.Account, account_id] = found
        return found

    def by_phone_hash(self, phone_hash: bytes) -> t.Account | None:
        query = select(t.Account).where(t.Account.phone_hash == phone_hash)
        return self.session.scalars(query).first()

    def by_username(self, username: str) -> t.Account | None:
        query = select(t.Account).where(t.Account.username == username)
        return self.session.scalars(query).first()

    def by_resident(self, resident_id: uuid.UUID) -> t.Account | None:
        """The account the resident is bound to. An account this transaction has locked
        and bound to the resident is the one (``resident_id`` is unique): no query."""
        for row in held(self.session).values():
            if isinstance(row, t.Account) and row.resident_id == resident_id:
                return row
        query = select(t.Account).where(t.Account.resident_id == resident_id)
        return self.session.scalars(query).first()

    def roles_of(self, account_id: uuid.UUID) -> list[t.AccountRole]:
        query = select(t.AccountRole).where(t.AccountRole.account_id == account_id)
        return list(self.session.scalars(query))

    def hold(self, account_id: uuid.UUID, role: str, scope: str) -> None:
        """Grant a role within a scope; holding it already is fine."""
        query = select(t.AccountRole).where(
            t.AccountRole.account_id == account_id,
            t.AccountRole.role == role,
            t.AccountRole.scope == scope,
        )
        if self.session.scalars(query).first() is None:
            self.session.add(t.AccountRole(account_id=account_id, role=role, scope=scope))

    def drop(self, account_id: uuid.UUID, role: str, scope: str) -> None:
        self.session.execute(
            delete(t.AccountRole).where(
                t.AccountRole.account_id == account_id,
                t.AccountRole.role == role,
                t.AccountRole.scope == scope,
            )
        )

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

    def region_holders(self, role: str) -> list[tuple[uuid.UUID, str]]:
        """(account, scope) of the active staff holding ``role`` in a region scope
        (``region:<code>``) or the whole deployment's (""); the caller keeps those
        covering the region it asks about."""
        query = (
            select(t.AccountRole.account_id, t.AccountRole.scope)
            .join(t.Account, t.Account.id == t.AccountRole.account_id)
            .where(
                t.AccountRole.role == role,
                or_(t.AccountRole.scope.startswith("region:"), t.AccountRole.scope == ""),
                t.Account.disabled_at.is_(None),
            )
        )
        return [(account, scope) for account, scope in self.session.execute(query)]


def _signed_in() -> Select[Any]:
    s, a, r = t.AuthSession, t.Account, t.AccountRole
    return (
        select(*SESSION_COLUMNS)
        .add_columns(r.role, r.scope)
        .join(a, a.id == s.account_id)
        .outerjoin(r, r.account_id == a.id)
        .where(s.token_hash == bindparam("token_hash"))
    )


_SIGNED_IN = _signed_in()


class Sessions(_Repo):
    def signed_in(
        self, token_hash: bytes
    ) -> tuple[SessionColumns, tuple[tuple[str, str], ...]] | None:
        """A session with its account and roles in one round trip, as columns through
        the connection (no entities to load, no ORM layer: every request asks)."""
        rows = self.columns(_SIGNED_IN, {"token_hash": token_hash}).all()  # sees a logout
        if not rows:
            return None
        at = len(SESSION_COLUMNS)  # the role and scope follow the session's columns
        columns: SessionColumns = tuple(rows[0][:at])
        return columns, tuple((row[at], row[at + 1]) for row in rows if row[at] is not None)

    def by_token_hash(self, token_hash: bytes) -> t.AuthSession | None:
        query = select(t.AuthSession).where(t.AuthSession.token_hash == token_hash)
        return self.session.scalars(query).first()

    def revoke_all(
        self, account_id: uuid.UUID, at: datetime, *, but: uuid.UUID | None = None
    ) -> None:
        """Every live session of the account but ``but`` (the one changing its password)."""
        query = update(t.AuthSession).where(
            t.AuthSession.account_id == account_id, t.AuthSession.revoked_at.is_(None)
        )
        if but is not None:
            query = query.where(t.AuthSession.id != but)
        self.session.execute(query.values(revoked_at=at))


class OtpChallenges(_Repo):
    def take_turn(self, phone_hash: bytes, client: str) -> None:
        """Requests for one number from one address wait here for each other until
        the one before commits, so each reads the codes before it (the cooldown, the
        hourly count). Locking the newest code was not enough on PostgreSQL: with no
        code yet there is nothing to lock, and a request that waited on the lock
        still read the code it waited on, not the one just sent. (SQLite's
        transactions take turns as a whole: ``BEGIN IMMEDIATE``.)"""
        self._wait_for(phone_hash + client.encode())

    def take_budget_turn(self) -> None:
        """Requests for any number wait here for each other until the one before
        commits, so each counts the codes of those before it (``count_all_since``):
        read at once, eight requests with room for three each read "room left" and all
        eight were texted. One lock for every number, held from the count to the
        commit (the text goes after it)."""
        self._wait_for(b"the global SMS budget")

    def _wait_for(self, name: bytes) -> None:
        """Hold ``name``'s lock until the transaction ends (PostgreSQL; SQLite's
        transactions take turns as a whole). Advisory locks are the whole database's:
        the schema is part of the name, so two deployments (or two test workers) in
        one database do not wait for each other's turns."""
        dialect = self.session.get_bind().dialect
        if dialect.name != "postgresql":
            return
        schema = (dialect.default_schema_name or "").encode()
        pair = hashlib.blake2b(schema + b"\0" + name, digest_size=8, person=b"otp-ask")
        key = int.from_bytes(pair.digest(), signed=True)
        self.session.execute(select(func.pg_advisory_xact_lock(key)))

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
        """Codes sent to anyone since then: the global SMS budget (counted after
        ``take_budget_turn``)."""
        query = select(func.count()).where(t.OtpChallenge.created_at >= since)
        return self.session.scalar(query) or 0


class LoginFailures(_Repo):
    """Consecutive wrong passwords per username and address, counted atomically."""

    def locked(self, username: str, client: str, at: datetime) -> t.LoginFailure:
        """The count, made (at none) if missing, and locked until the transaction ends:
        sign-ins at one name from one address take turns from here, each reading the
        count the one before it left. Read without the lock, eight wrong passwords at
        once all read "none yet" and were all checked. (SQLite's transactions take
        turns as a whole: ``BEGIN IMMEDIATE``.)"""
        insert = self._insert()
        row = {"username": username, "client": client, "failures": 0, "last_at": at}
        self.session.execute(insert(t.LoginFailure).values(**row).on_conflict_do_nothing())
        found = self.session.get(
            t.LoginFailure, (username, client), populate_existing=True, with_for_update=True
        )
        assert found is not None  # made above, and only a finished sign-in deletes it
        return found

    def count(self, username: str, client: str, at: datetime) -> None:
        """One more failure: an upsert, so two at once from one address both count."""
        row = {"username": username, "client": client, "failures": 1, "last_at": at}
        statement = self._insert()(t.LoginFailure).values(**row)
        self.session.execute(
            statement.on_conflict_do_update(
                index_elements=["username", "client"],
                set_={"failures": t.LoginFailure.failures + 1, "last_at": at},
            )
        )

    def _insert(self) -> Callable[..., Any]:
        dialect = self.session.get_bind().dialect.name
        return pg_insert if dialect == "postgresql" else sqlite_insert

    def clear(self, username: str, client: str) -> None:
        self.session.execute(
            delete(t.LoginFailure).where(
                t.LoginFailure.username == username, t.LoginFailure.client == client
            )
        )
