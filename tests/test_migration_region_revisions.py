"""Migration 0022_region_revisions on a database that federates regions already: each
region gains a revision of its own (what a gate's cache of its keys is keyed by)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

from healthcode.store.migrate import downgrade, upgrade
from tests.conftest import own_database

NOW = datetime(2020, 2, 23, 1, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with own_database(request.param, tmp_path, f"hc_regions_{os.getpid()}") as engine:
        yield engine


def test_each_federated_region_gains_its_own_revision(fresh: Engine) -> None:
    upgrade(fresh, "0021_partitions")
    regions = sa.table(
        "federated_regions",
        sa.column("code"), sa.column("region", sa.JSON()), sa.column("keys", sa.JSON()),
        sa.column("imported_at", sa.DateTime(timezone=True)), sa.column("revision", sa.Uuid()),
    )  # fmt: skip
    with fresh.begin() as conn:
        for code in ("420000", "440000"):
            conn.execute(regions.insert().values(code=code, region={}, keys=[], imported_at=NOW))
    upgrade(fresh)
    with fresh.connect() as conn:
        revisions = conn.execute(sa.select(regions.c.revision)).scalars().all()
    assert len(set(revisions)) == 2
    assert None not in revisions
    downgrade(fresh, "0021_partitions")
