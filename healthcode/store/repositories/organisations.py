"""Repositories: one per aggregate, query methods named after the domain."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from healthcode.store import tables as t
from healthcode.store.repositories.base import _Repo


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
