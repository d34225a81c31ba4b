"""Import a department's file: every row checked, the good ones kept, all in one go.

Decisions (docs/records.md):
* One transaction per batch: the caller's unit of work commits the batch, its
  records and its refused rows together, so an import cut off half-way (a broken
  upload, a killed process) leaves none of it. Good rows are kept and refused rows
  reported; a file that cannot be read at all (unknown type, missing columns,
  undecodable text) is refused whole.
* A row whose department and source id were sent before changes nothing (counted
  as unchanged): re-importing a file is harmless.
* A row naming a resident who has not registered is reported (``no_resident``) and
  not kept: send it again once they have registered (the source id makes it safe).
* Rows are read, checked and inserted a chunk at a time (COPY, or a multi-row
  INSERT on SQLite), so memory stays flat however large the file; the residents
  touched are found again from the batch after the commit, not held in memory.
  A chunk's look-ups (its residents, its rows sent before) go to the server before
  its rows are checked, and are read after: PostgreSQL answers them meanwhile.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from itertools import chain, islice
from typing import IO, Any

from healthcode.domain.clock import day_of
from healthcode.domain.errors import DomainError, FieldError, Forbidden, InvalidInput
from healthcode.domain.i18n import N_, Words
from healthcode.domain.records import (
    DEPARTMENT_NAMES,
    KIND_NAMES,
    Department,
    ImportKind,
    RecordRow,
    column_label,
    may_send,
    missing_columns,
    parse_row,
    row_keys,
    unread_columns,
)
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.records.files import Row, UnreadableFile, format_of, read_rows
from healthcode.services.records.first_rows import First, FirstRows
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.bulk import new_ids
from healthcode.store.uow import UnitOfWork

CHUNK = 5000
RECORD_COLUMNS = (
    "id", "resident_id", "kind", "start", "end", "region", "source", "received_at",
    "department", "source_id", "batch_id", "setting", "detail",
)  # fmt: skip
MAX_BYTES = 2 * 1024**3  # an upload's limit (the CLI reads files of any size)
MAX_REFUSALS_KEPT = 10_000  # beyond this, refused rows are counted, not listed
MAX_FILE_NAME = 255  # characters of a file's name a batch keeps (``import_batches``)
MAX_UNREAD = 50  # columns named in the report as read by no import (JSON Lines: any line's)
# A record's values a row sets: a column the file does not name leaves its value as it is
AMENDED = frozenset(("start", "end", "setting", "region", "detail"))


class KindNotAllowed(Forbidden):
    code = "kind_not_allowed"


class DepartmentNotAllowed(Forbidden):
    code = "department_not_allowed"


class ClientRevoked(Forbidden):
    code = "client_revoked"


class MissingColumns(DomainError):
    status = 422
    code = "missing_columns"


@dataclass(frozen=True)
class Sender:
    """Who sends the file: a staff account (CLI, pages) or a department client (API),
    and from where, as the audit log keeps it."""

    account_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    region: str | None = None  # the scope the batch is listed under
    # a department client registered for a region names only that region's residents
    # (a region prefix, ``scope.region_prefix``); None: residents anywhere
    reach: str | None = None
    kinds: frozenset[ImportKind] | None = None  # a client's allowed kinds; None = any
    key_hash: bytes | None = None  # a client's key as sent: still its key at the end?
    client_name: str = ""
    address: str = ""  # the caller's address (the API)
    by: str = ""  # the OS user (the command line)


def staff_sender(principal: Principal, department: Department) -> Sender:
    """A data operator's import of ``department``'s records, listed under the first
    region of their scope (the command centre's, scoped everywhere, under none: seen
    by the command centre). An operator scoped to departments, not regions, sends
    only theirs, listed under that department's region (none: the department
    everywhere); a clerk of ``dept:health`` sent the police's travel records."""
    scope = principal.scope(Permission.RECORDS_IMPORT)
    if scope.everywhere:
        return Sender(account_id=principal.account_id)
    if scope.regions:
        return Sender(account_id=principal.account_id, region=min(scope.regions).ljust(6, "0"))
    held = sorted(prefix for held, prefix in scope.departments if held == department.value)
    if not held:
        raise DepartmentNotAllowed(
            N_("You do not send {department}'s records"),
            department=Words(DEPARTMENT_NAMES[department]),
        )
    region = held[0].ljust(6, "0") if held[0] else None
    return Sender(account_id=principal.account_id, region=region)


