"""Fixtures for the organisations' services."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from healthcode.store import tables as t


@pytest.fixture
def committed(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions that really commit, on their own connections, for races; whatever the
    test creates is deleted afterwards (residents cascade to their facts and codes)."""
    factory = sessionmaker(engine, expire_on_commit=False)
    yield factory
    with factory.begin() as session:
        session.execute(delete(t.AuditEvent))
        session.execute(delete(t.ColourOverride))
        session.execute(delete(t.PreventionNotice))
        session.execute(delete(t.Resident))
        session.execute(delete(t.Account))
        session.execute(delete(t.Organisation))
