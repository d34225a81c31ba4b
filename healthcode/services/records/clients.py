"""Department clients: a department's system sending records through the API.

Each has its own key, shown once when made or replaced and stored only as its
SHA-256, and the kinds it may send (never more than its department holds,
``domain.records.SENDS``). A key is replaced in place (``rotate_client``), so the
client keeps its name, kinds, region, look-up grant and batches. A name is unique
among the active clients: a revoked client's may be given to a new one. Every change
is audit-logged with who made it: an account, or the command line's OS user (``by``).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from healthcode.domain.errors import Conflict, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.identity.regions import parse_region_code
from healthcode.domain.records import SENDS, Department, ImportKind
from healthcode.domain.scope import region_prefix
from healthcode.services.records.imports import ClientRevoked, Sender
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

PREFIX = "hcd_"


class ClientExists(Conflict):
    code = "client_exists"


@dataclass(frozen=True)
class NewClient:
    id: uuid.UUID
    name: str
    department: Department
    kinds: tuple[ImportKind, ...]
    key: str  # shown once


@dataclass(frozen=True)
class Client:
    id: uuid.UUID
    name: str
    department: Department
    sender: Sender


@dataclass(frozen=True)
class ClientSummary:
    """A client as ``healthcode data clients list`` shows it: never its key."""

    name: str
    department: str
    kinds: tuple[str, ...]
    region: str | None
    created_at: datetime
    revoked_at: datetime | None
    lookups: bool  # holds a look-up grant (docs/data-sharing.md)


def _hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def _new_key() -> tuple[str, dict[str, object]]:
    """A fresh key, and the columns that keep it: its SHA-256 and the first characters
    shown to tell keys apart (never the key)."""
    key = PREFIX + secrets.token_urlsafe(32)
    return key, {"key_hash": _hash(key), "key_prefix": key[:12]}


def add_client(
    uow: UnitOfWork,
    env: Env,
    *,
    name: str,
    department: Department,
    kinds: tuple[ImportKind, ...] = (),
    region: str | None = None,
    actor_id: uuid.UUID | None = None,
    by: str = "",
) -> NewClient:
    """A new department client; no kinds given = all its department holds."""
    allowed = SENDS[department]
    kinds = kinds or tuple(sorted(allowed))
    wrong = [k.value for k in kinds if k not in allowed]
    if wrong:
        raise InvalidInput.single(
            "kinds",
            "kind_not_allowed",
            N_("{department} does not hold {kinds}"),
            department=department.value,
            kinds=", ".join(wrong),
        )
    if region is not None:  # its batches are listed to the operators of this region
        region = parse_region_code(region).code
    found = uow.department_clients.by_name(name)
    if found is not None and found.revoked_at is None:
        raise ClientExists(N_("A client named {name} exists already"), name=name)
    key, kept = _new_key()
    row = t.DepartmentClient(
        id=uuid.uuid4(),
        name=name,
        department=department.value,
        kinds=[k.value for k in kinds],
        region=region,
        created_at=env.clock.now(),
        created_by=actor_id,
        **kept,
    )
    uow.add(row)
    detail = {"department": department.value, "kinds": row.kinds, "region": region}
    _audit(uow, env, "records.client_added", row, actor_id, by, **detail)
    uow.flush()
    return NewClient(row.id, name, department, kinds, key)


def rotate_client(
    uow: UnitOfWork, env: Env, *, name: str, actor_id: uuid.UUID | None = None, by: str = ""
) -> NewClient:
    """A new key for an active client (a key leaked, or due for renewal): the old one
    is refused from the commit on, an upload already running with it keeps nothing
    (``imports.import_records`` reads the key again), and the client stays itself:
    its name, kinds, region, look-up grant and batches."""
    row = uow.department_clients.by_name(name, lock=True)
    if row is None:
        raise NotFound(N_("No client is named {name}"), name=name)
    if row.revoked_at is not None:
        raise ClientRevoked(
            N_("The client {name} is revoked: add a new client under its name instead"),
            name=name,
        )
    old = row.key_prefix
    key, kept = _new_key()
    for column, value in kept.items():
        setattr(row, column, value)
    _audit(uow, env, "records.client_rotated", row, actor_id, by, old_key=old, key=row.key_prefix)
    uow.flush()
    kinds = tuple(ImportKind(k) for k in row.kinds)
    return NewClient(row.id, row.name, Department(row.department), kinds, key)


def client_by_key(uow: UnitOfWork, *, key: str) -> Client | None:
    """The client holding this key (None for an unknown, replaced or revoked one)."""
    key_hash = _hash(key)
    row = uow.department_clients.by_key_hash(key_hash)
    if row is None:
        return None
    return Client(
        row.id,
        row.name,
        Department(row.department),
        Sender(
            client_id=row.id,
            region=row.region,
            reach=region_prefix(row.region) if row.region else None,
            kinds=frozenset(ImportKind(k) for k in row.kinds),
            key_hash=key_hash,
            client_name=row.name,
        ),
    )


def revoke_client(
    uow: UnitOfWork,
    env: Env,
    *,
    name: str,
    actor_id: uuid.UUID | None = None,
    by: str = "",
) -> bool:
    """Stop a client's key from being taken (a leaked key, a system retired): its
    requests are refused from the commit on; its batches stay. False if it was
    revoked already."""
    row = uow.department_clients.by_name(name, lock=True)
    if row is None:
        raise NotFound(N_("No client is named {name}"), name=name)
    if row.revoked_at is not None:
        return False
    row.revoked_at = env.clock.now()
    _audit(uow, env, "records.client_revoked", row, actor_id, by)
    uow.flush()
    return True


def list_clients(uow: UnitOfWork) -> list[ClientSummary]:
    """Every client, revoked ones too, by name (the active one of a name first)."""
    return [
        ClientSummary(
            row.name,
            row.department,
            tuple(row.kinds),
            row.region,
            row.created_at,
            row.revoked_at,
            lookups,
        )
        for row, lookups in uow.department_clients.listed()
    ]


def _audit(
    uow: UnitOfWork,
    env: Env,
    action: str,
    row: t.DepartmentClient,
    actor_id: uuid.UUID | None,
    by: str,
    **detail: object,
) -> None:
    """A change to a client, with who made it: ``actor_id`` (an account) or ``by``
    (the command line's OS user)."""
    audit.record(
        uow,
        env,
        actor_id=actor_id,
        action=action,
        detail={"client": row.name, **detail, "by": by},
        client=row.name,
    )