@dataclass(frozen=True)
class Refusal:
    line: int
    field: str
    code: str
    message: str
    params: dict[str, Any]


@dataclass(frozen=True)
class ImportReport:
    batch_id: uuid.UUID
    department: Department
    kind: ImportKind
    file_name: str
    rows_read: int
    added: int
    unchanged: int
    refused: int
    unmatched: int
    refusals: tuple[Refusal, ...]  # the first ones, in line order
    amended: int = 0  # sent before and changed: a release, a discharge, in force again
    unread_columns: tuple[str, ...] = ()  # named by the file, read by no import
    refusals_total: int = 0  # every refusal, listed or not (a row may have several)
    unread_sheets: tuple[str, ...] = ()  # an XLSX file's later sheets holding cells

    @property
    def changed(self) -> int:
        """Records the batch wrote: the residents to recolour are theirs."""
        return self.added + self.amended


Progress = Callable[[int], None]  # bytes read so far
Refused = Callable[[Refusal], None]  # told of every refusal, in line order, as found


def import_records(
    uow: UnitOfWork,
    env: Env,
    *,
    sender: Sender,
    department: Department,
    kind: ImportKind,
    stream: IO[bytes],
    file_name: str,
    file_format: str | None = None,
    encoding: str | None = None,
    progress: Progress | None = None,
    on_refused: Refused | None = None,
) -> ImportReport:
    """Check and keep a file's rows as one batch; the caller commits, then calls
    ``recolour_batch`` (after the commit: residents see only committed records).
    ``on_refused`` hears of every refusal, past the first 10,000 kept too (the
    command line's report); if the import then fails, none of them stand."""
    _check_sender(sender, department, kind)
    if len(file_name) > MAX_FILE_NAME:
        raise file_name_too_long()
    fmt = format_of(file_name, file_format)
    now = env.clock.now()
    batch = t.ImportBatch(
        id=uuid.uuid4(),
        department=department.value,
        kind=kind.value,
        file_name=file_name,
        region=sender.region,
        account_id=sender.account_id,
        client_id=sender.client_id,
        started_at=now,
        status="committed",
    )
    uow.add(batch)
    uow.flush()
    rows = read_rows(stream, fmt, encoding)
    run = _Run(uow, env, batch, department, kind, on_refused, reach=sender.reach)
    try:
        _take_all(run, fmt, rows, stream, progress)
    finally:
        rows.close()
        run.first_rows.close()
    if sender.client_id is not None and not uow.department_clients.holds_key(
        sender.client_id, sender.key_hash or b""
    ):
        raise ClientRevoked(  # a leaked key revoked or replaced while its upload ran
            N_(
                "This client's key was revoked or replaced while the file was being sent; "
                "nothing was kept"
            )
        )
    batch.finished_at = batch.recolour_due_at = env.clock.now()  # owed from the commit on
    _audit(uow, env, sender, batch)
    uow.flush()
    return ImportReport(
        batch.id,
        department,
        kind,
        batch.file_name,
        batch.rows_read,
        batch.rows_added,
        batch.rows_unchanged,
        batch.rows_refused,
        batch.rows_unmatched,
        tuple(run.first_refusals),
        batch.rows_amended,
        tuple(run.unread),
        run.refusals_total,
        run.sheets,
    )


def file_name_too_long() -> InvalidInput:
    """A file's name past what a batch keeps (``MAX_FILE_NAME``; it was cut without a
    word). One of some 4,000 characters does not reach the import: the API refuses it
    alike (``api/v1/records._Uploads``)."""
    return InvalidInput.single(
        "file",
        "name_too_long",
        N_(
            "The file's name is too long: at most {max} characters. Rename the file and "
            "send it again"
        ),
        max=MAX_FILE_NAME,
    )


