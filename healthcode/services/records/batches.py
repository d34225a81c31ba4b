"""Import batches: the list a data operator sees, one batch's report, and rollback.

A data operator acts within their regions or departments (``Principal.scope``,
``Scope.covers_records``): a batch sent by someone outside them is "not found" (404),
never "forbidden". A rollback withdraws
every record the batch added (they stay, marked, for the history); the colours
they caused are recomputed after the commit (``recolour_batch``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from healthcode.domain.errors import Conflict, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.scope import Scope
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.records.imports import (
    MAX_REFUSALS_KEPT,
    ROLLBACK_REASON,
    rolled_back,
)
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

ROLLED_BACK = "rolled_back"
SHOWN = 200  # refused rows a batch's page and report show
EVERY = MAX_REFUSALS_KEPT  # refused rows its file holds: every one kept


class BatchNotFound(NotFound):
    code = "batch_not_found"


class AlreadyRolledBack(Conflict):
    code = "already_rolled_back"


@dataclass(frozen=True)
class BatchSummary:
    """An import batch as its page, the API and ``data batches`` show it."""

    id: uuid.UUID
    department: str
    kind: str
    file_name: str
    started_at: datetime
    status: str
    rows_read: int
    added: int
    unchanged: int
    refused: int
    unmatched: int
    amended: int  # sent before and changed: a release, a discharge, in force again
    residents_touched: int
    rolled_back_at: datetime | None
    recolour_pending: bool  # committed, residents not all recoloured yet (jobs/recolouring.py)

    @property
    def changed(self) -> int:
        """Records the batch wrote, and its rollback undoes: the residents to recolour
        are theirs (an import of corrections only added none)."""
        return self.added + self.amended

    @property
    def unlisted(self) -> int:
        """Refused rows counted but not kept: past ``EVERY``, the file lists no more."""
        return max(0, self.refused + self.unmatched - EVERY)


@dataclass(frozen=True)
class RefusedRow:
    line: int
    field: str
    code: str
    message: str  # an English message id; the edge translates it
    params: dict[str, object]


def _scope(principal: Principal | None) -> Scope:
    """None is the command line, run by the deployment's operators: everywhere."""
    return (
        Scope(everywhere=True) if principal is None else principal.scope(Permission.RECORDS_IMPORT)
    )


def list_batches(
    uow: UnitOfWork, principal: Principal | None, *, limit: int = 50
) -> list[BatchSummary]:
    return [_summary(b) for b in uow.import_batches.recent(_scope(principal), limit)]


def show_batch(
    uow: UnitOfWork, principal: Principal, *, batch_id: uuid.UUID, limit: int = SHOWN
) -> tuple[BatchSummary, list[RefusedRow]]:
    batch = _in_scope(uow, principal, batch_id)
    return _summary(batch), _refused(uow, batch.id, limit)


def sent_by(
    uow: UnitOfWork, client_id: uuid.UUID, *, batch_id: uuid.UUID, limit: int = SHOWN
) -> tuple[BatchSummary, list[RefusedRow]]:
    """A batch as the department system that sent it reads it: whether its residents
    are recoloured yet, and its refused rows. Another's batch is not found."""
    batch = uow.import_batches.by_id(batch_id)
    if batch is None or batch.client_id != client_id:
        raise BatchNotFound(N_("No such import"))
    return _summary(batch), _refused(uow, batch.id, limit)


def _refused(uow: UnitOfWork, batch_id: uuid.UUID, limit: int) -> list[RefusedRow]:
    return [
        RefusedRow(
            r.line,
            r.field,
            r.code,
            str(r.params.get("message", "")),
            {k: v for k, v in r.params.items() if k != "message"},
        )
        for r in uow.import_batches.refusals(batch_id, limit)
    ]


