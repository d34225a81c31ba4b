"""Migration 0028_amendments on a database with amended listings: the one amendment
each kept becomes the first of its chain, unless its import was rolled back."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlalchemy import Engine

from healthcode.store.migrate import downgrade, upgrade

NOW = datetime(2020, 2, 23, 1, 0, tzinfo=UTC)
BEFORE = {"region": "370100", "start": "2020-02-17", "end": None}


def _batch(status: str) -> dict[str, object]:
    counts = ("read", "added", "unchanged", "refused", "unmatched")
    return {
        "id": uuid.uuid4(), "department": "health", "kind": "high_risk_region",
        "file_name": "hr.csv", "started_at": NOW, "status": status,
        "residents_touched": 0, **{f"rows_{c}": 0 for c in counts},
    }  # fmt: skip


def test_the_amendment_a_listing_kept_starts_its_chain(bare: Engine) -> None:
    upgrade(bare, "0027_override_open_key")
    batches = sa.table(
        "import_batches", sa.column("id", sa.Uuid()), sa.column("started_at", sa.DateTime(True)),
        *(sa.column(name) for name in _batch("") if name not in ("id", "started_at")),
    )  # fmt: skip
    listings = sa.table(
        "high_risk_regions", sa.column("id", sa.Uuid()), sa.column("amended_by", sa.Uuid()),
        sa.column("start", sa.Date()), sa.column("end", sa.Date()),
        sa.column("received_at", sa.DateTime(True)), sa.column("amended_from", sa.JSON()),
        *(sa.column(c) for c in ("region", "department", "source_id", "source")),
    )  # fmt: skip
    lifted, undone = _batch("committed"), _batch("rolled_back")
    rows = [
        (uuid.uuid4(), "HR-1", lifted["id"], date(2020, 2, 18)),
        (uuid.uuid4(), "HR-2", undone["id"], None),  # its rollback kept what it undid
    ]
    with bare.begin() as conn:
        conn.execute(batches.insert(), [lifted, undone])
        for listing_id, source_id, amended_by, end in rows:
            conn.execute(
                listings.insert().values(
                    id=listing_id, region="370100", start=date(2020, 2, 17), end=end,
                    department="health", source_id=source_id, source="hr.csv",
                    received_at=NOW, amended_by=amended_by, amended_from=BEFORE,
                )
            )  # fmt: skip
    upgrade(bare)
    with bare.connect() as conn:
        found = conn.execute(
            sa.text("SELECT batch_id, listing_id, record_id, before, after FROM amendments")
        ).all()
    assert len(found) == 1
    batch_id, listing_id, record_id, before, after = found[0]
    assert (uuid.UUID(str(batch_id)), uuid.UUID(str(listing_id)), record_id) == (
        lifted["id"],
        rows[0][0],
        None,
    )
    as_json = [v if isinstance(v, dict) else json.loads(v) for v in (before, after)]
    assert as_json == [BEFORE, {**BEFORE, "end": "2020-02-18"}]
    downgrade(bare, "0027_override_open_key")
