"""Migration 0022_region_revisions on a database that federates regions already: each
region gains a revision of its own (what a gate's cache of its keys is keyed by)."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import Engine

from healthcode.store.migrate import downgrade, upgrade

NOW = datetime(2020, 2, 23, 1, 0, tzinfo=UTC)


def test_each_federated_region_gains_its_own_revision(bare: Engine) -> None:
    upgrade(bare, "0021_partitions")
    regions = sa.table(
        "federated_regions",
        sa.column("code"), sa.column("region", sa.JSON()), sa.column("keys", sa.JSON()),
        sa.column("imported_at", sa.DateTime(timezone=True)), sa.column("revision", sa.Uuid()),
    )  # fmt: skip
    with bare.begin() as conn:
        for code in ("420000", "440000"):
            conn.execute(regions.insert().values(code=code, region={}, keys=[], imported_at=NOW))
    upgrade(bare)
    with bare.connect() as conn:
        revisions = conn.execute(sa.select(regions.c.revision)).scalars().all()
    assert len(set(revisions)) == 2
    assert None not in revisions
    downgrade(bare, "0021_partitions")
