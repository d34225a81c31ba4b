"""Fraud cases over HTTP on both databases: the queue and its filters, a case with
its evidence, officer A's proposal, officer A refused as the approver (with the
reason), officer B's approval turning the code red, out of scope 404; and, on
PostgreSQL with a live server, two officers approving at once: one transition wins."""

from __future__ import annotations

import threading
import uuid

import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.fraud import Cause
from healthcode.http.security import SESSION_COOKIE
from healthcode.services.fraud.cases import add_evidence, case_for
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.api.helpers import (
    PASSWORD,
    CapturingSender,
    declare,
    error,
    in_tx,
    resident_headers,
    staff_headers,
)
from tests.api.live_db import pg_engine, serve, sign_in
from tests.api.pages import HTML, page_token
from tests.conftest import PG_URL
from tests.factories.inputs import declaration_data, id_number
from tests.factories.roster import region_admin
from tests.web.live import LiveServer

API = "/api/v1/staff/fraud-cases"
REASON = "两处卡口相隔110公里，间隔4分钟，核实为他人冒用"


def officer(uow: UnitOfWork, env: Env, username: str, region: str = "371602") -> None:
    region_admin(uow, env, region, username=username)


def open_case(uow: UnitOfWork, env: Env, number: str) -> uuid.UUID:
    """A distance-flag case of the resident with this ID number (its scan is tested in
    the services' tests; here the case is what matters)."""
    found = uow.residents.by_id_hash(env.protector.keyed_hash(number, kind="id_number"))
    assert found is not None
    case = case_for(uow, env, found.id, Cause.DISTANT_VENUES)
    add_evidence(
        uow, env, case, "declaration", uow.declarations.confirmed(found.id, "binzhou-code")[0].id
    )
    return case.id


