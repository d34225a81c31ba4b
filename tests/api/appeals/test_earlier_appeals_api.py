"""Appealing a record again after a rejection, over the API and on the pages, in both
languages: the resident's form names the earlier appeal, its outcome and the officer's
reason; the officer deciding the new appeal sees the earlier one, its dates and reason,
linked. Neither was shown."""

from __future__ import annotations

import html
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.api.appeals.test_appeals_api import POLICY, officer
from tests.api.appeals.test_unassigned_page import appealed, text_of
from tests.api.helpers import CapturingSender, staff_headers
from tests.factories.appeals import REASON

NOTE = "经核查该居民确在通报时段到过该场所，维持原记录"
AGAIN = "我有新的证据：当天的考勤记录显示我全天在公司，请再次核查"
SAID = {
    "zh": ("您此前已就此申诉", "已驳回", "处理人员的理由："),
    "en": ("You appealed this before", "Rejected", "The officer's reason: "),
}
OFFICER_SAID = {
    "zh": ("该居民此前就此提出的申诉", "已驳回", "居民申诉理由："),
    "en": ("The resident's earlier appeals of this", "Rejected", "The resident's reason: "),
}


def page_of(
    client: TestClient, path: str, headers: dict[str, str], language: str = "zh"
) -> tuple[str, str]:
    """The page at ``path`` in ``language``: its HTML, and its text as read."""
    page = client.get(path, headers=headers | {"accept": "text/html", "accept-language": language})
    assert page.status_code == 200, page.text[:300]
    return page.text, html.unescape(text_of(page.text))


Rejected = tuple[dict[str, str], dict[str, str], str, dict[str, Any]]


@pytest.fixture
def rejected(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> Rejected:
    """A resident's appeal of their close-contact record, rejected: the resident's and
    the officer's headers, the appeal's id, the record as the API lists it after."""
    officer(app, sessions, "health.officer", "dept:health")
    headers, first = appealed(client, app, sessions, sms)
    health = staff_headers(client, "health.officer")
    decided = client.post(
        f"/api/v1/staff/appeals/{first}/decision",
        json={"uphold": False, "note": NOTE},
        headers=health,
    )
    assert decided.status_code == 200, decided.text
    [item] = client.get(f"/api/v1/codes/{POLICY}/disputable", headers=headers).json()
    return headers, health, first, item


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_form_tells_the_resident_of_the_rejection(
    client: TestClient, rejected: Rejected, language: str
) -> None:
    headers, _, first, item = rejected
    [earlier] = item["earlier"]
    assert {k: earlier[k] for k in ("id", "status", "reason", "decision_note")} == {
        "id": first, "status": "rejected", "reason": REASON, "decision_note": NOTE,
    }  # fmt: skip
    assert earlier["decided_at"] >= earlier["submitted_at"]
    form, shown = page_of(client, f"/codes/{POLICY}/appeal", headers, language)
    for words in (*SAID[language], NOTE):
        assert words in shown
    assert f'href="/appeals/{first}"' in form
    assert 'aria-describedby="earlier-1"' in form  # read with the choice


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_officer_deciding_the_new_appeal_sees_the_earlier_one(
    client: TestClient, rejected: Rejected, language: str
) -> None:
    headers, health, first, item = rejected
    data = {"policy": POLICY, "record_id": item["id"], "reason": AGAIN}
    none = {"evidence": ("", b"")}
    again = client.post("/api/v1/appeals", data=data, files=none, headers=headers)
    assert again.status_code == 201, again.text
    second = again.json()["id"]
    seen = client.get(f"/api/v1/staff/appeals/{second}", headers=health).json()
    assert [(e["id"], e["status"], e["decision_note"]) for e in seen["earlier"]] == [
        (first, "rejected", NOTE)
    ]
    mine = client.get(f"/api/v1/appeals/{second}", headers=headers).json()
    assert [e["id"] for e in mine["earlier"]] == [first]
    page, shown = page_of(client, f"/staff/appeals/{second}", health, language)
    for words in (*OFFICER_SAID[language], NOTE, REASON, AGAIN):
        assert words in shown
    assert f'href="/staff/appeals/{first}"' in page
    assert "/decision" not in page_of(client, f"/staff/appeals/{first}", health)[0]  # decided
    assert f'href="/appeals/{first}"' in page_of(client, f"/appeals/{second}", headers)[0]
