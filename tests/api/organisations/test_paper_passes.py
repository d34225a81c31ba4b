"""Paper passes over HTTP: a person without a phone is signed at the counter, the
issuer prints the pass, the printed QR verifies at POST /verify; revoked, it is refused
and listed in the revocation list."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import FixedClock
from healthcode.services.accounts.permissions import Role
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import CapturingSender, declare, error, resident_headers, staff_headers
from tests.api.organisations.test_issuer_reach import issuer_of
from tests.factories.inputs import declaration_data, id_number
from tests.factories.organisations import organisation
from tests.factories.paper import read_paper_qr

API = "/api/v1"


def counter_signed(client: TestClient, staff: dict[str, str]) -> str:
    data = declaration_data("shandong-pass", id_number=id_number()) | {
        "id_card_checked": True,
        "colour": "green",
    }
    signed = client.post(f"{API}/counter-applications", json=data, headers=staff)
    assert signed.status_code == 200, signed.text
    application: str = signed.json()["application_id"]
    return application


def test_print_verify_revoke(client: TestClient, add_staff: Any) -> None:
    add_staff("issuer01", Role.ISSUER)
    staff = staff_headers(client, "issuer01")
    application = counter_signed(client, staff)
    printed = client.post(f"{API}/applications/{application}/paper-passes", headers=staff)
    assert printed.status_code == 200, printed.text
    assert printed.headers["content-type"] == "application/pdf"
    token = read_paper_qr(printed.content)
    verdict = client.post(f"{API}/verify", json={"token": token}).json()
    assert (verdict["valid"], verdict["may_pass"]) == (True, True)
    assert verdict["claims"]["colour_label"] == "绿色健康通行卡（通行）"  # the pass's words

    [listed] = client.get(f"{API}/applications/{application}/paper-passes", headers=staff).json()
    assert listed["revoked_at"] is None
    assert listed["id"] == printed.headers["x-paper-pass-id"]
    url = f"{API}/paper-passes/{listed['id']}/revocation"
    blank = client.post(url, json={"reason": "  "}, headers=staff)
    assert (blank.status_code, error(blank)["fields"][0]["field"]) == (422, "reason")
    # a revocation does not take a time of its own: sent, it is refused, not dropped
    backdated = {"reason": "卡片丢失", "revoked_at": "2020-02-20T08:00:00+08:00"}
    refused = client.post(url, json=backdated, headers=staff)
    assert refused.status_code == 422, refused.text
    assert [(f["field"], f["code"]) for f in error(refused)["fields"]] == [
        ("revoked_at", "extra_forbidden")
    ]
    revoked = client.post(url, json={"reason": "卡片丢失"}, headers=staff)
    assert revoked.status_code == 200, revoked.text
    assert revoked.json()["revoke_reason"] == "卡片丢失"
    again = client.post(url, json={"reason": "卡片丢失"}, headers=staff)
    assert (again.status_code, error(again)["code"]) == (409, "paper_pass_revoked")

    verdict = client.post(f"{API}/verify", json={"token": token}).json()
    assert (verdict["valid"], verdict["reason"]) == (False, "revoked")
    listed_ids = [r["token_id"] for r in client.get(f"{API}/revocations").json()]
    assert len(listed_ids) == 1
    assert listed_ids[0].upper().startswith(listed["number"])


def test_not_before_the_pass_is_signed(
    client: TestClient, add_staff: Any, sms: CapturingSender
) -> None:
    me = resident_headers(client, sms, "13800001111")
    declare(client, me, declaration_data("shandong-pass", id_number=id_number()))
    add_staff("issuer01", Role.ISSUER)
    staff = staff_headers(client, "issuer01")
    [item] = client.get(f"{API}/applications", headers=staff).json()["items"]
    refused = client.post(f"{API}/applications/{item['id']}/paper-passes", headers=staff)
    assert (refused.status_code, error(refused)["code"]) == (409, "pass_not_signed")


def test_a_checkpoint_operator_may_not_print(client: TestClient, add_staff: Any) -> None:
    add_staff("issuer01", Role.ISSUER)
    add_staff("checker01", Role.CHECKPOINT)
    application = counter_signed(client, staff_headers(client, "issuer01"))
    guard = staff_headers(client, "checker01")
    refused = client.post(f"{API}/applications/{application}/paper-passes", headers=guard)
    assert refused.status_code == 403


def test_the_card_stays_valid_with_reports_given_at_the_counter(
    client: TestClient, add_staff: Any, clock: FixedClock
) -> None:
    add_staff("issuer01", Role.ISSUER)
    add_staff("checker01", Role.CHECKPOINT)
    staff = staff_headers(client, "issuer01")
    application = counter_signed(client, staff)
    printed = client.post(f"{API}/applications/{application}/paper-passes", headers=staff)
    token = read_paper_qr(printed.content)
    url = f"{API}/applications/{application}/daily-reports"
    for _ in range(2):
        clock.advance(timedelta(days=1))
        staff = staff_headers(client, "issuer01")  # a new day, a new staff session
        reported = client.post(url, json={"temperature": 36.5}, headers=staff)
        assert (reported.status_code, reported.json()["colour"]) == (200, "green"), reported.text
    verdict = client.post(f"{API}/verify", json={"token": token}).json()
    assert (verdict["valid"], verdict["may_pass"]) == (True, True)

    again = client.post(url, json={"temperature": 36.5}, headers=staff)
    assert (again.status_code, error(again)["code"]) == (409, "already_reported_today")
    blank = client.post(url, json={}, headers=staff | {"Accept-Language": "zh"})
    assert (blank.status_code, error(blank)["fields"][0]["field"]) == (422, "temperature")
    guard = client.post(url, json={"temperature": 36.5}, headers=staff_headers(client, "checker01"))
    assert guard.status_code == 403


def test_out_of_reach_a_paper_pass_reads_as_one_that_does_not_exist(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], add_staff: Any
) -> None:
    """Another community's real pass answered "申请不存在", a made-up id "没有这张纸质
    通行卡": the answer told which ids were passes (an outside probe, stop 43)."""
    add_staff("issuer01", Role.ISSUER)
    application = counter_signed(client, staff_headers(client, "issuer01"))
    printed = client.post(
        f"{API}/applications/{application}/paper-passes", headers=staff_headers(client, "issuer01")
    )
    uow = UnitOfWork(sessions())
    other = organisation(uow, app.state.env, region="370102", name="渤海七路社区居民委员会").id
    uow.commit()
    uow.close()
    issuer_of(app, sessions, "issuer.bohai", str(other))
    theirs = staff_headers(client, "issuer.bohai")

    answers = [
        client.post(
            f"{API}/paper-passes/{pass_id}/revocation", json={"reason": "卡片丢失"}, headers=theirs
        )
        for pass_id in (printed.headers["x-paper-pass-id"], uuid.uuid4())
    ]
    assert [a.status_code for a in answers] == [404, 404]
    assert answers[0].json() == answers[1].json()
    assert error(answers[0])["message"] == "没有这张纸质通行卡"
