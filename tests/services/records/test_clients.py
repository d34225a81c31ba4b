"""Department clients after an outside probe (stop 44): a key is replaced in place
(`rotate_client`), a revoked client's name may be given again, every client is
listed (never its key), and each change is audit-logged with who made it."""

from __future__ import annotations

import io
from typing import Any

import pytest
from sqlalchemy import select

from healthcode.domain.colour import Colour
from healthcode.domain.errors import NotFound
from healthcode.domain.records import Department, ImportKind
from healthcode.services.records.batches import sent_by
from healthcode.services.records.clients import (
    ClientExists,
    add_client,
    client_by_key,
    list_clients,
    revoke_client,
    rotate_client,
)
from healthcode.services.records.imports import ClientRevoked, import_records
from healthcode.services.shared.env import Env
from healthcode.services.sharing.lookups import authenticate_client, grant_lookups
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import id_number
from tests.services.conftest import declare, new_account
from tests.services.records.helpers import colour_of, csv_bytes, green_resident, run_import

HEADER = ("source_id", "id_number", "start")


def events(uow: UnitOfWork, action: str) -> list[dict[str, Any]]:
    query = select(t.AuditEvent.detail).where(t.AuditEvent.action == action)
    return list(uow.session.scalars(query.order_by(t.AuditEvent.at)))