def _audit(uow: UnitOfWork, env: Env, sender: Sender, batch: t.ImportBatch) -> None:
    """One event per batch kept: who sent it (an account, a client and the address
    it sent from, or the command line's OS user), what, and the counts."""
    audit.record(
        uow,
        env,
        actor_id=sender.account_id,
        action="records.imported",
        detail={
            "batch": str(batch.id),
            "department": batch.department,
            "kind": batch.kind,
            "client": sender.client_name,
            "address": sender.address,
            "by": sender.by,
            "rows": batch.rows_read,
            "added": batch.rows_added,
            "amended": batch.rows_amended,
            "unchanged": batch.rows_unchanged,
            "refused": batch.rows_refused,
            "unmatched": batch.rows_unmatched,
        },
        client=sender.client_name,
    )


def _take_all(
    run: _Run, fmt: str, rows: Iterator[Row], stream: IO[bytes], progress: Progress | None
) -> None:
    header = next(rows, None)
    missing = missing_columns(run.kind, header.values if header else ())
    if missing and fmt != "jsonl":  # JSON Lines name their fields on every line
        raise MissingColumns(
            N_("The file lacks the column(s) {columns}"),
            columns=", ".join(column_label(c) for c in missing),
        )
    columns = header.values if header else {}
    run.tell_unread(unread_columns(columns))
    run.sheets = header.sheets if header else ()
    run.named = None if fmt == "jsonl" else AMENDED.intersection(columns)
    for chunk in _chunks(rows, CHUNK):
        run.take(chunk)
        if progress is not None:
            progress(stream.tell())


def _check_sender(sender: Sender, department: Department, kind: ImportKind) -> None:
    names = {"department": Words(DEPARTMENT_NAMES[department]), "kind": Words(KIND_NAMES[kind])}
    if not may_send(department, kind):
        raise KindNotAllowed(N_("{department} does not send {kind}"), **names)
    if sender.kinds is not None and kind not in sender.kinds:
        raise KindNotAllowed(N_("This client's key is not allowed to send {kind}"), **names)


def _chunks(rows: Iterator[Row], size: int) -> Iterator[list[Row]]:
    while chunk := list(islice(rows, size)):
        yield chunk


