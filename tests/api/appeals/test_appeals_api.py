"""Appeals and the colour look-up over HTTP: the whole path a department's systems
and a resident's app take, on both databases."""

from __future__ import annotations

import uuid

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.services.accounts.permissions import Role
from healthcode.services.shared.env import Env
from healthcode.services.sharing.lookups import key_hash
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import (
    CapturingSender,
    bearer,
    declare,
    error,
    in_tx,
    resident_headers,
    staff_headers,
)
from tests.factories.appeals import PASSWORD, REASON, close_contact
from tests.factories.images import PNG
from tests.factories.inputs import declaration_data, id_number

POLICY = "binzhou-code"
KEY = "police-key-0123456789abcdef"


def red_resident(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> tuple[dict[str, str], str]:
    """A green resident the health commission lists as a close contact: headers, number."""
    headers = resident_headers(client, sms)
    number = id_number()
    declare(client, headers, declaration_data(POLICY, id_number=number))

    def listed(uow: UnitOfWork, env: Env) -> None:
        found = uow.residents.by_id_hash(env.protector.keyed_hash(number, kind="id_number"))
        assert found is not None
        close_contact(uow, env, found.id)

    in_tx(app, sessions, listed)
    return headers, number


def officer(app: FastAPI, sessions: sessionmaker[Session], username: str, scope: str) -> None:
    from healthcode.services.accounts import login as accounts

    in_tx(
        app,
        sessions,
        lambda uow, env: accounts.create_staff(
            uow,
            env,
            username=username,
            password=PASSWORD,
            display_name="数据专员",
            roles=[(Role.DATA_OPERATOR, scope)],
        ),
    )


def test_appeal_upheld_over_the_api(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    headers, _ = red_resident(client, app, sessions, sms)
    assert client.get(f"/api/v1/codes/{POLICY}", headers=headers).json()["appealable"] is True
    [item] = client.get(f"/api/v1/codes/{POLICY}/disputable", headers=headers).json()
    assert (item["kind"], item["source"], item["behind_colour"]) == (
        "close_contact",
        "health",
        True,
    )

    sent = client.post(
        "/api/v1/appeals",
        data={"policy": POLICY, "record_id": item["id"], "reason": REASON},
        files={"evidence": ("行程卡.png", PNG, "image/png")},
        headers=headers,
    )
    assert sent.status_code == 201, sent.text
    appeal = sent.json()
    assert (appeal["status"], appeal["evidence"]) == ("open", True)

    officer(app, sessions, "health.officer", "dept:health")
    officer(app, sessions, "police.officer", "dept:police")
    police = staff_headers(client, "police.officer")
    assert client.get("/api/v1/staff/appeals", headers=police).json() == []
    refused = client.post(
        f"/api/v1/staff/appeals/{appeal['id']}/decision",
        json={"uphold": True, "note": "经核查撤销密接记录，恢复原码"},
        headers=police,
    )
    assert refused.status_code == 404

    health = staff_headers(client, "health.officer")
    decided = client.post(
        f"/api/v1/staff/appeals/{appeal['id']}/decision",
        json={"uphold": True, "note": "经核查撤销密接记录，恢复原码"},
        headers=health,
    )
    assert decided.status_code == 200, decided.text
    assert [s["step"] for s in decided.json()["steps"]][-2:] == ["upheld", "restored"]
    code = client.get(f"/api/v1/codes/{POLICY}", headers=headers).json()
    assert code["colour"] == "green"
    mine = client.get(f"/api/v1/appeals/{appeal['id']}", headers=headers).json()
    assert mine["steps"][-1]["colour"] == "green"


def test_the_evidence_must_be_an_image_or_pdf(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    headers, _ = red_resident(client, app, sessions, sms)
    [item] = client.get(f"/api/v1/codes/{POLICY}/disputable", headers=headers).json()
    sent = client.post(
        "/api/v1/appeals",
        data={"policy": POLICY, "record_id": item["id"], "reason": REASON},
        files={"evidence": ("a.png", b"<svg onload=alert(1)>", "image/png")},
        headers=headers,
    )
    assert sent.status_code == 422
    assert [(f["field"], f["code"]) for f in error(sent)["fields"]] == [("evidence", "wrong_type")]


@pytest.mark.parametrize(("language", "said"), [("zh", "未知字段"), ("en", "Unknown field")])
def test_an_unknown_form_field_is_refused_not_dropped(
    client: TestClient,
    app: FastAPI,
    sessions: sessionmaker[Session],
    sms: CapturingSender,
    language: str,
    said: str,
) -> None:
    """A misspelt or invented field was dropped without a word: the appeal was made as
    if it had not been sent."""
    headers, _ = red_resident(client, app, sessions, sms)
    [item] = client.get(f"/api/v1/codes/{POLICY}/disputable", headers=headers).json()
    sent = client.post(
        "/api/v1/appeals",
        data={
            "policy": POLICY,
            "record_id": item["id"],
            "reason": REASON,
            "evidence_note": "行程卡截图",
            "credit_id": str(uuid.uuid4()),
        },
        files={"evidence": ("行程卡.png", PNG, "image/png")},
        headers=headers | {"accept-language": language},
    )
    assert sent.status_code == 422, sent.text
    assert [(f["field"], f["code"], f["message"]) for f in error(sent)["fields"]] == [
        ("evidence_note", "extra_forbidden", said),
        ("credit_id", "extra_forbidden", said),
    ]
    assert client.get("/api/v1/appeals", headers=headers).json() == []


def test_the_appeal_says_when_its_record_no_longer_counts(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    """The page said the department's rollback had withdrawn the record; the JSON
    view (the resident's app, the officer's) had no word of it."""
    headers, _ = red_resident(client, app, sessions, sms)
    [item] = client.get(f"/api/v1/codes/{POLICY}/disputable", headers=headers).json()
    sent = client.post(
        "/api/v1/appeals",
        data={"policy": POLICY, "record_id": item["id"], "reason": REASON},
        files={"evidence": ("", b"")},
        headers=headers,
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["record_withdrawn"] is False
    officer(app, sessions, "health.officer", "dept:health")
    staff = staff_headers(client, "health.officer")
    shown = f"/api/v1/staff/appeals/{sent.json()['id']}"
    assert client.get(shown, headers=staff).json()["record_withdrawn"] is False

    def rolled_back(uow: UnitOfWork, env: Env) -> None:
        record = uow.appeals.record(uuid.UUID(item["id"]))
        assert record is not None
        record.withdrawn_at, record.withdrawn_reason = env.clock.now(), "batch rolled back"

    in_tx(app, sessions, rolled_back)
    mine = client.get(f"/api/v1/appeals/{sent.json()['id']}", headers=headers).json()
    assert (mine["status"], mine["record_withdrawn"]) == ("open", True)
    assert client.get(shown, headers=staff).json()["record_withdrawn"] is True
    [listed] = client.get("/api/v1/appeals", headers=headers).json()
    assert listed["record_withdrawn"] is True


def test_an_account_that_has_not_declared_is_told_to_declare_first(
    client: TestClient, sms: CapturingSender
) -> None:
    """Its appeal pages and endpoints were a 500 (an assertion), not an answer."""
    headers = resident_headers(client, sms)
    for answer in (
        client.get("/api/v1/appeals", headers=headers),
        client.get("/api/v1/codes/binzhou-code/disputable", headers=headers),
        client.post(
            "/api/v1/appeals",
            headers=headers,
            data={
                "policy": "binzhou-code",
                "credit_record_id": str(uuid.uuid4()),
                "reason": REASON,
            },
            files={"evidence": ("", b"")},
        ),
        client.get("/codes/binzhou-code/appeal", headers={**headers, "accept": "text/html"}),
    ):
        assert (answer.status_code, answer.headers["content-type"][:9]) in {
            (409, "applicati"),
            (409, "text/html"),
        }, answer.text
        if answer.headers["content-type"].startswith("application/json"):
            assert error(answer)["code"] == "declare_first"


def test_a_plain_form_is_told_to_send_the_form_with_its_file(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    """An appeal sent as a plain form was told to send JSON, which the endpoint does
    not take either (found by probing the API from outside)."""
    headers, _ = red_resident(client, app, sessions, sms)
    [item] = client.get(f"/api/v1/codes/{POLICY}/disputable", headers=headers).json()
    sent = client.post(
        "/api/v1/appeals",
        data={"policy": POLICY, "record_id": item["id"], "reason": REASON},
        headers=headers,
    )
    assert (sent.status_code, error(sent)["code"]) == (415, "unsupported_media_type")
    assert "multipart/form-data" in error(sent)["message"]
    as_json = {"policy": POLICY, "record_id": item["id"], "reason": REASON}
    sent = client.post("/api/v1/appeals", json=as_json, headers=headers)  # stop 43: 422
    assert (sent.status_code, error(sent)["code"]) == (415, "unsupported_media_type")
    assert "multipart/form-data" in error(sent)["message"]


def grant_client(app: FastAPI, sessions: sessionmaker[Session]) -> None:
    def made(uow: UnitOfWork, env: Env) -> None:
        row = t.DepartmentClient(
            id=uuid.uuid4(),
            name="市公安局卡口系统",
            department="police",
            kinds=["travel"],
            key_hash=key_hash(KEY),
            key_prefix=KEY[:8],
            created_at=env.clock.now(),
        )
        uow.add(row)
        uow.add(t.LookupGrant(client_id=row.id, granted_at=env.clock.now(), granted_by="admin"))

    in_tx(app, sessions, made)


def test_the_look_up_refuses_an_unknown_client_and_logs_each_look_up(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    _, number = red_resident(client, app, sessions, sms)
    grant_client(app, sessions)
    body = {"id_number": number, "purpose": "卡口通行核验"}

    unknown = client.post(
        "/api/v1/sharing/colour-lookups", json=body, headers={"X-Api-Key": "guess"}
    )
    assert (unknown.status_code, error(unknown)["code"]) == (401, "unknown_client")
    none = client.post("/api/v1/sharing/colour-lookups", json=body)
    assert none.status_code == 401
    as_bearer = client.post("/api/v1/sharing/colour-lookups", json=body, headers=bearer(KEY))
    assert as_bearer.status_code == 401  # the key goes in X-Api-Key, as for imports

    found = client.post("/api/v1/sharing/colour-lookups", json=body, headers={"X-Api-Key": KEY})
    assert found.status_code == 200, found.text
    assert [(c["policy"], c["colour"]) for c in found.json()["codes"]] == [(POLICY, "red")]
    assert number not in found.text

    def logged(uow: UnitOfWork, _env: Env) -> list[tuple[str, str]]:
        query = select(t.AuditEvent).where(t.AuditEvent.action == "lookup.colour")
        return [(e.client, e.detail["purpose"]) for e in uow.session.scalars(query)]

    assert in_tx(app, sessions, logged) == [("市公安局卡口系统", "卡口通行核验")]
