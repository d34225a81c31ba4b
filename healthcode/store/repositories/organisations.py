"""Repositories: one per aggregate, query methods named after the domain."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, false, func, or_, select, true, update

from healthcode.domain.scope import QueueQuery, Scope
from healthcode.store import tables as t
from healthcode.store.repositories.base import _Repo, insert_once

_S = TypeVar("_S", bound="Select[*tuple[Any, ...]]")


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
    """Pass applications waiting for an issuer, oldest first (a fair queue). Only
    those the data check has run on (``checked_at``) have reached the queue."""

    def pending(
        self, query: QueueQuery, *, limit: int, offset: int = 0
    ) -> Sequence[tuple[t.Code, t.Resident, t.Declaration]]:
        rows = (
            _waiting(select(t.Code, t.Resident, t.Declaration), query, filtered=True)
            .order_by(t.Declaration.confirmed_at, t.Declaration.id)
            .limit(limit)
            .offset(offset)
        )
        return [(c, r, d) for c, r, d in self.session.execute(rows)]

    def count_pending(self, query: QueueQuery) -> int:
        rows = _waiting(select(func.count()).select_from(t.Code), query, filtered=True)
        return self.session.scalar(rows) or 0

    def summary(self, query: QueueQuery) -> Sequence[tuple[str | None, int, datetime | None]]:
        """Per suggested colour within the scope (filters aside): how many, the oldest."""
        rows = _waiting(
            select(
                t.Code.suggested, func.count(), func.min(t.Declaration.confirmed_at)
            ).select_from(t.Code),
            query,
            filtered=False,
        ).group_by(t.Code.suggested)
        return [(c, n, oldest) for c, n, oldest in self.session.execute(rows)]

    def route_unrouted(
        self, organisation_id: uuid.UUID, county: str, policy_ids: Collection[str]
    ) -> list[uuid.UUID]:
        """Send the waiting applications of residents of ``county`` that went to no
        organisation to this one; their ids. One conditional UPDATE (``… WHERE
        organisation_id IS NULL``): of two organisations made active at once, the second
        waits for the first's row locks, then finds the rows taken (PostgreSQL checks
        the condition again on the row as committed), so none goes to both."""
        waiting = (
            select(t.Code.awaiting_id)
            .join(t.Resident, t.Resident.id == t.Code.resident_id)
            .where(
                t.Resident.region_code == county,
                t.Code.policy_id.in_(policy_ids),
                t.Code.awaiting_id.is_not(None),
            )
        )
        query = (
            update(t.Declaration)
            .where(
                t.Declaration.organisation_id.is_(None),
                t.Declaration.checked_at.is_not(None),
                t.Declaration.id.in_(waiting),
            )
            .values(organisation_id=organisation_id)
            .returning(t.Declaration.id)
            .execution_options(synchronize_session="fetch")
        )
        return list(self.session.scalars(query))

    def unrouted(self, query: QueueQuery) -> Sequence[tuple[str, int, datetime | None]]:
        """Waiting applications within the scope that went to no organisation, per
        resident's region: how many, the oldest (when it was confirmed)."""
        rows = (
            _waiting(
                select(
                    t.Resident.region_code, func.count(), func.min(t.Declaration.confirmed_at)
                ).select_from(t.Code),
                query,
                filtered=False,
            )
            .where(t.Declaration.organisation_id.is_(None))
            .group_by(t.Resident.region_code)
            .order_by(t.Resident.region_code)
        )
        return [(region, n, oldest) for region, n, oldest in self.session.execute(rows)]