class _Run:
    def __init__(
        self,
        uow: UnitOfWork,
        env: Env,
        batch: t.ImportBatch,
        department: Department,
        kind: ImportKind,
        on_refused: Refused | None = None,
        *,
        reach: str | None = None,
    ) -> None:
        self.uow, self.env, self.batch = uow, env, batch
        self.department, self.kind, self.reach = department, kind, reach
        self.on_refused = on_refused
        self.refusals_total = 0
        self.now = env.clock.now()
        self.today = day_of(self.now)
        self.first_refusals: list[Refusal] = []
        self.kept_refusals = 0
        self.unread: dict[str, None] = {}  # in the order found, each once
        self.sheets: tuple[str, ...] = ()
        # The values the file's rows set (``AMENDED`` it names); None: each line's own
        self.named: frozenset[str] | None = frozenset()
        self.first_rows = FirstRows()  # each record number's first row in the file

    def tell_unread(self, columns: Iterable[str]) -> None:
        """Name these columns in the report, up to ``MAX_UNREAD`` (a JSON Lines file may
        name a new key on each line), each cut to 64 characters."""
        for column in columns:
            if len(self.unread) >= MAX_UNREAD:
                return
            self.unread.setdefault(column if len(column) <= 64 else f"{column[:63]}…")

    def take(self, chunk: Sequence[Row]) -> None:
        if self.kind is ImportKind.HIGH_RISK_REGION:
            valid, refusals = self._check_all(chunk)
            self.first_rows.recall(row.source_id for row in valid)
            refusals.extend(self._keep_regions(valid))
        else:
            # The residents and the records sent before are looked up by what the
            # rows name, unchecked, while the server is asked and the rows are checked
            # here (``DataRecords.matching``): 10–15 ms each, one after the other
            # before. Only the valid rows' findings are used, under the same keys
            # (``row_keys``).
            # The rows after the first half are checked while the server copies the
            # rows before them (``_keep_records``): the copy is most of an import's
            # time, and the checks were all done before it (0.41-0.52 of a plain COPY).
            keys = [row_keys(row.values) for row in chunk if row.problem is None]
            protector = self.env.protector
            hashes = {n: protector.keyed_hash(n, kind="id_number") for _, n in keys if n}
            source_ids = [source_id for source_id, _ in keys if source_id is not None]
            department = self.department.value
            half = len(chunk) // 2
            refusals = []
            matching = self.uow.data_records.matching
            with matching(department, source_ids, hashes.values(), self.reach) as found:
                self.first_rows.recall(source_ids)  # the file's, from before this chunk
                first = list(self._checked(chunk[:half], refusals))
            checked = chain(first, self._checked(chunk[half:], refusals))
            kept = self._keep_records(checked, found, hashes)
            self._count(chunk, refusals)
            refusals.extend(kept)
        self.first_rows.settle()
        self._report(refusals)

    def _check_all(self, chunk: Sequence[Row]) -> tuple[list[RecordRow], list[Refusal]]:
        """The chunk's valid rows, and the others' refusals (counted in the batch)."""
        refusals: list[Refusal] = []
        valid = list(self._checked(chunk, refusals))
        self._count(chunk, refusals)
        return valid, refusals

    def _checked(self, rows: Sequence[Row], refusals: list[Refusal]) -> Iterator[RecordRow]:
        """The valid rows, one at a time as they are checked; the others' refusals
        added to ``refusals``. The batch is not touched: a savepoint rolled back
        while the rows were read (``write_rows``) would take its changes with it."""
        for row in rows:
            result = _check(self.kind, row, self.today)
            if row.unread:  # a JSON Lines line's keys no import reads
                self.tell_unread(row.unread)
            if isinstance(result, RecordRow):
                if self.named is None:  # JSON Lines: the columns this line names
                    result = replace(result, named=AMENDED.intersection(row.values))
                yield result
            else:
                refusals.extend(result)

    def _count(self, chunk: Sequence[Row], refusals: list[Refusal]) -> None:
        """The chunk's rows read, and refused when checked (a line once, however many)."""
        self.batch.rows_read += len(chunk)
        self.batch.rows_refused += len({r.line for r in refusals})

    def _keep_records(
        self, valid: Iterable[RecordRow], found: t.Matches, hashes: dict[str, bytes]
    ) -> list[Refusal]:
        """Three statements a chunk, whatever its size: the residents named and the
        rows sent before (unchanged, amended or refused: ``_wanted``), both found
        while the chunk was checked (``found``, ``take``), and one COPY of the new
        records (multi-row INSERT on SQLite), into which ``valid`` is sorted as it
        comes. Only the rows that would change a record take a fourth, after the
        COPY: those records locked and read afresh, and compared again
        (``DataRecords.locked``): of two imports sending one correction at once, the
        second finds it made. A re-sent file locks nothing. A source id repeated in
        the chunk counts once for the same ID number and is refused for another one.
        The rows refused here are returned."""
        sorting = _Sorting()
        added = self.uow.data_records.add_new(
            RECORD_COLUMNS, self._new_records(valid, found, hashes, sorting)
        )
        refused = sorting.refused + self._amend_all(sorting.changing)
        self.batch.rows_added += added
        self.batch.rows_unchanged += sorting.unchanged
        self.batch.rows_unchanged += sorting.new - added  # sent at once by another import
        self.batch.rows_refused += len(refused)
        self.batch.rows_unmatched += len(sorting.unmatched)
        return refused + sorting.unmatched

    def _new_records(
        self,
        valid: Iterable[RecordRow],
        found: t.Matches,
        hashes: dict[str, bytes],
        sorting: _Sorting,
    ) -> Iterator[tuple[Any, ...]]:
        """The new records' rows, in ``RECORD_COLUMNS`` order, as ``valid`` comes;
        the other rows sorted into ``sorting``. Asks the database nothing: it runs
        while the new rows are copied."""
        department, residents, known = self.department.value, found.residents, found.known
        kind, source = self.kind.record_kind, self.batch.file_name[:64]
        assert kind is not None
        batch_id = self.batch.id.hex  # formatted once, not for each row written
        ids = _fresh_ids()
        seen = self.first_rows.recent  # source id → its first row in the file
        for row in valid:
            id_hash = hashes[row.id_number or ""]
            first = seen.get(row.source_id)
            if first is not None:
                again = _again(first, row, id_hash)
                if again is None:
                    sorting.unchanged += 1  # the same row twice
                else:
                    sorting.refused.append(again)
                continue
            resident_id = residents.get(id_hash)
            before = known.get(row.source_id)
            taken = True
            if before is not None:
                wanted = self._wanted(before, row, resident_id)
                if isinstance(wanted, Refusal):
                    sorting.refused.append(wanted)
                    taken = False
                elif _same(before, wanted):
                    sorting.unchanged += 1
                else:
                    sorting.changing.append((row, resident_id, before.id))
            elif resident_id is None:
                sorting.unmatched.append(_unmatched(row.line, self.reach))
                taken = False
            else:
                sorting.new += 1
                yield (
                    next(ids), resident_id, kind.value, row.start, row.end, row.region,
                    source, self.now, department, row.source_id, batch_id,
                    row.setting.value if row.setting else None, row.detail,
                )  # fmt: skip
            seen[row.source_id] = First(row, id_hash, taken)

    def _amend_all(
        self, changing: list[tuple[RecordRow, uuid.UUID | None, uuid.UUID]]
    ) -> list[Refusal]:
        """Amend the records these rows change, each locked and compared again."""
        refused: list[Refusal] = []
        records = self.uow.data_records.locked(record_id for _, _, record_id in changing)
        for row, resident_id, record_id in changing:
            record = records.get(record_id)  # None: erased meanwhile
            wanted = None if record is None else self._wanted(record, row, resident_id)
            if isinstance(wanted, Refusal):
                refused.append(wanted)
            elif record is not None and wanted is not None and not _same(record, wanted):
                self._amend(record, wanted)
            else:
                self.batch.rows_unchanged += 1
        return refused

    def _wanted(
        self, record: t.DataRecord | t.KnownRecord, row: RecordRow, resident_id: uuid.UUID | None
    ) -> Refusal | dict[str, Any]:
        """What a row whose source id the department sent before makes of that record:
        its dates, setting, region and note (it is amended if they differ, else
        unchanged), and a record its batch's rollback withdrew is in force again, as
        received now (its history before stays as it was). Another person's or another
        kind's record, or one an upheld appeal withdrew, is refused: the department
        gave two records one number, or sends again what was found wrong."""
        kind = self.kind.record_kind
        assert kind is not None
        if record.kind != kind.value:
            return _refused(row, "source_id_other_kind", _OTHER_KIND, kind=record.kind)
        if record.resident_id != resident_id:
            return _refused(row, "source_id_taken", _TAKEN)
        setting = row.setting.value if row.setting else None
        values = {"start": row.start, "end": row.end, "setting": setting, "region": row.region}
        values = self._as_named(record, row, values | {"detail": row.detail})
        return self._in_force(record, row, values)

    def _as_named(
        self,
        record: t.DataRecord | t.KnownRecord | t.HighRiskRegion,
        row: RecordRow,
        values: dict[str, Any],
    ) -> dict[str, Any]:
        """``values`` a row sets, those of columns its file (a JSON Lines line) does not
        name taken from the record as it is: a file without 解除隔离日期 sent again
        after the release cleared it, and the released contact was red again."""
        named = row.named if row.named is not None else self.named
        if named is None or named.issuperset(values):
            return values
        return {key: val if key in named else getattr(record, key) for key, val in values.items()}

    def _in_force(
        self,
        record: t.DataRecord | t.KnownRecord | t.HighRiskRegion,
        row: RecordRow,
        values: dict[str, Any],
    ) -> Refusal | dict[str, Any]:
        """``values``, and a record or listing its batch's rollback withdrew in force
        again, as received now; one an upheld appeal withdrew is refused."""
        if record.withdrawn_at is None:
            return values
        if not rolled_back(record):
            return _refused(row, "record_withdrawn", _WITHDRAWN)
        return values | {"withdrawn_at": None, "withdrawn_reason": None, "received_at": self.now}

    def _amend(self, record: t.DataRecord | t.HighRiskRegion, wanted: dict[str, Any]) -> None:
        """Change a record or listing as a row sent again says, keeping what it was
        and became (``Amendment``) for this batch's rollback."""
        before = {key: as_json_value(getattr(record, key)) for key in wanted}
        after = {key: as_json_value(value) for key, value in wanted.items()}
        for key, value in wanted.items():
            setattr(record, key, value)
        self.uow.amendments.record(self.batch.id, record, before, after)
        self.batch.rows_amended += 1

    def _keep_regions(self, valid: list[RecordRow]) -> list[Refusal]:
        """High-risk listings: a new one inserted; one sent before amended when its
        region or dates differ (the day it was lifted, sent later), unchanged when
        not, and in force again after its batch's rollback, as records are. The
        listings sent before are locked: a file lists a handful. The rows refused
        are returned."""
        known = self.uow.high_risk_regions.sent_before(
            self.department.value, [r.source_id for r in valid]
        )
        fresh: list[dict[str, Any]] = []
        refused: list[Refusal] = []
        seen = self.first_rows.recent  # source id → its first row in the file
        for row in valid:
            first = seen.setdefault(row.source_id, First(row, b"", True)).row
            values = _listed(row)
            before = known.get(row.source_id)
            if first is not row:
                if _listed(first) == values:
                    self.batch.rows_unchanged += 1
                else:
                    refused.append(_repeated(row, first.line, _REPEATED_LISTING))
            elif before is None:
                fresh.append(self._listing(row))
            elif isinstance(
                wanted := self._in_force(before, row, self._as_named(before, row, values)), Refusal
            ):
                refused.append(wanted)
            elif _same(before, wanted):
                self.batch.rows_unchanged += 1
            else:
                self._amend(before, wanted)
        added = self.uow.high_risk_regions.add_new(fresh)
        self.batch.rows_added += added
        self.batch.rows_unchanged += len(fresh) - added  # sent at the same time by another
        self.batch.rows_refused += len(refused)
        return refused

    def _listing(self, row: RecordRow) -> dict[str, Any]:
        return {
            "id": uuid.uuid4(),
            "region": row.region,
            "start": row.start,
            "end": row.end,
            "department": self.department.value,
            "source_id": row.source_id,
            "source": self.batch.file_name[:64],
            "batch_id": self.batch.id,
            "received_at": self.now,
        }

    def _report(self, refusals: list[Refusal]) -> None:
        room = MAX_REFUSALS_KEPT - self.kept_refusals
        in_order = sorted(refusals, key=lambda r: r.line)
        self.refusals_total += len(in_order)
        if self.on_refused is not None:
            for refusal in in_order:
                self.on_refused(refusal)
        kept = in_order[: max(room, 0)]
        self.uow.import_batches.add_refusals(
            [
                {
                    "batch_id": self.batch.id,
                    "line": r.line,
                    "field": r.field,
                    "code": r.code,
                    "params": {**r.params, "message": r.message},
                }
                for r in kept
            ]
        )
        self.kept_refusals += len(kept)
        if len(self.first_refusals) < 100:
            self.first_refusals.extend(kept[: 100 - len(self.first_refusals)])


