"""Employers' staff check-ins (``checkins``) and their windows (``checkin_windows``):
part of the organisations context, in a module of their own to keep each file short."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date

from sqlalchemy import select

from healthcode.store import tables as t
from healthcode.store.repositories.base import _Repo


class Checkins(_Repo):
    def windows(self, organisation_id: uuid.UUID) -> t.CheckinWindows | None:
        return self.session.get(t.CheckinWindows, organisation_id)

    def current(self, employee_id: uuid.UUID, day: date, window: str) -> t.Checkin | None:
        """The check-in that counts for the window (the latest correction)."""
        query = select(t.Checkin).where(
            t.Checkin.employee_id == employee_id,
            t.Checkin.day == day,
            t.Checkin.window == window,
            t.Checkin.superseded_at.is_(None),
        )
        return self.session.scalars(query).first()

    def latest_of_resident(
        self, organisation_id: uuid.UUID, resident_id: uuid.UUID, day: date
    ) -> t.Checkin | None:
        """The resident's check-in that counts last on ``day`` at the employer, found
        through its roster (by ID hash), if they are on it."""
        query = (
            select(t.Checkin)
            .join(t.Employee, t.Employee.id == t.Checkin.employee_id)
            .join(t.Resident, t.Resident.id_hash == t.Employee.id_hash)
            .where(
                t.Checkin.organisation_id == organisation_id,
                t.Resident.id == resident_id,
                t.Checkin.day == day,
                t.Checkin.superseded_at.is_(None),
                t.Employee.removed_at.is_(None),
            )
            .order_by(t.Checkin.at.desc())
            .limit(1)
        )
        return self.session.scalars(query).first()

    def current_of_day(self, organisation_id: uuid.UUID, day: date) -> Sequence[t.Checkin]:
        """Every employee's current check-ins of the employer for one day."""
        query = select(t.Checkin).where(
            t.Checkin.organisation_id == organisation_id,
            t.Checkin.day == day,
            t.Checkin.superseded_at.is_(None),
        )
        return self.session.scalars(query).all()

    def history(self, employee_id: uuid.UUID, day: date) -> Sequence[t.Checkin]:
        """A day's check-ins of one employee, corrections included, oldest first."""
        query = (
            select(t.Checkin)
            .where(t.Checkin.employee_id == employee_id, t.Checkin.day == day)
            .order_by(t.Checkin.at, t.Checkin.id)
        )
        return self.session.scalars(query).all()

    def staff(self, organisation_id: uuid.UUID) -> Sequence[tuple[t.Employee, uuid.UUID | None]]:
        """The employer's present staff by department and name, each with the resident
        their ID number belongs to (None when no resident has it yet): one query."""
        query = (
            select(t.Employee, t.Resident.id)
            .outerjoin(t.Resident, t.Resident.id_hash == t.Employee.id_hash)
            .where(t.Employee.organisation_id == organisation_id, t.Employee.removed_at.is_(None))
            .order_by(t.Employee.department, t.Employee.name, t.Employee.id)
        )
        return [(row[0], row[1]) for row in self.session.execute(query)]

    def lock_employee(self, employee_id: uuid.UUID) -> t.Employee | None:
        """The employee's row, locked: check-ins of one person are written one at a time."""
        return self.session.get(
            t.Employee, employee_id, with_for_update=True, populate_existing=True
        )

    def rosters_of(self, id_hash: bytes) -> Sequence[tuple[t.Employee, t.Organisation]]:
        """The rows of active employers' present staff that hold this ID number."""
        query = (
            select(t.Employee, t.Organisation)
            .join(t.Organisation, t.Organisation.id == t.Employee.organisation_id)
            .where(
                t.Employee.id_hash == id_hash,
                t.Employee.removed_at.is_(None),
                t.Organisation.kind == "employer",
                t.Organisation.status == "active",
            )
            .order_by(t.Organisation.name)
        )
        return [(row[0], row[1]) for row in self.session.execute(query)]
