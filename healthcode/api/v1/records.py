"""Department records: imports from department systems (each a client with its own
key, ``X-Api-Key``) and from data operators, their reports, and rollback.

An import is one transaction: its records and its report commit together; the
residents it touched are recoloured right after the commit, before the response, so
the caller learns of a red code only once it is shown."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine
from dataclasses import replace
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, File, Query, Request, Security, UploadFile
from fastapi.responses import Response
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException

from healthcode.domain.errors import DomainError
from healthcode.domain.i18n import N_
from healthcode.domain.records import ImportKind
from healthcode.http.batch_files import refused_rows_csv
from healthcode.http.deps import EnvDep, UnitsDep, UowDep, client_address
from healthcode.http.security import require
from healthcode.http.views import LocalTime
from healthcode.i18n import translate
from healthcode.jobs.recolouring import recolour_after_commit
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.records import batches, clients, tracing
from healthcode.services.records.clients import Client
from healthcode.services.records.files import FileFormat
from healthcode.services.records.imports import ImportReport, file_name_too_long, import_records
from healthcode.services.shared.bounds import Day, InputModel


class _Uploads(APIRoute):
    """A file whose name runs past the multipart parser's limit on a part's header
    line (4 KiB) is refused naming the file (422 ``file``, ``name_too_long``, as a
    name past the 255 characters a batch keeps): Starlette answered a bare 400
    ``bad_request`` naming nothing (an outside probe, stop 44)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await handle(request)
            except HTTPException as error:  # raised by Starlette while parsing the form
                parsing = error.__context__
                if isinstance(parsing, MultiPartException) and "header size" in str(
                    parsing.__cause__
                ):
                    raise file_name_too_long() from None
                raise

        return handler


router = APIRouter(tags=["records"], route_class=_Uploads)
Operator = Annotated[Principal, Depends(require(Permission.RECORDS_IMPORT))]
API_KEY = APIKeyHeader(name="X-Api-Key", auto_error=False, description="a department client's key")


class UnknownClient(DomainError):
    status = 401
    code = "unknown_client"


def department_client(key: Annotated[str | None, Security(API_KEY)], uow: UowDep) -> Client:
    client = clients.client_by_key(uow, key=key) if key else None
    if client is None:
        raise UnknownClient(N_("Send a valid department client key as X-Api-Key"))
    return client


DepartmentClient = Annotated[Client, Depends(department_client)]


class RefusedRowView(BaseModel):
    line: int = Field(description="line in the file; the header is line 1")
    field: str = Field(examples=["id_number"])
    code: str = Field(examples=["check_char"])
    message: str = Field(description="why, in the caller's language")


class ImportReportView(BaseModel):
    batch: uuid.UUID
    department: str
    kind: str
    rows: int
    added: int
    unchanged: int = Field(description="sent before (same department and source id)")
    amended: int = Field(description="sent before with other dates (a release): changed")
    refused: int
    unmatched: int = Field(description="no resident registered with the ID number")
    refusals: list[RefusedRowView] = Field(description="the first 100, in line order")
    unread_columns: list[str] = Field(
        [], description="columns the file names that no import reads: their cells are left out"
    )
    unread_sheets: list[str] = Field(
        [], description="a workbook's later sheets holding cells: only the first sheet is read"
    )
    recolour_pending: bool = Field(
        False,
        description="a large file: the residents it names are recoloured after this answer "
        "(the batch's recolour_pending turns false when done)",
    )

    @classmethod
    def of(cls, r: ImportReport, *, recolour_pending: bool) -> ImportReportView:
        return cls(
            batch=r.batch_id,
            department=r.department.value,
            kind=r.kind.value,
            rows=r.rows_read,
            added=r.added,
            unchanged=r.unchanged,
            amended=r.amended,
            refused=r.refused,
            unmatched=r.unmatched,
            refusals=[
                RefusedRowView(
                    line=x.line, field=x.field, code=x.code, message=translate(x.message, x.params)
                )
                for x in r.refusals
            ],
            unread_columns=list(r.unread_columns),
            unread_sheets=list(r.unread_sheets),
            recolour_pending=recolour_pending,
        )


class BatchView(BaseModel):
    id: uuid.UUID
    department: str
    kind: str
    file_name: str
    started_at: LocalTime
    status: str = Field(examples=["committed", "rolled_back"])
    rows: int
    added: int
    unchanged: int
    amended: int = Field(description="sent before and changed (a release): amended")
    refused: int
    unmatched: int
    residents_touched: int
    rolled_back_at: LocalTime | None
    recolour_pending: bool = Field(
        description="the residents it touched are still being recoloured (minutes at most, "
        "also after a failure: a job finishes it)"
    )

    @classmethod
    def of(cls, b: batches.BatchSummary) -> BatchView:
        return cls(
            id=b.id,
            department=b.department,
            kind=b.kind,
            file_name=b.file_name,
            started_at=b.started_at,
            status=b.status,
            rows=b.rows_read,
            added=b.added,
            unchanged=b.unchanged,
            amended=b.amended,
            refused=b.refused,
            unmatched=b.unmatched,
            residents_touched=b.residents_touched,
            rolled_back_at=b.rolled_back_at,
            recolour_pending=b.recolour_pending,
        )