def test_two_officers_confirm_and_the_code_turns_red(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    me = resident_headers(client, sms)
    number = id_number()
    assert declare(client, me, declaration_data(id_number=number))["colour"] == "green"

    def world(uow: UnitOfWork, env: Env) -> uuid.UUID:
        for name in ("fraud.a", "fraud.b"):
            officer(uow, env, name)
        officer(uow, env, "fraud.jinan", "370102")
        return open_case(uow, env, number)

    case = in_tx(app, sessions, world)
    a, b, stranger = (staff_headers(client, n) for n in ("fraud.a", "fraud.b", "fraud.jinan"))

    listed = client.get(API, headers=a, params={"status": "open", "source": "duplicate_token"})
    assert [c["id"] for c in listed.json()] == [str(case)]
    assert client.get(API, headers=a, params={"source": "contradiction"}).json() == []
    # a filter that takes a list may be given twice (only one that takes one value may not)
    both = client.get(f"{API}?source=contradiction&source=duplicate_token", headers=a)
    assert [c["id"] for c in both.json()] == [str(case)]
    shown = client.get(f"{API}/{case}", headers=a).json()
    assert (shown["cause"], shown["resident"][:1]) == ("distant_venues", "张")
    assert [e["kind"] for e in shown["evidence"]] == ["declaration"]

    short = client.post(
        f"{API}/{case}/proposal", headers=a, json={"outcome": "confirm", "reason": "冒用"}
    )
    assert (short.status_code, error(short)["fields"][0]["field"]) == (422, "reason")
    body = {"outcome": "confirm", "reason": REASON}
    assert (
        client.post(f"{API}/{case}/proposal", headers=a, json=body).json()["status"] == "proposed"
    )
    own = client.post(f"{API}/{case}/decision", headers=a, json={"approve": True})
    assert (own.status_code, error(own)["code"]) == (403, "own_proposal")
    assert (
        error(own)["message"] == "此项由您本人提出，须由另一名工作人员决定"
    )  # the reason, in Chinese

    for call in (
        client.get(f"{API}/{case}", headers=stranger),
        client.post(f"{API}/{case}/proposal", headers=stranger, json=body),
        client.post(f"{API}/{case}/decision", headers=stranger, json={"approve": True}),
    ):
        assert call.status_code == 404, call.text
    assert client.get(API, headers=stranger).json() == []
    assert client.get(API, headers=me).status_code in (401, 403)  # a resident: not staff

    done = client.post(f"{API}/{case}/decision", headers=b, json={"approve": True})
    assert done.status_code == 200, done.text
    assert (done.json()["status"], done.json()["credit_kind"]) == (
        "confirmed",
        "another_persons_code",
    )
    again = client.post(f"{API}/{case}/decision", headers=b, json={"approve": True})
    assert (again.status_code, error(again)["code"]) == (409, "case_decided")
    code = client.get("/api/v1/codes/binzhou-code", headers=me).json()
    assert code["colour"] == "red"
    assert code["reasons"][0]["rule_id"] == "BZ-RED-FRAUD"
    # the finding is what the resident may appeal, as the rule's next step tells them
    assert code["appealable"] is True
    [finding] = client.get("/api/v1/codes/binzhou-code/disputable", headers=me).json()
    assert (finding["subject"], finding["kind"]) == ("credit", "another_persons_code")
    sent = client.post(
        "/api/v1/appeals",
        headers=me,
        data={"policy": "binzhou-code", "credit_record_id": finding["id"], "reason": "不是本人"},
        files={"evidence": ("", b"")},  # multipart, no file chosen
    )
    assert (sent.status_code, error(sent)["fields"][0]["field"]) == (422, "reason")
    sent = client.post(
        "/api/v1/appeals",
        headers=me,
        data={
            "policy": "binzhou-code",
            "credit_record_id": finding["id"],
            "reason": "两次扫码时我都在家，卡口时钟有误，请调取录像核实",
        },
        files={"evidence": ("", b"")},
    )
    assert sent.status_code == 201, sent.text
    assert sent.json()["subject"] == "credit"


def test_the_queue_page_refuses_a_filter_it_does_not_offer(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    """``?status=approved`` showed every case under the heading of the filter asked for."""
    in_tx(app, sessions, lambda uow, env: officer(uow, env, "fraud.page"))
    me = staff_headers(client, "fraud.page")
    client.cookies.set(SESSION_COOKIE, me["Authorization"].removeprefix("Bearer "))
    refused = client.get("/staff/fraud?status=approved&source=gate", headers=HTML)
    assert refused.status_code == 422
    assert refused.text.count("请从给出的选项中选择") == 2
    assert client.get("/staff/fraud?status=open&source=", headers=HTML).status_code == 200


def test_the_proposal_form_names_both_wrong_answers_at_once(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    """No outcome chosen and a reason too short: the form named only the outcome, and
    the officer sent it twice to learn of the reason."""
    me = resident_headers(client, sms)
    number = id_number()
    declare(client, me, declaration_data(id_number=number))

    def world(uow: UnitOfWork, env: Env) -> uuid.UUID:
        officer(uow, env, "fraud.form")
        return open_case(uow, env, number)

    case = in_tx(app, sessions, world)
    a = staff_headers(client, "fraud.form")
    client.cookies.set(SESSION_COOKIE, a["Authorization"].removeprefix("Bearer "))
    token = page_token(client, f"/staff/fraud/{case}")
    sent = client.post(
        f"/staff/fraud/{case}/proposal", data={"reason": "冒用", "csrf_token": token}, headers=HTML
    )
    assert sent.status_code == 422
    assert "请选择认定或驳回" in sent.text
    assert "请填写理由，至少 10 个字" in sent.text


def test_two_officers_approving_at_once_one_wins(pg_schema: str, served: list[LiveServer]) -> None:
    engine = pg_engine(PG_URL, pg_schema)
    server, client = serve(engine, served)
    units = UnitOfWorkFactory(sessionmaker(engine, expire_on_commit=False))
    env: Env = server.app.state.env
    number = id_number()
    me = sign_in(client, server)
    sent = client.post("/api/v1/declarations", json=declaration_data(id_number=number), headers=me)
    client.post(f"/api/v1/declarations/{sent.json()['id']}/confirm", headers=me).raise_for_status()
    with units() as uow:
        for name in ("race.a", "race.b", "race.c"):
            officer(uow, env, name)
        case = open_case(uow, env, number)
    heads = {}
    for name in ("race.a", "race.b", "race.c"):
        answer = client.post(
            "/api/v1/auth/staff/login", json={"username": name, "password": PASSWORD}
        )
        heads[name] = {"Authorization": f"Bearer {answer.json()['token']}"}
    body = {"outcome": "confirm", "reason": REASON}
    assert client.post(f"{API}/{case}/proposal", headers=heads["race.a"], json=body).is_success
    start, answers = threading.Barrier(2), []

    def approve(name: str) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as own:
            start.wait()
            answers.append(
                own.post(f"{API}/{case}/decision", headers=heads[name], json={"approve": True})
            )

    threads = [threading.Thread(target=approve, args=(n,)) for n in ("race.b", "race.c")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    codes = sorted((r.status_code, r.json().get("error", {}).get("code", "")) for r in answers)
    assert codes == [(200, ""), (409, "case_decided")], codes
    with engine.connect() as conn:
        credits = conn.scalar(select(func.count()).select_from(t.CreditRecord))
        confirmed = conn.scalar(
            select(func.count())
            .select_from(t.AuditEvent)
            .where(t.AuditEvent.action == "fraud.confirmed")
        )
    assert (credits, confirmed) == (1, 1)
    engine.dispose()
