"""A session with its account and roles as columns, for any query to carry.

A gate's scan checks its caller's session in the venue's query it makes anyway
(``repositories/scanning.py:signed_in_at``), as the code page does in its own
(``repositories/code_pages.py``); the accounts' repository reads the same columns.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import String, cast, func, select

from healthcode.store import tables as t

_S, _A, _R = t.AuthSession, t.Account, t.AccountRole
# a session's id, expiry and revocation; its account's id, kind, disabling, resident
# and whether its password must be changed first
SESSION_COLUMNS = (
    _S.id,
    _S.expires_at,
    _S.revoked_at,
    _A.id,
    _A.kind,
    _A.disabled_at,
    _A.resident_id,
    _A.must_change_password,
)
SessionColumns = tuple[
    uuid.UUID, datetime, datetime | None, uuid.UUID, str, datetime | None, uuid.UUID | None, bool
]
# The account's roles as one text, for a query that reads the session beside rows of
# its own: each role and scope prefixed by its length, so that no scope, whatever it
# holds, can read as two (or as "", the whole deployment).
ROLES_TEXT = (
    select(
        func.aggregate_strings(
            cast(func.length(_R.role), String) + ":" + _R.role
            + cast(func.length(_R.scope), String) + ":" + _R.scope,
            "",
        )
    )
    .where(_R.account_id == _A.id)
    .scalar_subquery()
)  # fmt: skip


def roles_from_text(text: str | None) -> tuple[tuple[str, str], ...]:
    """``ROLES_TEXT`` read back: (role, scope) pairs."""
    parts, at = [], 0
    while text and at < len(text):
        colon = text.index(":", at)
        end = colon + 1 + int(text[at:colon])
        parts.append(text[colon + 1 : end])
        at = end
    return tuple(zip(parts[::2], parts[1::2], strict=True))
