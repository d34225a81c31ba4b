"""After an import (or its rollback) commits: recolour exactly the residents it
touched, a page of ``BATCH`` residents per transaction (never one transaction for
the whole population, never one per resident), each page read and written set-wise
(``services/codes/batches.py``), on SQLite and PostgreSQL alike.

The record is named in each change: the history's note carries the batch's
department and kind of record (never its file's name, which stays with staff), and
the state's reasons carry the record ids as evidence. A
travel import also checks each resident's declarations against it (a declared "no
travel" against the record opens a fraud case: ``services/fraud/contradictions.py``).

The recolouring is owed from the commit on (``ImportBatch.recolour_due_at``, set in
the batch's own transaction) and cleared here when it is done, so a process killed
or a database lost in between leaves it owed for ``jobs/recolouring.py`` to finish.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import islice
from typing import Any

import structlog

from healthcode.domain.facts import HighRiskPeriod
from healthcode.domain.records import ImportKind, data_note
from healthcode.services.appeals import withdrawals
from healthcode.services.codes.batches import PAGE, recolour_residents
from healthcode.services.codes.recolour import Cause
from healthcode.services.fraud import contradictions
from healthcode.services.records.batches import ROLLED_BACK
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWorkFactory

log = structlog.get_logger()
BATCH = PAGE
TRIP_WINDOW = timedelta(days=28)  # declarations old enough to hold a trip that counts


@dataclass(frozen=True)
class Recoloured:
    residents: int
    changed: int  # codes whose colour changed


def recolour_batch(units: UnitOfWorkFactory, env: Env, *, batch_id: uuid.UUID) -> Recoloured:
    """Recolour the residents a committed batch touched (records it added, or
    withdrew on rollback; stays in a high-risk region it listed), each change by the
    account that imported the batch or rolled it back. Safe to repeat."""
    with units() as uow:
        batch = uow.import_batches.by_id(batch_id)
        if batch is None:
            return Recoloured(0, 0)
        due = batch.recolour_due_at
        note = data_note(batch.department, batch.kind)  # the file's name stays with staff
        actor = _actor(batch)
        travel = batch.kind == ImportKind.TRAVEL  # may contradict declarations
        listings = uow.high_risk_regions.of_batch(batch_id)
        chains = uow.amendments.chains(t.Amendment.listing_id, [r.id for r in listings])
        regions = [p for r in listings for p in _periods(r, chains[r.id], batch_id)]
    if regions:
        residents: Iterable[uuid.UUID] = _staying(units, env, regions)
    else:
        residents = _of_batch(units, batch_id)
    total = changed = 0
    for page in _pages(iter(residents), BATCH):
        with units() as uow:
            done = recolour_residents(
                uow, env, resident_ids=page, cause=Cause.DATA, actor_id=actor, note=note
            )
            for resident_id in page if travel else ():
                contradictions.check_resident(uow, env, resident_id=resident_id)
            # an appeal against a record its rollback withdrew: the resident is told
            withdrawals.tell_withdrawn(uow, env, resident_ids=page)
        changed += done.changed
        total += len(page)
    with units() as uow:
        uow.import_batches.recoloured(batch_id, due, total)
    log.info("records.recoloured", batch=str(batch_id), residents=total, changed=changed)
    return Recoloured(total, changed)


def _actor(batch: t.ImportBatch) -> uuid.UUID | None:
    """Who the changes are recorded as made by: the rollback's author once rolled
    back, else the import's (none for a department system or the command line)."""
    return batch.rolled_back_by if batch.status == ROLLED_BACK else batch.account_id


def _of_batch(units: UnitOfWorkFactory, batch_id: uuid.UUID) -> Iterator[uuid.UUID]:
    after: uuid.UUID | None = None
    while True:
        with units() as uow:
            page = uow.data_records.residents_of_batch(batch_id, after, BATCH)
        yield from page
        if len(page) < BATCH:
            return
        after = page[-1]


def _periods(
    listing: t.HighRiskRegion, chain: t.Chain, batch_id: uuid.UUID
) -> list[HighRiskPeriod]:
    """The listing's period now and, where the batch amended it (or its rollback
    undid an amendment), the periods before and after that amendment: a stay in any
    of them may change colour."""
    now = HighRiskPeriod(
        str(listing.id), listing.region, listing.start, listing.received_at, listing.end
    )
    periods = [now]
    for amendment, _ in chain:
        if amendment.batch_id == batch_id:
            periods += [_period(now, amendment.before), _period(now, amendment.after)]
    return periods


def _period(now: HighRiskPeriod, values: dict[str, Any]) -> HighRiskPeriod:
    """The listing's period as an amendment kept it (region and dates, ISO text)."""
    end = values["end"]
    start = date.fromisoformat(values["start"])
    return HighRiskPeriod(
        now.id, values["region"], start, now.received_at, date.fromisoformat(end) if end else None
    )


def _staying(units: UnitOfWorkFactory, env: Env, regions: list[HighRiskPeriod]) -> list[uuid.UUID]:
    """Residents whose travel records or recently declared trips fall in a listed
    region and period (region-level: a handful of periods, a query each)."""
    found: set[uuid.UUID] = set()
    with units() as uow:
        for p in regions:
            found |= uow.data_records.residents_who_stayed(p.region, p.start, p.end)
        since = env.clock.now() - TRIP_WINDOW
        for resident_id, trips in uow.high_risk_regions.residents_with_declared_trips(since):
            if any(_in(p, trip) for trip in trips for p in regions):
                found.add(resident_id)
    return sorted(found)


def _in(period: HighRiskPeriod, trip: dict[str, Any]) -> bool:
    try:
        end = date.fromisoformat(trip["end"])
        start = date.fromisoformat(trip["start"]) if trip.get("start") else end
    except (KeyError, TypeError, ValueError):
        return False
    return period.covers(str(trip.get("region", ""))) and period.overlaps(start, end)


def _pages(items: Iterator[uuid.UUID], size: int) -> Iterator[list[uuid.UUID]]:
    while page := list(islice(items, size)):
        yield page