class TestRotateAKey:
    def test_the_new_key_is_the_same_client_and_the_old_one_is_refused(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        _, number = green_resident(uow, env)
        made = add_client(
            uow,
            env,
            name="binzhou-cdc",
            department=Department.HEALTH,
            kinds=(ImportKind.CLOSE_CONTACT,),
            region="371602",
        )
        grant_lookups(uow, env, client_name="binzhou-cdc", by="admin")
        before = client_by_key(uow, key=made.key)
        assert before is not None
        data = csv_bytes([HEADER, ("CC-1", number, "2020-02-22")])
        batch = run_import(uow, env, data, sender=before.sender).batch_id

        rotated = rotate_client(uow, env, name="binzhou-cdc", by="admin")

        assert rotated.key != made.key
        assert client_by_key(uow, key=made.key) is None  # refused at once
        after = client_by_key(uow, key=rotated.key)
        assert after is not None
        assert (after.id, after.name, after.department) == (made.id, "binzhou-cdc", made.department)
        assert (after.sender.region, after.sender.kinds) == (
            "371602",
            frozenset({ImportKind.CLOSE_CONTACT}),
        )
        assert sent_by(uow, after.id, batch_id=batch)[0].id == batch  # its batches stay its own
        assert authenticate_client(uow, key=rotated.key).id == made.id  # its look-up grant too
        [logged] = events(uow, "records.client_rotated")
        assert logged["client"] == "binzhou-cdc"
        assert logged["by"] == "admin"
        assert (logged["old_key"], logged["key"]) == (made.key[:12], rotated.key[:12])

    def test_an_upload_under_way_with_the_old_key_keeps_nothing(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        """A leaked key is replaced while its upload runs: as a revocation, nothing of
        it is kept (the key is read again, under a share lock, at the end)."""
        listed, number = green_resident(uow, env)
        made = add_client(uow, env, name="health-system", department=Department.HEALTH)
        found = client_by_key(uow, key=made.key)
        assert found is not None
        rotate_client(uow, env, name="health-system")
        with pytest.raises(ClientRevoked):
            import_records(
                uow,
                env,
                sender=found.sender,
                department=Department.HEALTH,
                kind=ImportKind.CLOSE_CONTACT,
                file_name="contacts.csv",
                stream=io.BytesIO(csv_bytes([HEADER, ("CC-1", number, "2020-02-22")])),
            )
        assert colour_of(uow, listed) is Colour.GREEN

    def test_a_revoked_or_unknown_client_is_refused(self, uow: UnitOfWork, env: Env) -> None:
        add_client(uow, env, name="retired", department=Department.HEALTH)
        revoke_client(uow, env, name="retired")
        with pytest.raises(ClientRevoked):
            rotate_client(uow, env, name="retired")
        with pytest.raises(NotFound):
            rotate_client(uow, env, name="nobody")


class TestARevokedClientsName:
    def test_is_given_to_a_new_client_and_the_old_ones_batches_stay(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        """The name was unique among all clients: a retired system's successor had to
        be named otherwise."""
        _, number = green_resident(uow, env)
        old = add_client(uow, env, name="binzhou-cdc", department=Department.HEALTH)
        old_client = client_by_key(uow, key=old.key)
        assert old_client is not None
        data = csv_bytes([HEADER, ("CC-1", number, "2020-02-22")])
        batch = run_import(uow, env, data, sender=old_client.sender).batch_id
        with pytest.raises(ClientExists):
            add_client(uow, env, name="binzhou-cdc", department=Department.HEALTH)
        assert revoke_client(uow, env, name="binzhou-cdc")

        new = add_client(uow, env, name="binzhou-cdc", department=Department.POLICE)

        assert new.id != old.id
        assert client_by_key(uow, key=old.key) is None
        assert sent_by(uow, old.id, batch_id=batch)[0].id == batch
        grant_lookups(uow, env, client_name="binzhou-cdc")  # the active one of the name
        assert authenticate_client(uow, key=new.key).id == new.id
        assert rotate_client(uow, env, name="binzhou-cdc").id == new.id
        assert revoke_client(uow, env, name="binzhou-cdc")
        assert not revoke_client(uow, env, name="binzhou-cdc")  # revoked already


def test_every_client_is_listed_without_its_key(uow: UnitOfWork, env: Env) -> None:
    add_client(uow, env, name="b-police", department=Department.POLICE, region="371602")
    add_client(uow, env, name="a-health", department=Department.HEALTH)
    revoke_client(uow, env, name="a-health")
    made = add_client(
        uow, env, name="a-health", department=Department.HEALTH, kinds=(ImportKind.CONFIRMED,)
    )
    grant_lookups(uow, env, client_name="b-police")

    listed = list_clients(uow)

    assert [(c.name, c.revoked_at is None, c.lookups) for c in listed] == [
        ("a-health", True, False),
        ("a-health", False, False),
        ("b-police", True, True),
    ]
    assert (listed[0].department, listed[0].kinds, listed[0].region) == (
        "health",
        ("confirmed",),
        None,
    )
    assert listed[2].region == "371602"
    assert listed[0].created_at == env.clock.now()
    assert made.key[:12] not in repr(listed)  # nor the key's first characters


def test_adding_and_revoking_say_who_did_it_and_what(uow: UnitOfWork, env: Env) -> None:
    """``client_added`` named neither who made the client nor its kinds and region;
    ``client_revoked`` not who revoked it."""
    add_client(
        uow,
        env,
        name="binzhou-cdc",
        department=Department.HEALTH,
        kinds=(ImportKind.CLOSE_CONTACT, ImportKind.CONFIRMED),
        region="371602",
        by="zhang",
    )
    revoke_client(uow, env, name="binzhou-cdc", by="li")
    [added] = events(uow, "records.client_added")
    assert added == {
        "client": "binzhou-cdc",
        "department": "health",
        "kinds": ["close_contact", "confirmed"],
        "region": "371602",
        "by": "zhang",
    }
    assert events(uow, "records.client_revoked") == [{"client": "binzhou-cdc", "by": "li"}]


class TestARegionsClient:
    def test_names_only_its_regions_residents(self, uow: UnitOfWork, env: Env) -> None:
        """Stop 44, an outside probe: Binzhou's client turned a Jinan resident red, in a
        batch Jinan's operators could neither see nor roll back. A client registered for
        a region names that region's residents; another's row reads as no resident of
        its region (it does not learn that the person is registered elsewhere)."""
        binzhou, here = green_resident(uow, env)  # 371602
        jinan_account = new_account(uow, env, "13911112222")
        there = id_number()
        declare(uow, env, jinan_account, id_number=there, region="370102")
        made = add_client(
            uow, env, name="binzhou-cdc", department=Department.HEALTH,
            kinds=(ImportKind.CLOSE_CONTACT,), region="371600",
        )  # fmt: skip
        sender = client_by_key(uow, key=made.key)
        assert sender is not None
        data = csv_bytes([HEADER, ("CC-1", here, "2020-02-22"), ("CC-2", there, "2020-02-22")])
        report = run_import(uow, env, data, sender=sender.sender)
        assert (report.added, report.unmatched) == (1, 1)
        [refused] = report.refusals
        assert (refused.line, refused.field, refused.code) == (3, "id_number", "no_resident")
        assert refused.params == {"region": "371600"}
        assert (colour_of(uow, binzhou), colour_of(uow, jinan_account)) == (
            Colour.RED,
            Colour.GREEN,
        )
