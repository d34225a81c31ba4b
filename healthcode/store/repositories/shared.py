"""Repositories: one per aggregate, query methods named after the domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Connection, delete, false, or_, select, update
from sqlalchemy.exc import IntegrityError

from healthcode.domain.scope import Scope
from healthcode.store import tables as t
from healthcode.store.repositories.base import _Repo, insert_once


class KeyChecks(_Repo):
    def get(self, name: str) -> t.KeyCheck | None:
        return self.session.get(t.KeyCheck, name)

    def add_once(self, check: t.KeyCheck) -> t.KeyCheck:
        """Write the check value, or get the one another worker starting at the same
        moment wrote first."""
        try:
            with self.session.begin_nested():
                self.session.add(check)
                self.session.flush()
        except IntegrityError:
            found = self.session.get(t.KeyCheck, check.name, populate_existing=True)
            if found is None:
                raise
            return found
        return check


class PolicyVersions(_Repo):
    def get(self, policy_id: str, version: str) -> t.PolicyVersion | None:
        return self.session.get(t.PolicyVersion, (policy_id, version))

    def add_once(self, row: t.PolicyVersion) -> t.PolicyVersion:
        """Record a version, or get the record another process starting at the same
        moment wrote first (which may say another text)."""
        if insert_once(self.session, row):
            return row
        found = self.session.get(t.PolicyVersion, (row.policy_id, row.version))
        if found is None:  # pragma: no cover - a unique key refused, yet no row
            raise LookupError(f"{row.policy_id}@{row.version} neither written nor found")
        return found

    def all(self) -> Sequence[t.PolicyVersion]:
        """Every recorded version, by policy and then as first put in force."""
        query = select(t.PolicyVersion).order_by(
            t.PolicyVersion.policy_id, t.PolicyVersion.first_seen_at, t.PolicyVersion.version
        )
        return self.session.scalars(query).all()


def current_generation(connection: Connection, space: str) -> int:
    """A cache space's generation, read in one statement (a server looks every second,
    outside any transaction: on SQLite a unit of work would take the write lock)."""
    row = t.CacheGeneration
    found = connection.execute(select(row.generation).where(row.space == space)).scalar()
    return int(found or 0)


class CacheGenerations(_Repo):
    def move_on(self, space: str) -> None:
        """One more, also when another process moves it on at the same moment."""
        row = t.CacheGeneration
        moved = self.session.execute(
            update(row).where(row.space == space).values(generation=row.generation + 1)
        )
        if moved.rowcount == 0 and not insert_once(self.session, row(space=space, generation=1)):  # type: ignore[attr-defined]
            self.move_on(space)


@dataclass(frozen=True)
class AuditQuery:
    """Which events an auditor reads: within ``scope`` (a region's: the events about
    its residents; the service sets it from the caller), then narrowed; newest first."""

    since: datetime | None = None
    until: datetime | None = None
    action: str = ""  # a prefix: "lookup." for every look-up
    resident_id: uuid.UUID | None = None
    actor_id: uuid.UUID | None = None
    limit: int = 50
    offset: int = 0
    scope: Scope = field(default_factory=Scope)


# an event, its actor's username, its resident's masked name and ID
AuditRow = tuple[t.AuditEvent, str | None, str | None, str | None]


class AuditLog(_Repo):
    def of_resident(self, resident_id: uuid.UUID) -> Sequence[t.AuditEvent]:
        query = (
            select(t.AuditEvent)
            .where(t.AuditEvent.resident_id == resident_id)
            .order_by(t.AuditEvent.at.desc())
        )
        return self.session.scalars(query).all()

    def page(self, asked: AuditQuery) -> list[AuditRow]:
        """One page of events with the actor's username and the resident's masked name
        and ID, in one query; one row more than ``limit`` tells a next page."""
        query = (
            select(t.AuditEvent, t.Account.username, t.Resident.name_masked, t.Resident.id_masked)
            .outerjoin(t.Account, t.Account.id == t.AuditEvent.actor_id)
            .outerjoin(t.Resident, t.Resident.id == t.AuditEvent.resident_id)
            .order_by(t.AuditEvent.at.desc(), t.AuditEvent.id.desc())
            .limit(asked.limit + 1)
            .offset(asked.offset)
        )
        if not asked.scope.everywhere:
            regions = [t.Resident.region_code.startswith(p) for p in sorted(asked.scope.regions)]
            query = query.where(or_(*regions) if regions else false())
        if asked.since is not None:
            query = query.where(t.AuditEvent.at >= asked.since)
        if asked.until is not None:
            query = query.where(t.AuditEvent.at < asked.until)
        if asked.action:
            query = query.where(t.AuditEvent.action.startswith(asked.action, autoescape=True))
        if asked.resident_id is not None:
            query = query.where(t.AuditEvent.resident_id == asked.resident_id)
        if asked.actor_id is not None:
            query = query.where(t.AuditEvent.actor_id == asked.actor_id)
        return [(e, user, name, number) for e, user, name, number in self.session.execute(query)]


class Leases(_Repo):
    def take(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take or renew the lease; False if another holder has it and it has not expired."""
        lease = self.session.get(t.Lease, name, with_for_update=True, populate_existing=True)
        if lease is None:
            try:  # two first takers: the second's insert fails, and it is not the holder
                with self.session.begin_nested():
                    self.session.add(t.Lease(name=name, holder=holder, expires_at=until))
            except IntegrityError:
                return False
            return True
        if lease.holder != holder and lease.expires_at > now:
            return False
        lease.holder, lease.expires_at = holder, until
        return True

    def release(self, name: str, holder: str) -> None:
        """Give the lease up early, so the next run need not wait for its expiry."""
        self.session.execute(delete(t.Lease).where(t.Lease.name == name, t.Lease.holder == holder))


class JobRuns(_Repo):
    def last(self, job: str) -> t.JobRun | None:
        query = select(t.JobRun).where(t.JobRun.job == job).order_by(t.JobRun.started_at.desc())
        return self.session.scalars(query.limit(1)).first()