def roll_back_batch(
    uow: UnitOfWork,
    env: Env,
    principal: Principal | None,
    *,
    batch_id: uuid.UUID,
    address: str = "",
    by: str = "",
) -> BatchSummary:
    """Withdraw what the batch added; the caller commits, then ``recolour_batch``.
    The audit log names who: the operator and their ``address`` (the API), or the
    command line's OS user (``by``)."""
    batch = _in_scope(uow, principal, batch_id, lock=True)
    if batch.status == ROLLED_BACK:
        raise AlreadyRolledBack(N_("This import has already been rolled back"))
    now = env.clock.now()
    reason = f"{ROLLBACK_REASON}{batch.id}"
    uow.data_records.withdraw_batch(batch.id, at=now, reason=reason)
    records = uow.data_records.amended_by_batch(batch.id)
    _undo_all(uow, batch.id, records, t.Amendment.record_id)
    uow.high_risk_regions.withdraw_batch(batch.id, at=now, reason=reason)
    listings = uow.high_risk_regions.amended_by_batch(batch.id)
    _undo_all(uow, batch.id, listings, t.Amendment.listing_id)
    batch.status, batch.rolled_back_at = ROLLED_BACK, now
    # owed again, whether or not the import's was done; an instant of its own, so that
    # the import's recolouring, if it is still running, does not count for this one
    owed = batch.recolour_due_at
    batch.recolour_due_at = now if owed is None or owed < now else owed + timedelta(microseconds=1)
    actor = principal.account_id if principal is not None else None
    batch.rolled_back_by = actor
    audit.record(
        uow,
        env,
        actor_id=actor,
        action="records.rollback",
        detail={
            "batch": str(batch.id),
            "department": batch.department,
            "kind": batch.kind,
            "rows": batch.rows_added,  # withdrawn; an amendment-only batch logged 0 alone
            "restored": len(records) + len(listings),  # as they were before its amendments
            "address": address,
            "by": by,
        },
    )
    uow.flush()
    return _summary(batch)


def _undo_all(
    uow: UnitOfWork,
    batch_id: uuid.UUID,
    rows: Sequence[t.DataRecord] | Sequence[t.HighRiskRegion],
    key: Any,
) -> None:
    chains = uow.amendments.chains(key, [row.id for row in rows])
    for row in rows:
        _undo(row, chains[row.id], batch_id)


def _undo(row: t.DataRecord | t.HighRiskRegion, chain: t.Chain, batch_id: uuid.UUID) -> None:
    """Undo the batch's amendment of a record or listing. While a later import's
    amendment stands, its values stay; else the values before the batch's come back,
    and then those before each earlier amendment whose import was rolled back while a
    later one stood. So two imports rolled back, in either order, leave what was
    there before both; the dates, setting, region and note come back, and a record
    put in force again after an earlier rollback is withdrawn again."""
    last = max(i for i, (amendment, _) in enumerate(chain) if amendment.batch_id == batch_id)
    if any(status != ROLLED_BACK for _, status in chain[last + 1 :]):
        return
    for amendment, status in reversed(chain[: last + 1]):
        if amendment.batch_id != batch_id and status != ROLLED_BACK:
            return
        found_wrong = row.withdrawn_at is not None and not rolled_back(row)
        for key, value in amendment.before.items():
            if not (found_wrong and key in _WITHDRAWAL):  # an appeal's withdrawal stands
                setattr(row, key, _typed(key, value))


_WITHDRAWAL = ("withdrawn_at", "withdrawn_reason", "received_at")


def _typed(key: str, value: Any) -> Any:
    """A value an ``Amendment`` keeps (JSON) as its column holds it."""
    if value is None:
        return "" if key == "detail" else None
    if key in ("start", "end"):
        return date.fromisoformat(value)
    if key in ("withdrawn_at", "received_at"):
        return datetime.fromisoformat(value)
    return value


def _in_scope(
    uow: UnitOfWork, principal: Principal | None, batch_id: uuid.UUID, *, lock: bool = False
) -> t.ImportBatch:
    batch = uow.import_batches.by_id(batch_id, lock=lock)
    if batch is None or not _scope(principal).covers_records(batch.department, batch.region):
        raise BatchNotFound(N_("No such import"))
    return batch


def _summary(b: t.ImportBatch) -> BatchSummary:
    return BatchSummary(
        b.id,
        b.department,
        b.kind,
        b.file_name,
        b.started_at,
        b.status,
        b.rows_read,
        b.rows_added,
        b.rows_unchanged,
        b.rows_refused,
        b.rows_unmatched,
        b.rows_amended,
        b.residents_touched,
        b.rolled_back_at,
        b.recolour_due_at is not None,
    )