def _waiting(query: _S, q: QueueQuery, *, filtered: bool) -> _S:
    query = (
        query.join(t.Resident, t.Resident.id == t.Code.resident_id)
        .join(t.Declaration, t.Declaration.id == t.Code.awaiting_id)
        .outerjoin(t.Organisation, t.Organisation.id == t.Declaration.organisation_id)
        .where(
            t.Code.policy_id.in_(q.policy_ids),
            t.Declaration.checked_at.is_not(None),
            in_scope(q.scope),
        )
    )
    if not filtered:
        return query
    if q.suggested:
        query = query.where(t.Code.suggested == q.suggested)
    if q.region_prefix:
        region = func.coalesce(t.Organisation.region_code, t.Resident.region_code)
        query = query.where(
            or_(
                region.startswith(q.region_prefix),
                t.Resident.region_code.startswith(q.region_prefix),
            )
        )
    if q.purpose:
        query = query.where(t.Declaration.purpose == q.purpose)
    if q.confirmed_before is not None:
        query = query.where(t.Declaration.confirmed_at <= q.confirmed_before)
    return query


class Organisations(_Repo):
    def by_id(self, organisation_id: uuid.UUID) -> t.Organisation | None:
        return self.session.get(t.Organisation, organisation_id)

    def by_credit_code(self, credit_code: str) -> t.Organisation | None:
        query = select(t.Organisation).where(t.Organisation.credit_code == credit_code)
        return self.session.scalars(query).first()

    def among(self, organisation_ids: Collection[uuid.UUID]) -> Sequence[t.Organisation]:
        """These organisations (those a staff member's roles name), by name."""
        query = (
            select(t.Organisation)
            .where(t.Organisation.id.in_(organisation_ids))
            .order_by(t.Organisation.name, t.Organisation.id)
        )
        return self.session.scalars(query).all()

    def by_id_locked(self, organisation_id: uuid.UUID) -> t.Organisation | None:
        return self.session.get(
            t.Organisation, organisation_id, with_for_update=True, populate_existing=True
        )

    def within(
        self, scope: Scope, *, limit: int, offset: int = 0, matching: str = ""
    ) -> Sequence[t.Organisation]:
        """The organisations a scope reaches: its own, the employers they approve, and
        everything in its regions; by region, then name. ``matching``: only those whose
        name holds it, or whose credit code or region code starts with it."""
        o = t.Organisation
        query = select(o).where(organisation_in_scope(scope))
        if matching:
            query = query.where(
                or_(
                    o.name.contains(matching, autoescape=True),
                    o.credit_code.startswith(matching, autoescape=True),
                    o.region_code.startswith(matching, autoescape=True),
                )
            )
        query = query.order_by(o.region_code, o.kind, o.name).limit(limit).offset(offset)
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
    def organisations_of(self, account_id: uuid.UUID, role: str) -> Sequence[t.Organisation]:
        """The active organisations an account holds an active grant of `role` in."""
        query = (
            select(t.Organisation)
            .join(t.Authorisation, t.Authorisation.organisation_id == t.Organisation.id)
            .where(
                t.Authorisation.account_id == account_id,
                t.Authorisation.role == role,
                t.Authorisation.status == "active",
                t.Organisation.status == "active",
            )
            .order_by(t.Organisation.name)
        )
        return self.session.scalars(query).all()

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

    def holders(self, organisation_id: uuid.UUID, role: str) -> list[uuid.UUID]:
        """The active accounts holding an active grant of ``role`` for the organisation
        (a deactivated administrator was still told of flagged check-ins)."""
        query = (
            select(t.Authorisation.account_id)
            .join(t.Account, t.Account.id == t.Authorisation.account_id)
            .where(
                t.Authorisation.organisation_id == organisation_id,
                t.Authorisation.role == role,
                t.Authorisation.status == "active",
                t.Account.disabled_at.is_(None),
            )
            .distinct()
            .order_by(t.Authorisation.account_id)
        )
        return list(self.session.scalars(query))


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

    def member(
        self, organisation_id: uuid.UUID, employee_id: uuid.UUID, *, lock: bool = False
    ) -> t.Employee | None:
        """One present person of the roster (a removed one is None); ``lock`` holds the
        row, as a check-in of the person does, so a removal and a check-in take turns."""
        query = select(t.Employee).where(
            t.Employee.id == employee_id,
            t.Employee.organisation_id == organisation_id,
            t.Employee.removed_at.is_(None),
        )
        if lock:
            query = query.with_for_update().execution_options(populate_existing=True)
        return self.session.scalars(query).first()

    def taken_off(self, organisation_id: uuid.UUID, employee_id: uuid.UUID) -> t.Employee | None:
        """One person of the roster who was taken off it (a present one is None)."""
        query = select(t.Employee).where(
            t.Employee.id == employee_id,
            t.Employee.organisation_id == organisation_id,
            t.Employee.removed_at.is_not(None),
        )
        return self.session.scalars(query).first()

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


