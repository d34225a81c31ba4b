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


def organisation_in_scope(scope: Scope) -> ColumnElement[bool]:
    """An organisation is within a scope: itself, its parent (an employer is governed by
    its community), or its region."""
    if scope.everywhere:
        return true()
    held: list[ColumnElement[bool]] = [
        t.Organisation.region_code.startswith(p) for p in sorted(scope.regions)
    ]
    if scope.organisations:
        held.append(t.Organisation.id.in_(scope.organisations))
        held.append(t.Organisation.parent_id.in_(scope.organisations))
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

    def by_id_locked(self, organisation_id: uuid.UUID) -> t.Organisation | None:
        return self.session.get(
            t.Organisation, organisation_id, with_for_update=True, populate_existing=True
        )

    def within(self, scope: Scope, *, limit: int, offset: int = 0) -> Sequence[t.Organisation]:
        """The organisations a scope reaches: its own, the employers they approve, and
        everything in its regions; by region, then name."""
        query = (
            select(t.Organisation)
            .where(organisation_in_scope(scope))
            .order_by(t.Organisation.region_code, t.Organisation.kind, t.Organisation.name)
            .limit(limit)
            .offset(offset)
        )
        return self.session.scalars(query).all()

    def grassroots_in(self, region_code: str | None, *, limit: int) -> Sequence[t.Organisation]:
        """Active communities and villages of one county (None: of every county)."""
        query = (
            select(t.Organisation)
            .where(
                t.Organisation.kind.in_(("community", "village")),
                t.Organisation.status == "active",
            )
            .order_by(t.Organisation.region_code, t.Organisation.credit_code)
            .limit(limit)
        )
        if region_code is not None:
            query = query.where(t.Organisation.region_code == region_code)
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

    def of_organisation(self, organisation_id: uuid.UUID) -> Sequence[t.Authorisation]:
        query = (
            select(t.Authorisation)
            .where(t.Authorisation.organisation_id == organisation_id)
            .order_by(t.Authorisation.applied_at.desc(), t.Authorisation.id)
        )
        return self.session.scalars(query).all()

    def of_account(self, account_id: uuid.UUID) -> Sequence[t.Authorisation]:
        query = (
            select(t.Authorisation)
            .where(t.Authorisation.account_id == account_id)
            .order_by(t.Authorisation.applied_at.desc(), t.Authorisation.id)
        )
        return self.session.scalars(query).all()

    def open_of(
        self, account_id: uuid.UUID, organisation_id: uuid.UUID, role: str
    ) -> t.Authorisation | None:
        """An application still waiting, or a grant in force (active or suspended)."""
        query = select(t.Authorisation).where(
            t.Authorisation.account_id == account_id,
            t.Authorisation.organisation_id == organisation_id,
            t.Authorisation.role == role,
            t.Authorisation.status.in_(("applied", "active", "suspended")),
        )
        return self.session.scalars(query).first()

    def within(
        self, scope: Scope, *, status: str | None, limit: int, offset: int = 0
    ) -> Sequence[tuple[t.Authorisation, t.Organisation]]:
        """Authorisations of the organisations a scope reaches, waiting ones first."""
        query = (
            select(t.Authorisation, t.Organisation)
            .join(t.Organisation, t.Organisation.id == t.Authorisation.organisation_id)
            .where(organisation_in_scope(scope))
            .order_by(t.Authorisation.applied_at, t.Authorisation.id)
            .limit(limit)
            .offset(offset)
        )
        if status is not None:
            query = query.where(t.Authorisation.status == status)
        return [(a, o) for a, o in self.session.execute(query)]

    def of_signatures(
        self, declaration_id: uuid.UUID
    ) -> Sequence[tuple[t.Signature, t.Authorisation | None, t.Organisation | None]]:
        """Who signed an application, under which authorisation of which organisation."""
        query = (
            select(t.Signature, t.Authorisation, t.Organisation)
            .outerjoin(t.Authorisation, t.Authorisation.id == t.Signature.authorisation_id)
            .outerjoin(t.Organisation, t.Organisation.id == t.Authorisation.organisation_id)
            .where(t.Signature.declaration_id == declaration_id)
            .order_by(t.Signature.signed_at)
        )
        return [(s, a, o) for s, a, o in self.session.execute(query)]


class Employees(_Repo):
    """Employers' staff rosters (``employees``)."""

    def lock_roster(self, organisation_id: uuid.UUID) -> t.Organisation | None:
        """The employer, locked: imports of one roster run one at a time."""
        return self.session.get(
            t.Organisation, organisation_id, with_for_update=True, populate_existing=True
        )

    def by_hashes(
        self, organisation_id: uuid.UUID, id_hashes: Sequence[bytes]
    ) -> dict[bytes, t.Employee]:
        """The roster's rows (removed ones too) for these ID hashes, in batches."""
        found: dict[bytes, t.Employee] = {}
        hashes = list(id_hashes)
        for start in range(0, len(hashes), 500):
            query = select(t.Employee).where(
                t.Employee.organisation_id == organisation_id,
                t.Employee.id_hash.in_(hashes[start : start + 500]),
            )
            found.update((row.id_hash, row) for row in self.session.scalars(query))
        return found

    def of(
        self, organisation_id: uuid.UUID, *, limit: int, offset: int = 0
    ) -> tuple[int, Sequence[t.Employee]]:
        """A page of the roster's present staff by department and name, and their count."""
        present = (t.Employee.organisation_id == organisation_id, t.Employee.removed_at.is_(None))
        total = self.session.scalar(select(func.count()).where(*present)) or 0
        query = (
            select(t.Employee)
            .where(*present)
            .order_by(t.Employee.department, t.Employee.name, t.Employee.id)
            .limit(limit)
            .offset(offset)
        )
        return total, self.session.scalars(query).all()

    def on_roster(self, organisation_id: uuid.UUID, id_hash: bytes) -> t.Employee | None:
        query = select(t.Employee).where(
            t.Employee.organisation_id == organisation_id,
            t.Employee.id_hash == id_hash,
            t.Employee.removed_at.is_(None),
        )
        return self.session.scalars(query).first()

    def employers_of(self, id_hash: bytes) -> Sequence[t.Organisation]:
        """The active employers whose present staff include this ID number."""
        query = (
            select(t.Organisation)
            .join(t.Employee, t.Employee.organisation_id == t.Organisation.id)
            .where(
                t.Employee.id_hash == id_hash,
                t.Employee.removed_at.is_(None),
                t.Organisation.kind == "employer",
                t.Organisation.status == "active",
            )
            .order_by(t.Organisation.name)
        )
        return self.session.scalars(query).all()

    def employers_within(
        self,
        *,
        everywhere: bool,
        organisation_ids: Sequence[uuid.UUID],
        region_prefixes: Sequence[str],
        limit: int,
    ) -> Sequence[t.Organisation]:
        """Employers among these organisations or inside these regions, by name."""
        within: list[ColumnElement[bool]] = [t.Organisation.id.in_(organisation_ids)]
        within += [t.Organisation.region_code.startswith(p) for p in region_prefixes]
        query = select(t.Organisation).where(t.Organisation.kind == "employer")
        if not everywhere:
            query = query.where(or_(false(), *within))
        return self.session.scalars(query.order_by(t.Organisation.name).limit(limit)).all()
