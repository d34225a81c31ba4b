"""Repositories: one per aggregate, query methods named after the domain.

All SQL lives in healthcode.store. Methods return table rows; conversion to domain
facts is in ``facts.py`` beside this module."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import CursorResult, Executable
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

_HELD = "healthcode_held"  # Session.info key: (transaction, the rows it has locked)


class _Repo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: Any) -> None:
        self.session.add(row)

    def columns(
        self, statement: Executable, params: Mapping[str, Any] | None = None
    ) -> CursorResult[*tuple[Any, ...]]:
        """``statement`` on the session's connection, as plain columns: no entities
        loaded, no ORM layer (the queries every request asks). The session is flushed
        first, as the ORM's execute would: a change earlier in the unit is seen."""
        self.session.flush()
        return self.session.connection().execute(statement, params)


def insert_once(session: Session, row: Any) -> bool:
    """Insert ``row`` unless a unique key says it is there already (also when a
    concurrent transaction has just inserted it): False then, and nothing changes."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def held(session: Session) -> dict[tuple[type, Any], Any]:
    """The rows the session's current transaction has locked or inserted, by
    ``(table, id)``: a lock taken once holds until the commit or rollback, so a
    repository need not take it again, nor re-read a row it loaded under it. The row
    (None for a lock taken without loading it) is kept here too: the session's
    identity map holds rows only weakly."""
    transaction = session.get_transaction()
    found = session.info.get(_HELD)
    if found is None or found[0] is not transaction:
        found = session.info[_HELD] = (transaction, {})
    rows: dict[tuple[type, Any], Any] = found[1]
    return rows


def on_sqlite(session: Session) -> bool:
    """SQLite has no ``FOR UPDATE``: a writing transaction holds the database's one
    write lock from its ``BEGIN IMMEDIATE`` (``store/db.py``)."""
    return session.get_bind().dialect.name == "sqlite"
