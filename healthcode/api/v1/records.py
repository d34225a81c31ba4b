"""Department records: imports from department systems (each a client with its own
key, ``X-Api-Key``) and from data operators, their reports, and rollback.

An import is one transaction: its records and its report commit together; the
residents it touched are recoloured right after the commit, before the response, so
the caller learns of a red code only once it is shown."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Security, UploadFile
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, Field

from healthcode.domain.errors import DomainError
from healthcode.domain.i18n import N_
from healthcode.domain.records import ImportKind
from healthcode.http.deps import EnvDep, UnitsDep, UowDep
from healthcode.http.security import require
from healthcode.http.views import LocalTime
from healthcode.i18n import translate
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.records import batches, clients
from healthcode.services.records.imports import ImportReport, import_records
from healthcode.services.records.recolouring import recolour_after_commit

router = APIRouter(tags=["records"])
Operator = Annotated[Principal, Depends(require(Permission.RECORDS_IMPORT))]
API_KEY = APIKeyHeader(name="X-Api-Key", auto_error=False, description="a department client's key")


class UnknownClient(DomainError):
    status = 401
    code = "unknown_client"


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
    refused: int
    unmatched: int = Field(description="no resident registered with the ID number")
    refusals: list[RefusedRowView] = Field(description="the first 100, in line order")

    @classmethod
    def of(cls, r: ImportReport) -> ImportReportView:
        return cls(
            batch=r.batch_id,
            department=r.department.value,
            kind=r.kind.value,
            rows=r.rows_read,
            added=r.added,
            unchanged=r.unchanged,
            refused=r.refused,
            unmatched=r.unmatched,
            refusals=[
                RefusedRowView(
                    line=x.line, field=x.field, code=x.code, message=translate(x.message, x.params)
                )
                for x in r.refusals
            ],
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
    refused: int
    unmatched: int
    residents_touched: int
    rolled_back_at: LocalTime | None

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
            refused=b.refused,
            unmatched=b.unmatched,
            residents_touched=b.residents_touched,
            rolled_back_at=b.rolled_back_at,
        )


class BatchDetailView(BatchView):
    refusals: list[RefusedRowView]


@router.post(
    "/records/imports",
    summary="A department system sends a file of records (CSV in UTF-8 or GBK, XLSX or "
    "JSON Lines) with its client key; good rows are kept, every refused row reported, "
    "and the residents named are recoloured at once",
)
def import_from_department(
    kind: Annotated[ImportKind, Query(description="what the file holds")],
    file: Annotated[UploadFile, File(description="the file; memory stays flat in its size")],
    key: Annotated[str | None, Security(API_KEY)],
    uow: UowDep,
    env: EnvDep,
    units: UnitsDep,
    encoding: Annotated[str | None, Query(max_length=20, examples=["gbk"])] = None,
) -> ImportReportView:
    client = clients.client_by_key(uow, key=key) if key else None
    if client is None:
        raise UnknownClient(N_("Send a valid department client key as X-Api-Key"))
    report = import_records(
        uow,
        env,
        sender=client.sender,
        department=client.department,
        kind=kind,
        stream=file.file,
        file_name=file.filename or f"{kind.value}.csv",
        encoding=encoding,
    )
    recolour_after_commit(uow, units, env, batch_id=report.batch_id)
    return ImportReportView.of(report)


@router.get("/records/imports", summary="Recent imports within your regions")
def list_imports(
    who: Operator, uow: UowDep, limit: Annotated[int, Query(ge=1, le=200)] = 50
) -> list[BatchView]:
    return [BatchView.of(b) for b in batches.list_batches(uow, who, limit=limit)]


@router.get("/records/imports/{batch_id}", summary="One import and its refused rows")
def show_import(batch_id: uuid.UUID, who: Operator, uow: UowDep) -> BatchDetailView:
    summary, refused = batches.show_batch(uow, who, batch_id=batch_id)
    return BatchDetailView(
        **BatchView.of(summary).model_dump(),
        refusals=[
            RefusedRowView(
                line=r.line, field=r.field, code=r.code, message=translate(r.message, r.params)
            )
            for r in refused
        ],
    )


@router.post(
    "/records/imports/{batch_id}/rollback",
    summary="Withdraw every record of an import; the colours it caused are recomputed",
)
def roll_back_import(
    batch_id: uuid.UUID, who: Operator, uow: UowDep, env: EnvDep, units: UnitsDep
) -> BatchView:
    summary = batches.roll_back_batch(uow, env, who, batch_id=batch_id)
    recolour_after_commit(uow, units, env, batch_id=batch_id, actor_id=who.account_id)
    return BatchView.of(summary)
