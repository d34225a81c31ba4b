"""Which database failures are an outage — answer 503 and try again — not a bug.

Only the store knows its drivers, so the edge asks here instead of matching on
psycopg or sqlite3 errors itself. A reason is a short stable word for the log line.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping

import psycopg
from sqlalchemy import exc

# What the edge hands to ``outage_reason``: every error a query or the pool raises,
# and psycopg's own from a COPY (``store/bulk.py`` drives the driver's cursor).
DATABASE_ERRORS: tuple[type[Exception], ...] = (exc.DBAPIError, exc.TimeoutError, psycopg.Error)
# SQLSTATEs (PostgreSQL appendix A) that mean "the server cannot serve now".
_PG_STATES: Mapping[str, str] = {
    "57P01": "shutting_down",  # admin_shutdown: also a terminated backend
    "57P02": "shutting_down",  # crash_shutdown
    "57P03": "starting_up",  # cannot_connect_now
    "53000": "insufficient_resources",
    "53100": "disk_full",
    "53200": "out_of_memory",
    "53300": "too_many_connections",
    # a transaction aborted to break a cycle of locks, or by a conflicting one: the
    # same request sent again succeeds
    "40P01": "deadlock",
    "40001": "serialization_failure",
}
# A connection that failed before a session existed has no SQLSTATE, only words.
_PG_WORDS: tuple[tuple[str, str], ...] = (
    ("too many clients", "too_many_connections"),
    ("too many connections", "too_many_connections"),
    ("shutting down", "shutting_down"),
    ("starting up", "starting_up"),
    ("in recovery mode", "starting_up"),
    ("refused", "connection_refused"),
)
# Primary SQLite result codes (https://sqlite.org/rescode.html).
_SQLITE_CODES: Mapping[int, str] = {
    5: "busy",  # still locked after busy_timeout
    10: "io_error",
    13: "disk_full",
    14: "cannot_open",
}


def outage_reason(error: BaseException) -> str | None:
    """Why the database cannot serve now, or None when ``error`` is not an outage."""
    if isinstance(error, exc.TimeoutError):
        return "pool_exhausted"
    if isinstance(error, psycopg.Error):
        return _postgres_reason(error, invalidated=False)
    if not isinstance(error, exc.DBAPIError):
        return None
    orig = error.orig
    if isinstance(orig, sqlite3.Error):
        code = getattr(orig, "sqlite_errorcode", None)
        return _SQLITE_CODES.get(code & 0xFF) if isinstance(code, int) else None
    if isinstance(orig, psycopg.Error):
        return _postgres_reason(orig, invalidated=error.connection_invalidated)
    return "connection_lost" if error.connection_invalidated else None


def _postgres_reason(orig: psycopg.Error, *, invalidated: bool) -> str | None:
    state = orig.sqlstate or ""
    if state in _PG_STATES:
        return _PG_STATES[state]
    if state.startswith("08") or invalidated:
        return "connection_lost"
    if state or not isinstance(orig, psycopg.OperationalError):
        return None
    text = str(orig).lower()
    return next((reason for words, reason in _PG_WORDS if words in text), "unreachable")