class Overrides(_Repo):
    """Manual colour overrides: proposals waiting for a second officer, and the
    approved ones the engine honours."""

    def by_id(self, override_id: uuid.UUID, *, lock: bool = False) -> t.ColourOverride | None:
        return self.session.get(
            t.ColourOverride, override_id, with_for_update=lock, populate_existing=lock
        )

    def propose_once(self, row: t.ColourOverride) -> bool:
        """Add the proposal; False if one is open for its code already (``open_key``),
        also when a concurrent transaction has just added it."""
        return insert_once(self.session, row)

    def approved(self, resident_id: uuid.UUID, policy_id: str) -> Sequence[t.ColourOverride]:
        query = (
            select(t.ColourOverride)
            .where(
                t.ColourOverride.resident_id == resident_id,
                t.ColourOverride.policy_id == policy_id,
                t.ColourOverride.status == "approved",
            )
            .order_by(t.ColourOverride.decided_at, t.ColourOverride.id)
        )
        return self.session.scalars(query).all()

    def proposed(self, scope: Scope, *, limit: int) -> Sequence[t.ColourOverride]:
        """Proposals waiting for a decision within a scope, oldest first."""
        query = select(t.ColourOverride).where(t.ColourOverride.status == "proposed")
        if not scope.everywhere:
            held: list[ColumnElement[bool]] = [
                t.ColourOverride.region_code.startswith(p) for p in sorted(scope.regions)
            ]
            if scope.organisations:
                held.append(t.ColourOverride.organisation_id.in_(scope.organisations))
            query = query.where(or_(*held) if held else false())
        query = query.order_by(t.ColourOverride.proposed_at).limit(limit)
        return self.session.scalars(query).all()


class PreventionNotices(_Repo):
    def of_organisation(
        self, organisation_id: uuid.UUID, *, limit: int = 50
    ) -> Sequence[t.PreventionNotice]:
        query = (
            select(t.PreventionNotice)
            .where(t.PreventionNotice.organisation_id == organisation_id)
            .order_by(t.PreventionNotice.at.desc())
            .limit(limit)
        )
        return self.session.scalars(query).all()


class VideoCalls(_Repo):
    """Video calls between issuers and applicants (the rows; never the media)."""

    def by_id(self, call_id: uuid.UUID, *, lock: bool = False) -> t.VideoCall | None:
        return self.session.get(t.VideoCall, call_id, with_for_update=lock, populate_existing=lock)

    def live_for_application(self, application_id: uuid.UUID) -> t.VideoCall | None:
        """The call that rings or runs for the application, if any (at most one)."""
        query = select(t.VideoCall).where(
            t.VideoCall.application_id == application_id,
            t.VideoCall.status.in_(("ringing", "active")),
        )
        return self.session.scalars(query).first()

    def ringing_for_resident(self, resident_id: uuid.UUID) -> Sequence[t.VideoCall]:
        """Offers waiting for the resident to answer, newest first."""
        query = (
            select(t.VideoCall)
            .where(t.VideoCall.resident_id == resident_id, t.VideoCall.status == "ringing")
            .order_by(t.VideoCall.offered_at.desc(), t.VideoCall.id)
        )
        return self.session.scalars(query).all()

    def of_application(self, application_id: uuid.UUID, *, limit: int) -> Sequence[t.VideoCall]:
        """The application's calls, newest first."""
        query = (
            select(t.VideoCall)
            .where(t.VideoCall.application_id == application_id)
            .order_by(t.VideoCall.offered_at.desc(), t.VideoCall.id)
            .limit(limit)
        )
        return self.session.scalars(query).all()
