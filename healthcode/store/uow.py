"""The unit of work: one transaction, its repositories, and what runs after commit.

Services never commit; whoever opened the unit of work (a request, a job, a CLI
command) commits or rolls back. Work that must not run for a rolled-back change
(notifications, cache invalidation) is queued with ``after_commit``.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable, Hashable, Iterator
from types import TracebackType
from typing import Generic, TypeVar

from sqlalchemy import Connection, Engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

from healthcode.store.batches import EVERYONE as EVERYONE  # for services and jobs
from healthcode.store.batches import CodeBatches
from healthcode.store.batches import IdRange as IdRange  # for services and jobs
from healthcode.store.db import READ_ONLY, statement_at_a_time
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
    Amendments,
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
from healthcode.store.repositories.scanning import GateRow as GateRow  # for services
from healthcode.store.repositories.scanning import GateVenue as GateVenue  # for services
from healthcode.store.repositories.scanning import NearProbe as NearProbe  # for services
from healthcode.store.repositories.scanning import Scans, Venues
from healthcode.store.repositories.scanning import Sighted as Sighted  # for services
from healthcode.store.repositories.shared import (
    AuditLog,
    CacheGenerations,
    JobRuns,
    KeyChecks,
    Leases,
    PolicyVersions,
    current_generation,
)
from healthcode.store.repositories.shared import AuditQuery as AuditQuery  # for services
from healthcode.store.repositories.sharing import ColourLookups, ColourStatistics

Repo = TypeVar("Repo")


class _Repository(Generic[Repo]):
    """A repository made on first use in its unit of work, then kept: a unit is opened
    per request, and a request uses a few of the forty."""

    def __init__(self, make: Callable[[Session], Repo]) -> None:
        self.make = make

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, unit: UnitOfWork, owner: type | None = None) -> Repo:
        made = unit.__dict__[self.name] = self.make(unit.session)
        return made


class NeedsTransaction(Exception):
    """A unit of one write (``UnitOfWorkFactory.one_write``) was asked for more: a
    write it was not told of, or a lock. Nothing has been written: the caller runs
    the work again in a unit of work of its own."""


# What a unit of one write refuses before it has written: a write, or a lock that
# would end with its own statement (each statement commits by itself there).
_LOCKS = ("FOR UPDATE", "FOR SHARE", "FOR NO KEY UPDATE", "FOR KEY SHARE", "PG_ADVISORY")
_ONE_WRITE = "healthcode_one_write"  # the execution option naming a connection's unit


def _guard_one_write(conn: Connection, cursor: object, statement: str, *args: object) -> None:
    """Listening on the engine of the units of one write (once, not per unit: a
    listener added to each unit's connection cost a scan 3 % of its Python): the unit
    its connection was opened for, if any, checks the statement."""
    unit = conn.get_execution_options().get(_ONE_WRITE)
    if unit is not None:
        unit._guard(conn, cursor, statement)


class UnitOfWork:
    residents = _Repository(Residents)
    accounts = _Repository(Accounts)
    sessions = _Repository(Sessions)
    otp = _Repository(OtpChallenges)
    login_failures = _Repository(LoginFailures)
    declarations = _Repository(Declarations)
    dependants = _Repository(Dependants)
    applications = _Repository(Applications)
    organisations = _Repository(Organisations)
    authorisations = _Repository(Authorisations)
    employees = _Repository(Employees)
    checkins = _Repository(Checkins)
    overrides = _Repository(Overrides)
    prevention_notices = _Repository(PreventionNotices)
    video_calls = _Repository(VideoCalls)
    daily_reports = _Repository(DailyReports)
    videos = _Repository(TemperatureVideos)
    codes = _Repository(Codes)
    signatures = _Repository(Signatures)
    data_records = _Repository(DataRecords)
    credit_records = _Repository(CreditRecords)
    high_risk_regions = _Repository(HighRiskRegions)
    import_batches = _Repository(ImportBatches)
    amendments = _Repository(Amendments)
    department_clients = _Repository(DepartmentClients)
    appeals = _Repository(Appeals)
    colour_statistics = _Repository(ColourStatistics)
    colour_lookups = _Repository(ColourLookups)
    signing_keys = _Repository(SigningKeys)
    key_checks = _Repository(KeyChecks)
    policy_versions = _Repository(PolicyVersions)
    cache_generations = _Repository(CacheGenerations)
    revocations = _Repository(Revocations)
    venues = _Repository(Venues)
    scans = _Repository(Scans)
    fraud_cases = _Repository(FraudCases)
    list_keys = _Repository(ListSigningKeys)
    signed_lists = _Repository(SignedLists)
    federated_regions = _Repository(FederatedRegions)
    paper_passes = _Repository(PaperPasses)
    notifications = _Repository(Notifications)
    outbox = _Repository(Outbox)
    audit = _Repository(AuditLog)
    leases = _Repository(Leases)
    job_runs = _Repository(JobRuns)
    idempotency = _Repository(IdempotencyKeys)
    code_batches = _Repository(CodeBatches)

    def __init__(self, session: Session, *, one_write: bool = False) -> None:
        self.session = session
        self._after_commit: list[Callable[[], None]] = []
        self._collected: dict[str, set[Hashable]] = {}
        # a unit of one write: 0 before it is told of its write, 1 told, -1 written
        self._writes: int | None = None
        if one_write:
            self._writes = 0
            session.connection(execution_options={_ONE_WRITE: self})  # _guard_one_write

    def transaction_needed(self) -> None:
        """Before work that must be atomic or locks: a unit of one write cannot."""
        if self._writes is not None:
            raise NeedsTransaction

    def write_once(self) -> None:
        """The next write is the one a unit of one write makes (elsewhere: nothing)."""
        if self._writes == 0:
            self._writes = 1

    def _guard(self, _conn: Connection, _cursor: object, statement: str) -> None:
        head = statement.lstrip()[:6].upper()
        if head == "SELECT" and not any(lock in statement.upper() for lock in _LOCKS):
            return
        if self._writes == 1:
            self._writes = -1  # written: nothing more
            return
        if self._writes == -1:
            raise RuntimeError("a unit of one write was asked for a second")
        raise NeedsTransaction

    @functools.cached_property
    def facts(self) -> FactsRepository:
        return FactsRepository(
            self.declarations,
            self.daily_reports,
            self.signatures,
            self.data_records,
            self.credit_records,
            self.overrides,
            self.high_risk_regions,
        )

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
        self.connection = connection

    def cache_generation(self, space: str) -> int:
        return current_generation(self.connection, space)


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
        twin = self._read_bind
        one_write = isinstance(twin, Engine) and twin.dialect.name == "postgresql"
        if one_write and not event.contains(twin, "before_cursor_execute", _guard_one_write):
            event.listen(twin, "before_cursor_execute", _guard_one_write, insert=True)
        self.reads = reads

    @property
    def own_connections(self) -> bool:
        """Each unit opens a connection of its own: False when bound to one connection
        (a test's), which no second thread may use at the same time."""
        return not isinstance(self._read_bind, Connection)

    def __call__(self) -> _Scope:
        return _Scope(UnitOfWork(self.sessions()))

    def one_write(self) -> _Scope | None:
        """A unit of work outside any transaction, each statement committing by itself,
        for work that reads and then writes one row (a gate's scan): no ``BEGIN``, no
        ``COMMIT``, two round trips fewer. It makes the write it is told of
        (``UnitOfWork.write_once``); any other write, or a lock, raises
        ``NeedsTransaction`` before anything is written, and so does
        ``transaction_needed``. Under READ COMMITTED a read and a write in one
        transaction see and do what they do in two. None on SQLite, whose writers take
        their turns in ``BEGIN IMMEDIATE`` (``store/db.py``), and when bound to a
        connection (a test's)."""
        bind = self._read_bind
        if not isinstance(bind, Engine) or bind.dialect.name != "postgresql":
            return None
        return _Scope(UnitOfWork(self.sessions(bind=bind), one_write=True))

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

    def snapshot(self) -> _Scope:
        """A unit of work that only reads the primary and takes no write lock: on SQLite
        a deferred transaction, which never waits for a writer of another process (a
        long import, the rollover), where a unit of ``factory()`` would queue for it."""
        bind = self.sessions.kw.get("bind")
        if isinstance(bind, Engine):
            bind = bind.execution_options(**{READ_ONLY: True})
        return _Scope(UnitOfWork(self.sessions(bind=bind)))

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
