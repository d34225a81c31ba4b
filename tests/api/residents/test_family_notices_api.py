"""A parent's notification centre over HTTP lists their child's notifications among
their own, naming the child, and the SMS goes to the parent's phone; another account
sees none of them, and once the child is removed their new ones no longer come."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import FixedClock
from healthcode.services.notices.outbox import due
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import CapturingSender, declare, in_tx, resident_headers
from tests.api.pages import HTML, sign_in_on_pages
from tests.api.residents.test_dependants import for_child
from tests.factories.appeals import close_contact
from tests.factories.inputs import declaration_data, id_number

API = "/api/v1"
PARENT = "13800001111"


def inbox(client: TestClient, headers: dict[str, str], **extra: str) -> dict[str, Any]:
    answer = client.get(f"{API}/notifications", headers={**headers, **extra})
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def add_child(client: TestClient, me: dict[str, str]) -> str:
    """The parent declares for a child (王小宝) and confirms: the child's resident id."""
    submitted = for_child(client, me, id_number(date(2016, 5, 5)))
    confirmed = client.post(f"{API}/declarations/{submitted.json()['id']}/confirm", headers=me)
    assert confirmed.status_code == 200, confirmed.text
    [child] = client.get(f"{API}/dependants", headers=me).json()
    return str(child["resident_id"])


def sent(app: FastAPI, sessions: sessionmaker[Session]) -> list[tuple[str | None, str]]:
    """The outbox's messages due now: (phone, text)."""

    def read(uow: UnitOfWork, env: Env) -> list[tuple[str | None, str]]:
        return [(m.phone, m.text) for m in due(uow, env, limit=100)]

    found: list[tuple[str | None, str]] = in_tx(app, sessions, read)
    return found


def reddened(app: FastAPI, sessions: sessionmaker[Session], child: str) -> None:
    """A department's close-contact record turns the child's code red."""
    in_tx(app, sessions, lambda uow, env: close_contact(uow, env, uuid.UUID(child)))


def test_the_parent_is_told_of_the_childs_red_code_and_nobody_else(
    client: TestClient,
    app: FastAPI,
    sessions: sessionmaker[Session],
    sms: CapturingSender,
    clock: FixedClock,
) -> None:
    me = resident_headers(client, sms, PARENT)
    declare(client, me, declaration_data(temperature=37.8))  # the parent's own: yellow
    clock.advance(timedelta(minutes=5))
    child = add_child(client, me)
    clock.advance(timedelta(minutes=5))
    reddened(app, sessions, child)
    found = inbox(client, me)
    assert (found["total"], found["unread"]) == (3, 3)
    newest, added, own = found["items"]
    assert newest["title"].startswith("您的家人 王**")
    assert "红码" in newest["title"]
    assert newest["link"] == f"/family/{child}/codes/binzhou-code#why"
    assert newest["params"]["member"] == "王**"
    assert added["title"].startswith("您的家人 王**")
    assert "王**" not in own["title"]
    assert "黄码" in own["title"]
    [(phone, text)] = [m for m in sent(app, sessions) if "红码" in m[1]]
    assert phone == PARENT
    assert text.startswith("您的家人 王**")
    english = inbox(client, me, **{"Accept-Language": "en"})["items"][0]["title"]
    assert english.startswith("Your family member 王** — ")

    stranger = resident_headers(client, sms, "13700004444")
    assert inbox(client, stranger)["total"] == 0
    chosen = {"ids": [newest["id"]]}
    refused = client.post(f"{API}/notifications/read", json=chosen, headers=stranger)
    assert refused.json() == {"marked": 0, "unread": 0}
    marked = client.post(f"{API}/notifications/read", json=chosen, headers=me)
    assert marked.json() == {"marked": 1, "unread": 2}
    assert inbox(client, me)["items"][0]["read"] is True

    sign_in_on_pages(client, sms, PARENT)
    page = client.get("/notifications", headers=HTML)
    assert page.status_code == 200
    assert "您的家人 王**" in page.text
    assert f'href="/family/{child}/codes/binzhou-code#why"' in page.text


def test_a_removed_childs_new_change_is_not_sent_to_the_former_parent(
    client: TestClient,
    app: FastAPI,
    sessions: sessionmaker[Session],
    sms: CapturingSender,
    clock: FixedClock,
) -> None:
    me = resident_headers(client, sms, PARENT)
    child = add_child(client, me)
    before = inbox(client, me)
    assert [item["params"]["member"] for item in before["items"]] == ["王**"]  # added: green
    removed = client.delete(f"{API}/dependants/{child}", headers=me)
    assert removed.status_code == 204, removed.text
    clock.advance(timedelta(minutes=5))
    reddened(app, sessions, child)
    assert inbox(client, me) == before  # what they were told stays; nothing new
    [(phone, _)] = [m for m in sent(app, sessions) if "红码" in m[1]]
    assert phone is None