def _fresh_ids() -> Iterator[str]:
    """New records' ids (``new_ids``), a thousand drawn at a time."""
    while True:
        yield from new_ids(1000)


def _listed(row: RecordRow) -> dict[str, Any]:
    """What a listing's row says of it: the region and its dates."""
    return {"region": row.region, "start": row.start, "end": row.end}


def as_json_value(value: object) -> object:
    """A column's value as an ``Amendment`` keeps it (dates as ISO text)."""
    return value.isoformat() if isinstance(value, date) else value


def _check(kind: ImportKind, row: Row, today: Any) -> RecordRow | list[Refusal]:
    if row.problem is not None:  # a line that is not a row (JSON Lines)
        return [_refusal(row.line, row.problem)]
    result = parse_row(kind, row.values, line=row.line, today=today)
    if isinstance(result, RecordRow):
        return result
    return [_refusal(row.line, e) for e in result]


def _refusal(line: int, error: FieldError) -> Refusal:
    params = {k: v if isinstance(v, int) else _storable(str(v)) for k, v in error.params.items()}
    return Refusal(line, error.field, error.code, error.message, params)


def _storable(text: str) -> str:
    """A cell's text as a refusal may quote it: a lone surrogate (possible in JSON
    Lines) cannot be stored or shown, and became a 500 on writing the refusal; nor
    can a NUL in PostgreSQL's JSON (an ID number ending in \\u0000 did the same)."""
    return text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")


