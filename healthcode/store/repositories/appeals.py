"""Appeals and their timelines."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, or_, select, true

from healthcode.domain.scope import Scope
from healthcode.store import tables as t
from healthcode.store.bulk import among
from healthcode.store.repositories.base import _Repo


def _departments(scope: Scope) -> ColumnElement[bool]:
    """A record's appeal is within a department scope: its department (and region)."""
    if scope.everywhere:
        return t.Appeal.record_id.is_not(None)
    held: list[ColumnElement[bool]] = [
        and_(t.Appeal.department == department, t.Appeal.region_code.startswith(prefix))
        for department, prefix in sorted(scope.departments)
    ]
    return and_(t.Appeal.record_id.is_not(None), or_(*held) if held else false())


def _organisational(scope: Scope, subject: Any) -> ColumnElement[bool]:
    """An appeal against an override or a credit record (``subject``: its column) is
    within scope: the organisation it was decided in, else the region."""
    held: list[ColumnElement[bool]] = [
        t.Appeal.region_code.startswith(p) for p in sorted(scope.regions)
    ]
    if scope.organisations:
        held.append(t.Appeal.organisation_id.in_(scope.organisations))
    within = true() if scope.everywhere else (or_(*held) if held else false())
    return and_(subject.is_not(None), within)


class Appeals(_Repo):
    def by_id(self, appeal_id: uuid.UUID, *, lock: bool = False) -> t.Appeal | None:
        return self.session.get(t.Appeal, appeal_id, with_for_update=lock, populate_existing=lock)

    def of_resident(self, resident_id: uuid.UUID) -> Sequence[t.Appeal]:
        """A resident's appeals, newest first."""
        query = (
            select(t.Appeal)
            .where(t.Appeal.resident_id == resident_id)
            .order_by(t.Appeal.submitted_at.desc(), t.Appeal.id)
        )
        return self.session.scalars(query).all()

    def open_for(self, open_key: str) -> t.Appeal | None:
        return self.session.scalars(select(t.Appeal).where(t.Appeal.open_key == open_key)).first()

    def waiting(
        self, departments: Scope, overrides: Scope, findings: Scope, *, limit: int
    ) -> Sequence[t.Appeal]:
        """Open appeals a decider may reach, oldest first: a department's records within
        ``departments``, manual colours within ``overrides``, credit records (fraud
        findings) within ``findings``."""
        query = (
            select(t.Appeal)
            .where(
                t.Appeal.status == "open",
                or_(
                    _departments(departments),
                    _organisational(overrides, t.Appeal.override_id),
                    _organisational(findings, t.Appeal.credit_record_id),
                ),
            )
            .order_by(t.Appeal.submitted_at, t.Appeal.id)
            .limit(limit)
        )
        return self.session.scalars(query).all()

    def unassigned(
        self, departments: Scope, overrides: Scope, findings: Scope
    ) -> Sequence[t.Appeal]:
        """Open appeals within these scopes (as ``waiting``) that nobody could decide
        when they came: a step ``unassigned`` and none ``assigned`` since, oldest first.
        Few by nature (each one told the administrators), so not paged."""

        def step(name: str) -> ColumnElement[bool]:
            return exists().where(t.AppealStep.appeal_id == t.Appeal.id, t.AppealStep.step == name)

        query = (
            select(t.Appeal)
            .where(
                t.Appeal.status == "open",
                step("unassigned"),
                ~step("assigned"),
                or_(
                    _departments(departments),
                    _organisational(overrides, t.Appeal.override_id),
                    _organisational(findings, t.Appeal.credit_record_id),
                ),
            )
            .order_by(t.Appeal.submitted_at, t.Appeal.id)
        )
        return self.session.scalars(query).all()

    def open_on_withdrawn_records(self, resident_ids: Sequence[uuid.UUID]) -> Sequence[t.Appeal]:
        """Open appeals of these residents against a record withdrawn since (its
        import rolled back), locked: taken after the residents' locks, as a decision.
        Asked for every page of an import's recolouring: the page's ids as one array
        (``among``), not a thousand placeholders."""
        if not resident_ids:
            return []
        query = (
            select(t.Appeal)
            .join(t.DataRecord, t.DataRecord.id == t.Appeal.record_id)
            .where(
                among(self.session, t.Appeal.resident_id, sorted(set(resident_ids))),
                t.Appeal.status == "open",
                t.DataRecord.withdrawn_at.is_not(None),
            )
            .order_by(t.Appeal.id)
            .with_for_update(of=t.Appeal)
            .execution_options(populate_existing=True)
        )
        return self.session.scalars(query).all()

    def steps(self, appeal_id: uuid.UUID) -> Sequence[t.AppealStep]:
        query = (
            select(t.AppealStep)
            .where(t.AppealStep.appeal_id == appeal_id)
            .order_by(t.AppealStep.seq)
        )
        return self.session.scalars(query).all()

    def record(self, record_id: uuid.UUID, *, lock: bool = False) -> t.DataRecord | None:
        """The department record an appeal disputes."""
        return self.session.get(
            t.DataRecord, record_id, with_for_update=lock, populate_existing=lock
        )

    def credit_record(self, credit_id: uuid.UUID, *, lock: bool = False) -> t.CreditRecord | None:
        """The credit record (a confirmed fraud finding) an appeal disputes."""
        return self.session.get(
            t.CreditRecord, credit_id, with_for_update=lock, populate_existing=lock
        )

    def evidence_referenced(self, keys: Sequence[str]) -> set[str]:
        """Which of these blob keys an appeal keeps as evidence (the orphan sweeper asks)."""
        if not keys:
            return set()
        query = select(t.Appeal.evidence_key).where(t.Appeal.evidence_key.in_(keys))
        return {key for key in self.session.scalars(query) if key is not None}

    def department_officers(self, department: str, role: str) -> Sequence[tuple[uuid.UUID, str]]:
        """(account, scope) of the active staff holding ``role`` in one of the
        department's scopes (``dept:<department>`` or ``dept:<department>/<region>``)."""
        query = (
            select(t.AccountRole.account_id, t.AccountRole.scope)
            .join(t.Account, t.Account.id == t.AccountRole.account_id)
            .where(
                t.AccountRole.role == role,
                or_(
                    t.AccountRole.scope == f"dept:{department}",
                    t.AccountRole.scope.startswith(f"dept:{department}/"),
                ),
                t.Account.disabled_at.is_(None),
            )
        )
        return [(account, scope) for account, scope in self.session.execute(query)]
