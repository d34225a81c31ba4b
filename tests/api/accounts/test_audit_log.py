"""The audit log read over the API by those who answer for it (audit.read)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.services.accounts import login as accounts
from healthcode.services.accounts.permissions import Role
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import PASSWORD, error, in_tx, staff_headers
from tests.factories.inputs import id_number
from tests.services.conftest import declare, new_account

API = "/api/v1/audit-events"


def world(uow: UnitOfWork, env: Env) -> dict[str, uuid.UUID]:
    """A Binzhou and a Jinan resident, each looked up by a department twice an hour
    apart, an event about no resident, and auditors of each city and of everywhere."""
    people = {}
    for name, phone, region in (
        ("binzhou", "13911110001", "371602"),
        ("jinan", "13911110002", "370102"),
    ):
        account = new_account(uow, env, phone)
        declare(uow, env, account, id_number=id_number(), region=region)
        assert account.resident_id is not None
        people[name] = account.resident_id
        for _ in range(2):
            audit.record(
                uow, env, actor_id=None, action="lookup.colour", resident_id=account.resident_id,
                detail={"purpose": "交通卡口通行核验"}, client="10.0.0.9",
            )  # fmt: skip
            env.clock.advance(timedelta(hours=1))  # type: ignore[attr-defined]
    audit.record(uow, env, actor_id=None, action="records.client_added", detail={"name": "cdc"})
    for username, scope in (
        ("audit.bz", "region:371600"),
        ("audit.jn", "region:370100"),
        ("audit.all", ""),
    ):
        accounts.create_staff(
            uow, env, username=username, password=PASSWORD, display_name="审计员",
            roles=[(Role.AUDITOR, scope)],
        )  # fmt: skip
    return people


def events(client: TestClient, headers: dict[str, str], **query: Any) -> dict[str, Any]:
    answer = client.get(API, params=query, headers=headers)
    assert answer.status_code == 200, answer.text
    page: dict[str, Any] = answer.json()
    return page


def test_an_auditor_reads_the_events_about_their_regions_residents_newest_first(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    """Stop 44, an outside probe: every look-up was logged, and nobody could read the
    log but through the database (the auditor role held a permission no route used)."""
    people = in_tx(app, sessions, world)
    binzhou = staff_headers(client, "audit.bz")
    page = events(client, binzhou, action="lookup.")
    assert [e["resident_id"] for e in page["events"]] == [str(people["binzhou"])] * 2
    first, second = page["events"]
    assert first["at"] > second["at"]
    assert first["at"].endswith("+08:00")  # Beijing time
    assert (first["id_masked"][:4], first["client"], first["detail"]["purpose"]) == (
        "3716", "10.0.0.9", "交通卡口通行核验",
    )  # fmt: skip
    assert page["next_offset"] is None
    one = events(client, binzhou, action="lookup.", limit=1)
    assert (len(one["events"]), one["next_offset"]) == (1, 1)
    everything = events(client, staff_headers(client, "audit.all"), action="lookup.")
    assert len(everything["events"]) == 4
    assert events(client, binzhou, action="records.")["events"] == []  # about no resident
    jinan = events(client, staff_headers(client, "audit.jn"), resident_id=str(people["binzhou"]))
    assert jinan["events"] == []
    with sessions() as session:  # who read it, and what they asked for, is in the log too
        reads = session.scalars(
            select(t.AuditEvent.detail)
            .join(t.Account, t.Account.id == t.AuditEvent.actor_id)
            .where(t.AuditEvent.action == "audit.read", t.Account.username == "audit.jn")
        ).all()
    assert reads == [{"resident_id": str(people["binzhou"])}]


def test_only_audit_readers_and_clear_refusals(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    in_tx(app, sessions, world)
    auditor = staff_headers(client, "audit.all")
    since = "2026-12-02T10:00:00+08:00"
    refused = client.get(API, params={"since": since, "until": since}, headers=auditor)
    assert refused.status_code == 422
    assert [f["field"] for f in error(refused)["fields"]] == ["until"]
    bad = client.get(API, params={"since": "yesterday"}, headers=auditor)
    assert bad.status_code == 422
    assert "since" in bad.text
    assert client.get(API, params={"limit": 201}, headers=auditor).status_code == 422
    assert client.get(API).status_code == 401


def test_staff_sign_ins_and_wrong_passwords_are_in_the_log(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    """Stop 45, an outside probe: sign-ins and wrong passwords were in the server's log
    only. A name typed wrong is not kept (it may be a password typed in the wrong box)."""
    in_tx(app, sessions, world)
    login = "/api/v1/auth/staff/login"
    wrong = client.post(login, json={"username": "audit.bz", "password": "not-the-password"})
    assert wrong.status_code == 401
    typo = client.post(login, json={"username": "correct horse battery", "password": "x" * 12})
    assert typo.status_code == 401
    auditor = staff_headers(client, "audit.all")
    page = events(client, auditor, action="staff.sign_in")
    seen = sorted((e["action"], e["detail"]["username"]) for e in page["events"])
    assert seen == [("staff.sign_in", "audit.all"), ("staff.sign_in.refused", "audit.bz")]
    assert "correct horse battery" not in str(page)


def test_an_auditor_asks_by_the_residents_id_number(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    """Stop 45, an outside probe: the filter took only our resident id, which no page an
    auditor reaches shows; an ID number was refused as not a UUID."""
    number = id_number()

    def with_a_known_number(uow: UnitOfWork, env: Env) -> dict[str, uuid.UUID]:
        people = world(uow, env)
        account = new_account(uow, env, "13911110003")
        declare(uow, env, account, id_number=number, region="371602")
        assert account.resident_id is not None
        audit.record(
            uow, env, actor_id=None, action="lookup.colour", resident_id=account.resident_id
        )
        return people | {"known": account.resident_id}

    people = in_tx(app, sessions, with_a_known_number)
    binzhou = staff_headers(client, "audit.bz")
    page = events(client, binzhou, action="lookup.", id_number=number)
    assert [e["resident_id"] for e in page["events"]] == [str(people["known"])]
    jinan = events(client, staff_headers(client, "audit.jn"), id_number=number)
    assert jinan["events"] == []  # out of scope: as for no one registered
    assert events(client, binzhou, id_number=id_number())["events"] == []
    wrong = client.get(API, params={"id_number": "37160219900307123"}, headers=binzhou)
    assert (wrong.status_code, error(wrong)["fields"][0]["field"]) == (422, "id_number")
    both = {"id_number": number, "resident_id": str(people["known"])}
    assert client.get(API, params=both, headers=binzhou).status_code == 422
    with sessions() as session:  # the read is logged with the number masked
        reads = session.scalars(
            select(t.AuditEvent.detail).where(t.AuditEvent.action == "audit.read")
        ).all()
    assert number not in str(reads)
    masked = number[:4] + "*" * 10 + number[-4:]
    assert {"action": "lookup.", "id_number": masked, "resident_id": str(people["known"])} in reads