ROLLBACK_REASON = "rollback of import "  # + the batch id: a record's withdrawn_reason


def _same(record: t.DataRecord | t.KnownRecord | t.HighRiskRegion, wanted: dict[str, Any]) -> bool:
    return all(getattr(record, key) == value for key, value in wanted.items())


def rolled_back(record: t.DataRecord | t.KnownRecord | t.HighRiskRegion) -> bool:
    """Withdrawn by its batch's rollback (sent again, it is in force again), not by an
    upheld appeal."""
    return (record.withdrawn_reason or "").startswith(ROLLBACK_REASON)


_TAKEN = N_(
    "Record number {value} belongs to a record about another person: give this record a "
    "number of its own"
)
_OTHER_KIND = N_(
    "Record number {value} was sent before for a record of another kind: give this record "
    "a number of its own"
)
_WITHDRAWN = N_(
    "Record {value} was withdrawn when the resident's appeal was upheld; it is not taken again"
)


_REPEATED_RECORD = N_(
    "Record number {value} is on line {first} of this file for another ID number: give "
    "each record a number of its own"
)
_REPEATED_VALUES = N_(
    "Record number {value} is on line {first} of this file with other dates, setting, region "
    "or note: send one row per record, with its latest values"
)
_REPEATS_REFUSED = N_("Record number {value} repeats line {first}, which was not taken")
_REPEATED_LISTING = N_(
    "Listing number {value} is on line {first} of this file with another region or other "
    "dates: give each listing a number of its own"
)


