"""Family members' codes over HTTP: declare for a child, confirm, list, read the child's
code and a token a scanner accepts; another account's child is not found; each
refusal has its code."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import CapturingSender, declare, error, in_tx, resident_headers
from tests.factories.appeals import REASON, close_contact
from tests.factories.images import PNG
from tests.factories.inputs import declaration_data, id_number

API = "/api/v1"


def for_child(
    client: TestClient, me: dict[str, str], number: str, relationship: str = "child"
) -> Any:
    data = declaration_data(id_number=number, name="王小宝")
    return client.post(
        f"{API}/dependants/declarations",
        params={"relationship": relationship},
        json=data,
        headers=me,
    )


def test_a_parent_holds_and_shows_a_childs_code(client: TestClient, sms: CapturingSender) -> None:
    me = resident_headers(client, sms, "13800001111")
    declare(client, me, declaration_data(id_number=id_number()))
    submitted = for_child(client, me, id_number(date(2016, 5, 5)))
    assert submitted.status_code == 201, submitted.text
    confirmed = client.post(f"{API}/declarations/{submitted.json()['id']}/confirm", headers=me)
    assert confirmed.status_code == 200, confirmed.text
    [child] = client.get(f"{API}/dependants", headers=me).json()
    assert (child["name_masked"], child["relationship"]) == ("王**", "child")
    url = f"{API}/dependants/{child['resident_id']}/codes/binzhou-code"
    assert client.get(url, headers=me).json()["colour"] == "green"
    token = client.get(f"{url}/token", headers=me).json()["token"]
    verdict = client.post(f"{API}/verify", json={"token": token}).json()
    assert verdict["valid"] is True
    assert verdict["claims"]["masked_name"] == "王**"
    assert client.get(f"{API}/codes/binzhou-code", headers=me).status_code == 200  # own stays

    stranger = resident_headers(client, sms, "13700004444")
    assert client.get(url, headers=stranger).status_code == 404
    assert client.get(f"{url}/token", headers=stranger).status_code == 404
    another_child = for_child(client, stranger, id_number(date(2016, 5, 5)))
    assert another_child.status_code == 201  # their own child: fine


def test_refusals_name_their_reason(client: TestClient, sms: CapturingSender) -> None:
    me = resident_headers(client, sms, "13800001111")
    mine = id_number()
    declare(client, me, declaration_data(id_number=mine))
    own = for_child(client, me, mine)
    assert (own.status_code, error(own)["fields"][0]["code"]) == (422, "own_number")
    adult = resident_headers(client, sms, "13700004444")
    theirs = id_number()
    declare(client, adult, declaration_data(id_number=theirs))
    bound = for_child(client, me, theirs)
    assert (bound.status_code, error(bound)["code"]) == (409, "dependant_has_account")
    odd = for_child(client, me, id_number(date(2016, 5, 5)), relationship="neighbour")
    assert odd.status_code == 422


def test_a_parent_sends_a_childs_daily_report(client: TestClient, sms: CapturingSender) -> None:
    me = resident_headers(client, sms, "13800001111")
    declare(client, me, declaration_data(id_number=id_number()))
    submitted = for_child(client, me, id_number(date(2016, 5, 5)))
    client.post(f"{API}/declarations/{submitted.json()['id']}/confirm", headers=me)
    [child] = client.get(f"{API}/dependants", headers=me).json()
    reports = f"{API}/dependants/{child['resident_id']}/codes/binzhou-code/reports"
    stranger = resident_headers(client, sms, "13700004444")
    refused = client.post(reports, json={"temperature": 38.6}, headers=stranger)
    assert (refused.status_code, error(refused)["code"]) == (404, "not_found")
    fever = client.post(reports, json={"temperature": 38.6}, headers=me)
    assert fever.status_code == 200, fever.text
    assert fever.json()["colour"] != "green"  # the child's code, from the report
    assert client.get(f"{API}/codes/binzhou-code", headers=me).json()["colour"] == "green"
    bad = client.post(reports, json={"temperature": "hot"}, headers=me)
    assert (bad.status_code, error(bad)["fields"][0]["field"]) == (422, "temperature")


def test_a_parent_appeals_a_childs_colour(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    """Stop 43, an outside probe: the child's code said ``appealable: true`` and no
    route took the guardian's appeal. Another account's child: 404 on each route."""
    me = resident_headers(client, sms, "13800001111")
    submitted = for_child(client, me, id_number(date(2016, 5, 5)))
    client.post(f"{API}/declarations/{submitted.json()['id']}/confirm", headers=me)
    [child] = client.get(f"{API}/dependants", headers=me).json()
    rid = child["resident_id"]
    in_tx(app, sessions, lambda uow, env: close_contact(uow, env, uuid.UUID(rid)))
    code = client.get(f"{API}/dependants/{rid}/codes/binzhou-code", headers=me).json()
    assert (code["colour"], code["appealable"]) == ("red", True)
    disputable = f"{API}/dependants/{rid}/codes/binzhou-code/disputable"
    [item] = client.get(disputable, headers=me).json()
    assert (item["kind"], item["behind_colour"]) == ("close_contact", True)
    form = {"policy": "binzhou-code", "record_id": item["id"], "reason": REASON}
    stranger = resident_headers(client, sms, "13700004444")
    png = {"evidence": ("行程卡.png", PNG, "image/png")}
    none = {"evidence": ("", b"")}  # multipart, no file chosen
    appeals = f"{API}/dependants/{rid}/appeals"
    refused = client.post(appeals, data=form, files=none, headers=stranger)
    assert (refused.status_code, error(refused)["code"]) == (404, "not_found")
    sent = client.post(appeals, data=form, files=png, headers=me)
    assert sent.status_code == 201, sent.text
    appeal = sent.json()
    assert (appeal["status"], appeal["kind"], appeal["evidence"]) == ("open", "close_contact", True)
    again = client.post(appeals, data=form, files=none, headers=me)
    assert (again.status_code, error(again)["code"]) == (409, "already_appealed")
    [listed] = client.get(f"{API}/dependants/{rid}/appeals", headers=me).json()
    assert listed["id"] == appeal["id"]
    one = client.get(f"{API}/dependants/{rid}/appeals/{appeal['id']}", headers=me)
    assert one.json()["steps"][0]["step"] == "submitted"
    for url in (disputable, f"{API}/dependants/{rid}/appeals"):
        assert client.get(url, headers=stranger).status_code == 404
    mine = client.get(f"{API}/dependants/{rid}/appeals/{appeal['id']}", headers=stranger)
    assert mine.status_code == 404

    def actor(uow: UnitOfWork, env: Env) -> list[Any]:
        query = select(t.AuditEvent.actor_id).where(t.AuditEvent.action == "appeal.submitted")
        return list(uow.session.scalars(query))

    account = client.get(f"{API}/me", headers=me).json()["id"]
    assert in_tx(app, sessions, actor) == [uuid.UUID(account)]  # the guardian sent it


def test_a_parent_stops_holding_a_childs_code(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    """Stop 43, an outside probe: ``DELETE /dependants/{id}`` was 404 and a full
    account could never make room. The link ends; the child's record stays."""
    me = resident_headers(client, sms, "13800001111")
    submitted = for_child(client, me, id_number(date(2016, 5, 5)))
    client.post(f"{API}/declarations/{submitted.json()['id']}/confirm", headers=me)
    [child] = client.get(f"{API}/dependants", headers=me).json()
    url = f"{API}/dependants/{child['resident_id']}"
    stranger = resident_headers(client, sms, "13700004444")
    refused = client.delete(url, headers=stranger)
    assert (refused.status_code, error(refused)["code"]) == (404, "not_found")
    removed = client.delete(url, headers=me)
    assert removed.status_code == 204, removed.text
    assert client.get(f"{API}/dependants", headers=me).json() == []
    assert client.get(f"{url}/codes/binzhou-code", headers=me).status_code == 404
    assert client.delete(url, headers=me).status_code == 404

    def kept(uow: UnitOfWork, env: Env) -> tuple[bool, int]:
        found = uow.residents.by_id(uuid.UUID(child["resident_id"]))
        query = select(t.AuditEvent).where(t.AuditEvent.action == "dependant.removed")
        return found is not None, len(uow.session.scalars(query).all())

    assert in_tx(app, sessions, kept) == (True, 1)
