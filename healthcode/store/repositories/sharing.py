"""What is shared with other departments: colour counts, and one resident's codes."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, select

from healthcode.store import tables as t
from healthcode.store.repositories.base import _Repo


class ColourStatistics(_Repo):
    def counts_at(self, instant: datetime) -> Sequence[tuple[str, str, str, int]]:
        """(county, code type, colour, codes) for the colour each code had at
        ``instant``: its last recorded change before then. One query, grouped in the
        database; codes without a change by then are not counted."""
        last = (
            select(t.ColourChange.code_id, func.max(t.ColourChange.seq).label("seq"))
            .where(t.ColourChange.at < instant)
            .group_by(t.ColourChange.code_id)
            .subquery()
        )
        query = (
            select(
                t.Resident.region_code,
                t.Code.policy_id,
                t.ColourChange.to_colour,
                func.count(),
            )
            .select_from(last)
            .join(
                t.ColourChange,
                and_(t.ColourChange.code_id == last.c.code_id, t.ColourChange.seq == last.c.seq),
            )
            .join(t.Code, t.Code.id == last.c.code_id)
            .join(t.Resident, t.Resident.id == t.Code.resident_id)
            .group_by(t.Resident.region_code, t.Code.policy_id, t.ColourChange.to_colour)
            .order_by(t.Resident.region_code, t.Code.policy_id, t.ColourChange.to_colour)
        )
        return [(r, p, c, int(n)) for r, p, c, n in self.session.execute(query)]


class ColourLookups(_Repo):
    def client_by_key_hash(self, key_hash: bytes) -> t.DepartmentClient | None:
        """An active department client holding an active look-up grant, by its key,
        both rows locked for share until the look-up commits."""
        query = (
            select(t.DepartmentClient)
            .join(t.LookupGrant, t.LookupGrant.client_id == t.DepartmentClient.id)
            .where(
                t.DepartmentClient.key_hash == key_hash,
                t.DepartmentClient.revoked_at.is_(None),
                t.LookupGrant.revoked_at.is_(None),
            )
            # shared: a revocation waits for the look-ups already under way, so none
            # answers after the revocation is committed
            .with_for_update(read=True)
        )
        return self.session.scalars(query).first()

    def grant(self, client_id: uuid.UUID) -> t.LookupGrant | None:
        return self.session.get(t.LookupGrant, client_id)
