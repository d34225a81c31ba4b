"""Another department looks up one ID number's colour: known clients only, logged."""

from __future__ import annotations

import threading
import time
import uuid

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import sessionmaker

from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput
from healthcode.services.shared.env import Env
from healthcode.services.shared.ratelimit import TooManyRequests
from healthcode.services.sharing.lookups import (
    NoCodeFound,
    UnknownClient,
    authenticate_client,
    key_hash,
    look_up_colour,
    revoke_lookups,
)
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.appeals import close_contact, resident
from tests.factories.inputs import id_number

KEY = "transport-key-0123456789abcdef"
PURPOSE = "高速卡口通行核验"


def client(
    uow: UnitOfWork, env: Env, key: str = KEY, *, granted: bool = True
) -> t.DepartmentClient:
    row = t.DepartmentClient(
        id=uuid.uuid4(),
        name=f"交通运输局-{key[:4]}",
        department="transport",
        kinds=["travel"],
        key_hash=key_hash(key),
        key_prefix=key[:8],
        created_at=env.clock.now(),
    )
    uow.add(row)
    if granted:
        uow.add(t.LookupGrant(client_id=row.id, granted_at=env.clock.now(), granted_by="admin"))
    uow.flush()
    return row


def id_of(uow: UnitOfWork, env: Env, resident_id: uuid.UUID) -> str:
    row = uow.residents.by_id(resident_id)
    assert row is not None
    return env.protector.decrypt(row.id_cipher, context="id_number").decode()


def lookups_logged(uow: UnitOfWork) -> list[dict[str, object]]:
    query = select(t.AuditEvent).where(t.AuditEvent.action == "lookup.colour")
    return [dict(row.detail, client=row.client) for row in uow.session.scalars(query)]


def test_a_granted_client_sees_the_colour_and_the_look_up_is_logged(
    uow: UnitOfWork, env: Env
) -> None:
    sender = client(uow, env)
    _, resident_id = resident(uow, env)
    close_contact(uow, env, resident_id)
    number = id_of(uow, env, resident_id)

    found = look_up_colour(uow, env, key=KEY, id_number=number, purpose=PURPOSE)

    assert [(c.policy_id, c.colour) for c in found.codes] == [("binzhou-code", Colour.RED)]
    assert number not in repr(found)
    [logged] = lookups_logged(uow)
    assert (logged["client"], logged["purpose"], logged["found"]) == (sender.name, PURPOSE, True)
    assert number not in str(logged)


@pytest.mark.parametrize("key", ["", "not-a-key", "revoked"])
def test_an_unknown_or_ungranted_client_is_refused(uow: UnitOfWork, env: Env, key: str) -> None:
    client(uow, env, "revoked-key-0123456789", granted=False)
    _, resident_id = resident(uow, env)
    with pytest.raises(UnknownClient):
        look_up_colour(
            uow,
            env,
            key="revoked-key-0123456789" if key == "revoked" else key,
            id_number=id_of(uow, env, resident_id),
            purpose=PURPOSE,
        )
    assert lookups_logged(uow) == []


def test_a_number_without_a_code_is_not_found_and_still_logged(uow: UnitOfWork, env: Env) -> None:
    client(uow, env)
    with pytest.raises(NoCodeFound):
        look_up_colour(uow, env, key=KEY, id_number=id_number(), purpose=PURPOSE)
    [logged] = lookups_logged(uow)
    assert logged["found"] is False


def test_a_purpose_is_required(uow: UnitOfWork, env: Env) -> None:
    client(uow, env)
    with pytest.raises(InvalidInput) as refused:
        look_up_colour(uow, env, key=KEY, id_number=id_number(), purpose="查")
    assert refused.value.errors[0].field == "purpose"


def test_look_ups_are_rate_limited_per_client(uow: UnitOfWork, env: Env) -> None:
    env.settings = env.settings.model_copy(update={"lookup_limit": "2/minute"})
    client(uow, env)
    _, resident_id = resident(uow, env)
    number = id_of(uow, env, resident_id)
    for _ in range(2):
        look_up_colour(uow, env, key=KEY, id_number=number, purpose=PURPOSE)
    with pytest.raises(TooManyRequests):
        look_up_colour(uow, env, key=KEY, id_number=number, purpose=PURPOSE)


def test_a_revocation_waits_for_the_look_ups_under_way(postgresql_engine: Engine, env: Env) -> None:
    """A look-up that was waiting (behind a resident's recolouring, say) answered after
    its grant's revocation had committed. The grant is now held for share while a
    look-up runs: the revocation waits, and no look-up answers after it."""
    units = UnitOfWorkFactory(sessionmaker(postgresql_engine, expire_on_commit=False))
    key = f"race-{uuid.uuid4().hex}"
    with units() as uow:
        name = client(uow, env, key=key).name
    try:

        def revoke() -> None:
            with units() as uow:
                revoke_lookups(uow, env, client_name=name, by="admin")

        with units() as uow:
            authenticate_client(uow, key=key)  # a look-up under way
            revoking = threading.Thread(target=revoke)
            revoking.start()
            time.sleep(0.5)
            assert revoking.is_alive(), "the revocation did not wait for the look-up"
        revoking.join(timeout=30)
        with units() as uow, pytest.raises(UnknownClient):
            authenticate_client(uow, key=key)
    finally:
        with units() as uow:
            row = uow.department_clients.by_name(name)
            assert row is not None
            uow.session.execute(delete(t.AuditEvent).where(t.AuditEvent.action == "lookup.revoked"))
            uow.session.execute(delete(t.LookupGrant).where(t.LookupGrant.client_id == row.id))
            uow.session.delete(row)
