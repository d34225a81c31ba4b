"""Idempotency keys: the claim made with a write, and the reply stored after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select, update

from healthcode.store import tables as t
from healthcode.store.repositories.base import _Repo, insert_once


@dataclass(frozen=True)
class Reply:
    """A stored response: what a retry is answered with."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


class IdempotencyKeys(_Repo):
    def find(self, fingerprint: bytes, *, since: datetime) -> t.IdempotencyKey | None:
        """The live claim of this key, if any (an expired one counts as absent)."""
        query = select(t.IdempotencyKey).where(
            t.IdempotencyKey.fingerprint == fingerprint, t.IdempotencyKey.created_at >= since
        )
        return self.session.scalars(query).first()

    def claim(
        self, fingerprint: bytes, body_hash: bytes, *, now: datetime, since: datetime
    ) -> bool:
        """Claim the key in the caller's transaction; False if another has it.

        On PostgreSQL a concurrent claim of the same key waits on the primary key
        until the first transaction ends, so two writes can never both go ahead.
        """
        self.session.execute(
            delete(t.IdempotencyKey).where(
                t.IdempotencyKey.fingerprint == fingerprint, t.IdempotencyKey.created_at < since
            )
        )
        row = t.IdempotencyKey(fingerprint=fingerprint, body_hash=body_hash, created_at=now)
        return insert_once(self.session, row)

    def store_reply(self, fingerprint: bytes, reply: Reply, *, since: datetime) -> None:
        """Keep the reply of a committed claim (none if the write rolled back), and
        drop expired keys while here."""
        self.session.execute(
            update(t.IdempotencyKey)
            .where(t.IdempotencyKey.fingerprint == fingerprint, t.IdempotencyKey.status.is_(None))
            .values(status=reply.status, headers=[list(h) for h in reply.headers], body=reply.body)
        )
        self.session.execute(delete(t.IdempotencyKey).where(t.IdempotencyKey.created_at < since))
