"""An appeal nobody may decide yet, as the resident reads it: waiting for an officer to
be appointed, in their language; it said it had been sent to the office that decides
it, where nobody would see it."""

from __future__ import annotations

import re

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.api.appeals.test_appeals_api import POLICY, officer, red_resident
from tests.api.helpers import CapturingSender, staff_headers
from tests.api.pages import page_token
from tests.factories.appeals import REASON

WAITING = {
    "zh": ("等待指派处理人员", "卫生健康部门暂无可以处理此申诉的工作人员", "已转交负责审核的单位"),
    "en": (
        "Waiting for an officer to be appointed",
        "Health commission: nobody there may decide this appeal yet",
        "Sent to the office that decides it",
    ),
}


def appealed(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> tuple[dict[str, str], str]:
    headers, _ = red_resident(client, app, sessions, sms)
    [item] = client.get(f"/api/v1/codes/{POLICY}/disputable", headers=headers).json()
    sent = client.post(
        "/api/v1/appeals",
        data={"policy": POLICY, "record_id": item["id"], "reason": REASON},
        files={"evidence": ("", b"")},
        headers=headers,
    )
    assert sent.status_code == 201, sent.text
    return headers, sent.json()["id"]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_resident_reads_that_it_waits_for_someone_to_be_appointed(
    client: TestClient,
    app: FastAPI,
    sessions: sessionmaker[Session],
    sms: CapturingSender,
    language: str,
) -> None:
    headers, appeal = appealed(client, app, sessions, sms)
    step, words, untrue = WAITING[language]
    page = client.get(
        f"/appeals/{appeal}", headers=headers | {"accept": "text/html", "accept-language": language}
    )
    assert page.status_code == 200, page.text[:300]
    shown = text_of(page.text)
    assert step in shown
    assert words in shown
    assert untrue not in shown
    steps = client.get(f"/api/v1/appeals/{appeal}", headers=headers).json()["steps"]
    assert [s["step"] for s in steps] == ["submitted", "unassigned"]


def test_with_an_officer_who_may_decide_it_it_is_sent_to_the_office(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    officer(app, sessions, "health.officer", "dept:health")
    headers, appeal = appealed(client, app, sessions, sms)
    page = client.get(f"/appeals/{appeal}", headers=headers | {"accept": "text/html"})
    shown = text_of(page.text)
    assert "已转交负责审核的单位" in shown
    assert "等待指派处理人员" not in shown


def test_the_form_sent_twice_lands_on_the_appeal_that_went_in(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    """A double tap on the form (or the form sent again later) answered 409 with the
    form, as if the appeal had failed; it lands on the one appeal that went in."""
    headers, _ = red_resident(client, app, sessions, sms)
    [item] = client.get(f"/api/v1/codes/{POLICY}/disputable", headers=headers).json()
    form = {"subject": f"record:{item['id']}", "reason": REASON, "csrf_token": page_token(client)}
    landed = []
    for _ in range(2):
        sent = client.post(
            f"/codes/{POLICY}/appeal",
            data=form,
            files={"evidence": ("", b"")},
            headers=headers | {"accept": "text/html"},
            follow_redirects=False,
        )
        assert sent.status_code == 303, sent.text[sent.text.find("<main") :][:1500]
        landed.append(sent.headers["location"])
    appeal = landed[0].split("?")[0]
    assert landed == [f"{appeal}?sent=1", f"{appeal}?again=1"]
    page = client.get(landed[1], headers=headers | {"accept": "text/html"})
    assert "您已对此提出申诉，这是您的申诉" in text_of(page.text)
    assert len(client.get("/api/v1/appeals", headers=headers).json()) == 1


def test_the_officer_appointed_later_reads_the_step_of_the_resident_not_as_the_resident(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    """The officer's page showed the resident's words: "you will be told the
    decision. Until then your code stays as it is" (an outside probe)."""
    _, appeal = appealed(client, app, sessions, sms)
    officer(app, sessions, "health.later", "dept:health")
    headers = staff_headers(client, "health.later")
    page = client.get(f"/staff/appeals/{appeal}", headers=headers | {"accept": "text/html"})
    assert page.status_code == 200, page.text[:300]
    shown = text_of(page.text)
    assert (
        "卫生健康部门当时无可以处理此申诉的工作人员，已通知管理员指派；期间健康码保持不变。"
        in shown
    )
    assert "您" not in shown.split("处理进度")[-1]
