"""Department clients: a department's system sending records through the API.

Each has its own key, shown once when made and stored only as its SHA-256, and the
kinds it may send (never more than its department holds, ``domain.records.SENDS``).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass

from healthcode.domain.errors import Conflict, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.identity.regions import parse_region_code
from healthcode.domain.records import SENDS, Department, ImportKind
from healthcode.services.records.imports import Sender
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


def _hash(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def add_client(
    uow: UnitOfWork,
    env: Env,
    *,
    name: str,
    department: Department,
    kinds: tuple[ImportKind, ...] = (),
    region: str | None = None,
    actor_id: uuid.UUID | None = None,
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
    if uow.department_clients.by_name(name) is not None:
        raise ClientExists(N_("A client named {name} exists already"), name=name)
    key = PREFIX + secrets.token_urlsafe(32)
    row = t.DepartmentClient(
        id=uuid.uuid4(),
        name=name,
        department=department.value,
        kinds=[k.value for k in kinds],
        region=region,
        key_hash=_hash(key),
        key_prefix=key[:12],
        created_at=env.clock.now(),
        created_by=actor_id,
    )
    uow.add(row)
    audit.record(
        uow,
        env,
        actor_id=actor_id,
        action="records.client_added",
        detail={"client": name, "department": department.value},
    )
    uow.flush()
    return NewClient(row.id, name, department, kinds, key)


def client_by_key(uow: UnitOfWork, *, key: str) -> Client | None:
    """The client holding this key (None for an unknown or revoked one)."""
    row = uow.department_clients.by_key_hash(_hash(key))
    if row is None:
        return None
    return Client(
        row.id,
        row.name,
        Department(row.department),
        Sender(
            client_id=row.id,
            region=row.region,
            kinds=frozenset(ImportKind(k) for k in row.kinds),
        ),
    )


def revoke_client(
    uow: UnitOfWork, env: Env, *, name: str, actor_id: uuid.UUID | None = None
) -> bool:
    """Stop a client's key from being taken (a leaked key, a system retired): its
    requests are refused from the commit on; its batches stay. False if it was
    revoked already."""
    row = uow.department_clients.by_name(name)
    if row is None:
        raise NotFound(N_("No client is named {name}"), name=name)
    if row.revoked_at is not None:
        return False
    row.revoked_at = env.clock.now()
    audit.record(
        uow, env, actor_id=actor_id, action="records.client_revoked", detail={"client": name}
    )
    uow.flush()
    return True