class BatchDetailView(BatchView):
    refusals: list[RefusedRowView]


@router.post(
    "/records/imports",
    summary="A department system sends a file of records (CSV in UTF-8, GBK or UTF-16, XLSX or "
    "JSON Lines) with its client key; good rows are kept, every refused row reported, "
    "and the residents named are recoloured before the answer (a large file: after it, "
    "recolour_pending; GET /records/sent/{batch} says when done)",
)
def import_from_department(
    kind: Annotated[ImportKind, Query(description="what the file holds")],
    file: Annotated[UploadFile, File(description="the file; memory stays flat in its size")],
    client: DepartmentClient,
    request: Request,
    uow: UowDep,
    env: EnvDep,
    units: UnitsDep,
    encoding: Annotated[str | None, Query(max_length=20, examples=["gbk"])] = None,
    file_format: Annotated[
        FileFormat | None,
        Query(alias="format", description="the file's format, where its name has no extension"),
    ] = None,
) -> ImportReportView:
    report = import_records(
        uow,
        env,
        sender=replace(client.sender, address=client_address(request)),
        department=client.department,
        kind=kind,
        stream=file.file,
        file_name=file.filename or f"{kind.value}.csv",
        file_format=file_format,
        encoding=encoding,
    )
    later = recolour_after_commit(uow, units, env, batch_id=report.batch_id, records=report.changed)
    return ImportReportView.of(report, recolour_pending=later)