@dataclass
class _Sorting:
    """A chunk's valid rows that are not new records, sorted as they come (counted
    here, not in the batch, for the reason ``_checked`` gives)."""

    new: int = 0
    unchanged: int = 0
    refused: list[Refusal] = field(default_factory=list)  # another record's number, …
    unmatched: list[Refusal] = field(default_factory=list)
    changing: list[tuple[RecordRow, uuid.UUID | None, uuid.UUID]] = field(default_factory=list)


def _again(first: First, row: RecordRow, id_hash: bytes) -> Refusal | None:
    """A later row with the number of an earlier one in the file (``first``): None for
    the same row sent twice (it changes nothing), else its refusal. Another ID number,
    other values (a release sent below the open record was dropped without a word), or
    a repeat of a row that was refused or matched nobody (it was counted unchanged)."""
    if id_hash != first.id_hash:
        return _repeated(row, first.row.line)
    if _record_values(row) != _record_values(first.row):
        return _repeated(row, first.row.line, _REPEATED_VALUES)
    if not first.taken:
        return _repeated(row, first.row.line, _REPEATS_REFUSED)
    return None


def _record_values(row: RecordRow) -> tuple[Any, ...]:
    return (row.start, row.end, row.setting, row.region, row.detail)


def _repeated(row: RecordRow, first: int, message: str = _REPEATED_RECORD) -> Refusal:
    return _refused(row, "source_id_repeated", message, first=first)


def _refused(row: RecordRow, code: str, message: str, **params: Any) -> Refusal:
    return Refusal(row.line, "source_id", code, message, {"value": row.source_id, **params})


def _unmatched(line: int, reach: str | None) -> Refusal:
    """No resident the sender may name: none registered, or (a client registered for a
    region) none of its region, which the row does not tell apart."""
    if reach is None:
        message = N_(
            "No resident has registered with this ID number; send the row again once they have"
        )
        return Refusal(line, "id_number", "no_resident", message, {})
    message = N_(
        "No resident of your region ({region}) has registered with this ID number: a "
        "resident of another region is sent by that region's department"
    )
    return Refusal(line, "id_number", "no_resident", message, {"region": reach.ljust(6, "0")})


__all__ = [
    "DepartmentNotAllowed",
    "ImportReport",
    "KindNotAllowed",
    "MissingColumns",
    "Refusal",
    "Sender",
    "UnreadableFile",
    "import_records",
]
