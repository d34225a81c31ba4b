"""The unit of work: one transaction, its repositories, and what runs after commit.

Services never commit; whoever opened the unit of work (a request, a job, a CLI
command) commits or rolls back. Work that must not run for a rolled-back change
(notifications, cache invalidation) is queued with ``after_commit``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterator
from types import TracebackType
from typing import TypeVar

from sqlalchemy import Connection, Engine, exc
from sqlalchemy.orm import Session, sessionmaker

from healthcode.store.batches import CodeBatches
from healthcode.store.db import statement_at_a_time
from healthcode.store.facts import FactsRepository
from healthcode.store.idempotency import IdempotencyKeys
from healthcode.store.repositories.accounts import Accounts, LoginFailures, OtpChallenges, Sessions
from healthcode.store.repositories.appeals import Appeals
from healthcode.store.repositories.checkins import Checkins
from healthcode.store.repositories.code_pages import CodePage as CodePage  # for services
from healthcode.store.repositories.code_pages import CodePages
from healthcode.store.repositories.codes import (
    Codes,
    FederatedRegions,
    ListSigningKeys,
    PaperPasses,
    Revocations,
    Signatures,
    SignedLists,
    SigningKeys,
)
from healthcode.store.repositories.fraud import FraudCases
from healthcode.store.repositories.notices import Notifications, Outbox
from healthcode.store.repositories.organisations import (
    Applications,
    Authorisations,
    Employees,
    Organisations,
    Overrides,
    PreventionNotices,
    VideoCalls,
)
from healthcode.store.repositories.records import (
    CreditRecords,
    DataRecords,
    DepartmentClients,
    HighRiskRegions,
    ImportBatches,
)
from healthcode.store.repositories.residents import (
    DailyReports,
    Declarations,
    Dependants,
    Residents,
    TemperatureVideos,
)
from healthcode.store.repositories.scanning import NearProbe as NearProbe  # for services
from healthcode.store.repositories.scanning import Scans, Venues
from healthcode.store.repositories.scanning import Sighted as Sighted  # for services
from healthcode.store.repositories.shared import AuditLog, JobRuns, KeyChecks, Leases
from healthcode.store.repositories.sharing import ColourLookups, ColourStatistics


class UnitOfWork:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.residents = Residents(session)
        self.accounts = Accounts(session)
        self.sessions = Sessions(session)
        self.otp = OtpChallenges(session)
        self.login_failures = LoginFailures(session)
        self.declarations = Declarations(session)
        self.dependants = Dependants(session)
        self.applications = Applications(session)
        self.organisations = Organisations(session)
        self.authorisations = Authorisations(session)
        self.employees = Employees(session)
        self.checkins = Checkins(session)
        self.overrides = Overrides(session)
        self.prevention_notices = PreventionNotices(session)
        self.video_calls = VideoCalls(session)
        self.daily_reports = DailyReports(session)
        self.videos = TemperatureVideos(session)
        self.codes = Codes(session)
        self.signatures = Signatures(session)
        self.data_records = DataRecords(session)
        self.credit_records = CreditRecords(session)
        self.high_risk_regions = HighRiskRegions(session)
        self.import_batches = ImportBatches(session)
        self.department_clients = DepartmentClients(session)
        self.appeals = Appeals(session)
        self.colour_statistics = ColourStatistics(session)
        self.colour_lookups = ColourLookups(session)
        self.signing_keys = SigningKeys(session)
        self.key_checks = KeyChecks(session)
        self.revocations = Revocations(session)
        self.venues = Venues(session)
        self.scans = Scans(session)
        self.fraud_cases = FraudCases(session)
        self.list_keys = ListSigningKeys(session)
        self.signed_lists = SignedLists(session)
        self.federated_regions = FederatedRegions(session)
        self.paper_passes = PaperPasses(session)
        self.notifications = Notifications(session)
        self.outbox = Outbox(session)
        self.audit = AuditLog(session)
        self.leases = Leases(session)
        self.job_runs = JobRuns(session)
        self.idempotency = IdempotencyKeys(session)
        self.code_batches = CodeBatches(session)
        self.facts = FactsRepository(
            self.declarations,
            self.daily_reports,
            self.signatures,
            self.data_records,
            self.credit_records,
            self.overrides,
            self.high_risk_regions,
        )
        self._after_commit: list[Callable[[], None]] = []
        self._collected: dict[str, set[Hashable]] = {}

    def add(self, row: object) -> None:
        self.session.add(row)

    def flush(self) -> None:
        self.session.flush()

    def after_commit(self, hook: Callable[[], None]) -> None:
        self._after_commit.append(hook)

    def after_commit_for(
        self, name: str, item: Hashable, hook: Callable[[set[Hashable]], None]
    ) -> None:
        """Collect ``item`` under ``name``; after the commit, call ``hook`` once with
        all of them (a batch of a thousand recolours forgets its cache entries in one
        call, not a thousand). The first hook given for a name is the one called."""
        items = self._collected.get(name)
        if items is None:
            items = self._collected[name] = set()
            self.after_commit(lambda: hook(items))
        items.add(item)

    def commit(self) -> None:
        self.session.commit()
        hooks, self._after_commit = self._after_commit, []
        self._collected = {}
        for hook in hooks:
            hook()

    def rollback(self) -> None:
        self._after_commit.clear()
        self._collected = {}
        self.session.rollback()

    def refused(self, error: BaseException, *, commit: bool = False) -> None:
        """A use case was refused: undo its changes, unless the refusal must keep its
        bookkeeping (a counted wrong code, ``DomainError.keeps_changes``); those are
        committed now with ``commit``, else by whoever opened the unit of work."""
        if not getattr(error, "keeps_changes", False):
            self.rollback()
        elif commit:
            self.commit()

    def close(self) -> None:
        self.session.close()


class ReadUnit:
    """A read of one statement, outside any transaction: no BEGIN, no COMMIT, no write
    lock — one round trip (the code page, ``store/repositories/code_pages.py``)."""

    def __init__(self, connection: Connection) -> None:
        self.code_pages = CodePages(connection)


Result = TypeVar("Result")


class UnitOfWorkFactory:
    """Opens units of work; ``with factory() as uow:`` commits on success, and also
    on a refusal that keeps its changes (``DomainError.keeps_changes``).

    ``reads``: sessions on a read replica (``store/db.read_session_factory``) for the
    reporting reads that tolerate lag, opened with ``factory.reading()``; without
    one those read the primary."""

    def __init__(
        self, sessions: sessionmaker[Session], reads: sessionmaker[Session] | None = None
    ) -> None:
        self.sessions = sessions
        bind = sessions.kw.get("bind")
        # A test binds its sessions to one connection inside its own transaction:
        # reads then go through that connection, and see what the test wrote.
        self._read_bind: Engine | Connection | None = (
            statement_at_a_time(bind) if isinstance(bind, Engine) else bind
        )
        self.reads = reads

    def __call__(self) -> _Scope:
        return _Scope(UnitOfWork(self.sessions()))

    def read(self, work: Callable[[ReadUnit], Result]) -> Result:
        """``work`` on a read unit; once more on a fresh connection if the pooled one
        had been dropped (a database restart): a read is safe to repeat."""
        try:
            with self._connection() as connection:
                return work(ReadUnit(connection))
        except exc.DBAPIError as error:
            if not error.connection_invalidated:
                raise
        with self._connection() as connection:
            return work(ReadUnit(connection))

    @contextlib.contextmanager
    def _connection(self) -> Iterator[Connection]:
        if isinstance(self._read_bind, Connection):
            yield self._read_bind
        elif self._read_bind is not None:
            with self._read_bind.connect() as connection:
                yield connection
        else:
            with self.sessions() as session:  # bound otherwise: through a session
                yield session.connection()

    def reading(self) -> _Scope:
        """A unit of work on the replica, read-only (a write in it raises); the
        primary's, without a replica."""
        return _Scope(UnitOfWork((self.reads or self.sessions)()))


class _Scope:
    def __init__(self, uow: UnitOfWork) -> None:
        self.uow = uow

    def __enter__(self) -> UnitOfWork:
        return self.uow

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if error is None:
                self.uow.commit()
            else:
                self.uow.refused(error, commit=True)
        finally:
            self.uow.close()