@router.get("/records/imports", summary="Recent imports within your regions")
def list_imports(
    who: Operator, uow: UowDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[BatchView]:
    return [BatchView.of(b) for b in batches.list_batches(uow, who, limit=limit)]


@router.get("/records/imports/{batch_id}", summary="One import and its refused rows")
def show_import(batch_id: uuid.UUID, who: Operator, uow: UowDep) -> BatchDetailView:
    return _detail(*batches.show_batch(uow, who, batch_id=batch_id))


@router.get(
    "/records/sent/{batch_id}",
    summary="A department system's own import, with its key: whether the residents it "
    "names are recoloured yet (recolour_pending), and its first refused rows",
)
def show_sent(batch_id: uuid.UUID, client: DepartmentClient, uow: UowDep) -> BatchDetailView:
    return _detail(*batches.sent_by(uow, client.id, batch_id=batch_id))


@router.get(
    "/records/sent/{batch_id}/refused.csv",
    summary="Every refused row of a department system's own import, with its key",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def refused_sent(batch_id: uuid.UUID, client: DepartmentClient, uow: UowDep) -> Response:
    return refused_rows_csv(
        *batches.sent_by(uow, client.id, batch_id=batch_id, limit=batches.EVERY)
    )


def _detail(summary: batches.BatchSummary, refused: list[batches.RefusedRow]) -> BatchDetailView:
    return BatchDetailView(
        **BatchView.of(summary).model_dump(),
        refusals=[
            RefusedRowView(
                line=r.line, field=r.field, code=r.code, message=translate(r.message, r.params)
            )
            for r in refused
        ],
    )


@router.get(
    "/records/imports/{batch_id}/refused.csv",
    summary="Every refused row of an import, as a spreadsheet file in your language",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def refused_file(batch_id: uuid.UUID, who: Operator, uow: UowDep) -> Response:
    return refused_rows_csv(*batches.show_batch(uow, who, batch_id=batch_id, limit=batches.EVERY))


@router.post(
    "/records/imports/{batch_id}/rollback",
    summary="Withdraw every record of an import; the colours it caused are recomputed",
)
def roll_back_import(
    batch_id: uuid.UUID,
    who: Operator,
    request: Request,
    uow: UowDep,
    env: EnvDep,
    units: UnitsDep,
) -> BatchView:
    summary = batches.roll_back_batch(
        uow, env, who, batch_id=batch_id, address=client_address(request)
    )
    later = recolour_after_commit(uow, units, env, batch_id=batch_id, records=summary.changed)
    return BatchView.of(replace(summary, recolour_pending=later))


# -- tracing from scans (docs/tracing.md) ---------------------------------------------


class CaseView(BaseModel):
    resident: uuid.UUID
    masked_name: str
    masked_id: str
    record: uuid.UUID = Field(description="the confirmed record")
    start: date | None = Field(description="the diagnosis date")

    @classmethod
    def of(cls, c: tracing.CaseSummary) -> CaseView:
        return cls(
            resident=c.resident_id,
            masked_name=c.masked_name,
            masked_id=c.masked_id,
            record=c.record_id,
            start=c.start,
        )


class FindCase(InputModel):
    model_config = ConfigDict(extra="forbid")
    id_number: str = Field(max_length=18, examples=["371602199003070011"])


class VisitView(BaseModel):
    venue: uuid.UUID
    venue_name: str
    at: LocalTime
    window_start: LocalTime
    window_end: LocalTime


class OverlapView(BaseModel):
    venue: uuid.UUID
    venue_name: str
    case_at: LocalTime
    contact_at: LocalTime


class ContactView(BaseModel):
    resident: uuid.UUID
    masked_name: str
    masked_id: str
    overlaps: list[OverlapView]


class TraceView(BaseModel):
    case: CaseView
    since: date
    window_minutes: int
    visits: list[VisitView]
    contacts: list[ContactView]
    complete: bool = Field(
        description="false: the search stopped after 5,000 people; narrow the window or the start"
    )
    not_the_holder: int = Field(
        description="scans left out because a guard reported the person scanned was not the "
        "code's holder (the case's own and others'): who was there is unknown"
    )

    @classmethod
    def of(cls, tr: tracing.Trace) -> TraceView:
        return cls(
            complete=tr.complete,
            not_the_holder=tr.not_the_holder,
            case=CaseView.of(tr.case),
            since=tr.since,
            window_minutes=tr.window_minutes,
            visits=[
                VisitView(
                    venue=v.venue_id,
                    venue_name=v.venue_name,
                    at=v.at,
                    window_start=v.window_start,
                    window_end=v.window_end,
                )
                for v in tr.visits
            ],
            contacts=[
                ContactView(
                    resident=c.resident_id,
                    masked_name=c.masked_name,
                    masked_id=c.masked_id,
                    overlaps=[
                        OverlapView(
                            venue=o.venue_id,
                            venue_name=o.venue_name,
                            case_at=o.case_at,
                            contact_at=o.contact_at,
                        )
                        for o in c.overlaps
                    ],
                )
                for c in tr.contacts
            ],
        )


class MakeContacts(InputModel):
    """A field it does not know is refused, not dropped: the trace takes its window as
    ``?window=``, and that name sent here used to make records over the default."""

    model_config = ConfigDict(extra="forbid")
    contacts: list[uuid.UUID] | None = Field(
        default=None, max_length=5000, description="the residents chosen; none: all listed"
    )
    since: Day | None = None
    window_minutes: int = Field(default=tracing.DEFAULT_WINDOW, ge=1, le=tracing.MAX_WINDOW)
    kind: ImportKind = Field(
        default=ImportKind.CLOSE_CONTACT,
        description="close_contact (red) or exposure (yellow, a possible exposure)",
    )


@router.get("/records/tracing", summary="Confirmed cases within your regions or department")
def list_cases(
    who: Operator, uow: UowDep, limit: Annotated[int, Query(ge=1, le=500)] = 100
) -> list[CaseView]:
    return [CaseView.of(c) for c in tracing.confirmed_cases(uow, who, limit=limit)]


@router.post("/records/tracing/find", summary="A confirmed case by ID number")
def find_case(body: FindCase, who: Operator, uow: UowDep, env: EnvDep) -> CaseView:
    return CaseView.of(tracing.find_case(uow, env, who, id_number=body.id_number))


@router.get(
    "/records/tracing/{resident_id}",
    summary="A case's venues and windows, and everyone scanned there within the window "
    "(masked; the view is audit-logged)",
)
def trace_case(
    resident_id: uuid.UUID,
    who: Operator,
    uow: UowDep,
    env: EnvDep,
    since: Day | None = None,
    window: Annotated[int, Query(ge=1, le=tracing.MAX_WINDOW)] = tracing.DEFAULT_WINDOW,
) -> TraceView:
    return TraceView.of(
        tracing.trace_case(
            uow, env, who, resident_id=resident_id, since=since, window_minutes=window
        )
    )


@router.post(
    "/records/tracing/{resident_id}/records",
    summary="Turn the trace (or a selection from it) into close-contact records: one "
    "health-department import, recoloured at once, reversible by its rollback",
)
def make_contact_records(
    resident_id: uuid.UUID,
    body: MakeContacts,
    who: Operator,
    uow: UowDep,
    env: EnvDep,
    units: UnitsDep,
) -> ImportReportView:
    report = tracing.create_contact_records(
        uow,
        env,
        who,
        resident_id=resident_id,
        contacts=body.contacts,
        since=body.since,
        window_minutes=body.window_minutes,
        kind=body.kind,
    )
    later = recolour_after_commit(uow, units, env, batch_id=report.batch_id, records=report.changed)
    return ImportReportView.of(report, recolour_pending=later)
