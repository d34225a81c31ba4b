"""Repositories: one per aggregate, query methods named after the domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, false, func, or_, select, true

from healthcode.domain.scope import Scope
from healthcode.store import tables as t
from healthcode.store.repositories.base import _Repo


def in_scope(scope: Scope) -> ColumnElement[bool]:
    """A pass application is within a scope: its organisation, or the region it is in
    (the organisation's, else the resident's). Needs Organisation outer-joined and
    Resident joined."""
    if scope.everywhere:
        return true()
    region = func.coalesce(t.Organisation.region_code, t.Resident.region_code)
    held: list[ColumnElement[bool]] = [region.startswith(p) for p in sorted(scope.regions)]
    if scope.organisations:
        held.append(t.Declaration.organisation_id.in_(scope.organisations))
    return or_(*held) if held else false()


class Applications(_Repo):
    """Pass applications waiting for an issuer, oldest first (a fair queue)."""

    def pending(
        self, policy_ids: Sequence[str], scope: Scope, *, limit: int, offset: int = 0
    ) -> Sequence[tuple[t.Code, t.Resident, t.Declaration]]:
        query = (
            select(t.Code, t.Resident, t.Declaration)
            .join(t.Resident, t.Resident.id == t.Code.resident_id)
            .join(t.Declaration, t.Declaration.id == t.Code.awaiting_id)
            .outerjoin(t.Organisation, t.Organisation.id == t.Declaration.organisation_id)
            .where(t.Code.policy_id.in_(policy_ids), in_scope(scope))
            .order_by(t.Declaration.confirmed_at, t.Declaration.id)
            .limit(limit)
            .offset(offset)
        )
        return [(c, r, d) for c, r, d in self.session.execute(query)]

    def count_pending(self, policy_ids: Sequence[str], scope: Scope) -> int:
        query = (
            select(func.count())
            .select_from(t.Code)
            .join(t.Resident, t.Resident.id == t.Code.resident_id)
            .join(t.Declaration, t.Declaration.id == t.Code.awaiting_id)
            .outerjoin(t.Organisation, t.Organisation.id == t.Declaration.organisation_id)
            .where(t.Code.policy_id.in_(policy_ids), in_scope(scope))
        )
        return self.session.scalar(query) or 0


class Organisations(_Repo):
    def by_id(self, organisation_id: uuid.UUID) -> t.Organisation | None:
        return self.session.get(t.Organisation, organisation_id)

    def by_credit_code(self, credit_code: str) -> t.Organisation | None:
        query = select(t.Organisation).where(t.Organisation.credit_code == credit_code)
        return self.session.scalars(query).first()

    def grassroots_in(self, region_code: str, *, limit: int) -> Sequence[t.Organisation]:
        """Active communities and villages of one county."""
        query = (
            select(t.Organisation)
            .where(
                t.Organisation.region_code == region_code,
                t.Organisation.kind.in_(("community", "village")),
                t.Organisation.status == "active",
            )
            .order_by(t.Organisation.credit_code)
            .limit(limit)
        )
        return self.session.scalars(query).all()


class Authorisations(_Repo):
    def by_id(self, authorisation_id: uuid.UUID, *, lock: bool = False) -> t.Authorisation | None:
        return self.session.get(
            t.Authorisation, authorisation_id, with_for_update=lock, populate_existing=lock
        )

    def active(
        self, account_id: uuid.UUID, organisation_id: uuid.UUID, role: str, *, lock: bool = False
    ) -> t.Authorisation | None:
        """The grant a signature is made under; locked, a revocation waits for the signature
        (or the signature for the revocation, then finds none)."""
        query = select(t.Authorisation).where(
            t.Authorisation.account_id == account_id,
            t.Authorisation.organisation_id == organisation_id,
            t.Authorisation.role == role,
            t.Authorisation.status == "active",
        )
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(query).first()
