"""The code page's one query: a session with its account and roles, the resident,
the code (unless the colour cache has it) and the signing key's window, in one round
trip outside any transaction (issue 14 §1).

It crosses contexts on purpose — accounts, residents, codes, keys — because the code
page, its token, QR and the phone's attestation are asked for far more than anything
else, and each separate read would be another round trip. It reads, never writes:
whatever needs a write (a colour due for a change) goes through a unit of work.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, select

from healthcode.store import tables as t


@dataclass(frozen=True)
class Face:
    """What a code shows of its resident."""

    id: uuid.UUID
    ref: str
    name_masked: str
    id_masked: str
    id_cipher: bytes


@dataclass(frozen=True)
class StoredCode:
    colour: str
    state: dict[str, Any]
    policy_version: str
    recheck_at: datetime | None


@dataclass(frozen=True)
class CodePage:
    session_id: uuid.UUID
    expires_at: datetime
    revoked_at: datetime | None
    account_id: uuid.UUID
    kind: str
    disabled_at: datetime | None
    roles: tuple[tuple[str, str], ...]
    resident: Face | None
    code: StoredCode | None  # None when not asked for, or the resident has none
    key_window: tuple[datetime, datetime | None, datetime | None] | None


def _query(*, with_code: bool) -> Select[Any]:
    s, a, r, res, k = t.AuthSession, t.Account, t.AccountRole, t.Resident, t.SigningKey
    columns: list[Any] = [
        s.id, s.expires_at, s.revoked_at, a.id, a.kind, a.disabled_at, r.role, r.scope,
        res.id, res.ref, res.name_masked, res.id_masked, res.id_cipher,
        k.valid_from, k.valid_until, k.retired_at,
    ]  # fmt: skip
    c = t.Code
    if with_code:
        columns += [c.colour, c.state, c.policy_version, c.recheck_at]
    query = (
        select(*columns)
        .select_from(s)
        .join(a, a.id == s.account_id)
        .outerjoin(r, r.account_id == a.id)
        .outerjoin(res, res.id == a.resident_id)
        .outerjoin(k, k.kid == bindparam("kid"))
    )
    if with_code:
        policy: Any = bindparam("policy_id")
        query = query.outerjoin(c, and_(c.resident_id == res.id, c.policy_id == policy))
    return query.where(s.token_hash == bindparam("token_hash"))


_WITH_CODE = _query(with_code=True)
_WITHOUT_CODE = _query(with_code=False)


class CodePages:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def signed_in(self, token_hash: bytes, *, kid: bytes, policy_id: str | None) -> CodePage | None:
        """The session of ``token_hash`` as the code page needs it, with the code of
        ``policy_id`` (None: the caller has the colour from the cache)."""
        query = _WITHOUT_CODE if policy_id is None else _WITH_CODE
        params = {"token_hash": token_hash, "kid": kid, "policy_id": policy_id}
        rows = self.connection.execute(query, params).all()
        if not rows:
            return None
        first = rows[0]
        resident = None if first[8] is None else Face(*first[8:13])
        code = None
        if policy_id is not None and first[16] is not None:
            code = StoredCode(*first[16:20])
        window = None if first[13] is None else (first[13], first[14], first[15])
        return CodePage(
            session_id=first[0],
            expires_at=first[1],
            revoked_at=first[2],
            account_id=first[3],
            kind=first[4],
            disabled_at=first[5],
            roles=tuple((row[6], row[7]) for row in rows if row[6] is not None),
            resident=resident,
            code=code,
            key_window=window,
        )
