"""Fraud cases and their evidence."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, false, or_, select, true

from healthcode.domain.scope import Scope
from healthcode.store import tables as t
from healthcode.store.repositories.base import _Repo, insert_once


def case_in_scope(scope: Scope) -> ColumnElement[bool]:
    """A case is within a scope: its organisation's, or its region's."""
    if scope.everywhere:
        return true()
    held: list[ColumnElement[bool]] = [
        t.FraudCase.region_code.startswith(p) for p in sorted(scope.regions)
    ]
    if scope.organisations:
        held.append(t.FraudCase.organisation_id.in_(scope.organisations))
    return or_(*held) if held else false()


class FraudCases(_Repo):
    def by_id(self, case_id: uuid.UUID, *, lock: bool = False) -> t.FraudCase | None:
        return self.session.get(t.FraudCase, case_id, with_for_update=lock, populate_existing=lock)

    def of_scan(self, scan_id: uuid.UUID) -> t.FraudCase | None:
        query = select(t.FraudCase).where(t.FraudCase.scan_id == scan_id)
        return self.session.scalars(query).first()

    def by_open_key(self, open_key: str) -> t.FraudCase | None:
        query = select(t.FraudCase).where(t.FraudCase.open_key == open_key)
        return self.session.scalars(query).first()

    def open_once(self, row: t.FraudCase) -> bool:
        """Open the case; False if its scan (a second tap) or its resident and cause
        (an undecided case exists) has one already, also when a concurrent
        transaction has just opened it."""
        return insert_once(self.session, row)

    def within(
        self,
        scope: Scope,
        *,
        statuses: Sequence[str] = (),
        sources: Sequence[str] = (),
        limit: int = 50,
    ) -> Sequence[t.FraudCase]:
        """Cases within a scope, filtered; undecided ones oldest first, then the rest."""
        query = select(t.FraudCase).where(case_in_scope(scope))
        if statuses:
            query = query.where(t.FraudCase.status.in_(statuses))
        if sources:
            query = query.where(t.FraudCase.source.in_(sources))
        query = query.order_by(t.FraudCase.at, t.FraudCase.id).limit(limit)
        return self.session.scalars(query).all()

    def add_evidence(self, row: t.FraudEvidence) -> bool:
        """Add an item to a case; False if the case holds it already."""
        return insert_once(self.session, row)

    def evidence(self, case_id: uuid.UUID) -> Sequence[t.FraudEvidence]:
        query = (
            select(t.FraudEvidence)
            .where(t.FraudEvidence.case_id == case_id)
            .order_by(t.FraudEvidence.at, t.FraudEvidence.id)
        )
        return self.session.scalars(query).all()

    def cited(
        self, resident_id: uuid.UUID, cause: str, ref_ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        """Which of these items are evidence of a case of the resident for ``cause``
        already (open or decided): a contradiction found once is not found again."""
        if not ref_ids:
            return set()
        query = (
            select(t.FraudEvidence.ref_id)
            .join(t.FraudCase, t.FraudCase.id == t.FraudEvidence.case_id)
            .where(
                t.FraudCase.resident_id == resident_id,
                t.FraudCase.cause == cause,
                t.FraudEvidence.ref_id.in_(ref_ids),
            )
        )
        return set(self.session.scalars(query))
