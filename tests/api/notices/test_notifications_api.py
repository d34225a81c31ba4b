"""GET /api/v1/notifications and POST .../read: everyone reads their own, only."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.services.accounts.permissions import Role
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import CapturingSender, declare, error, resident_headers, staff_headers
from tests.factories.inputs import declaration_data
from tests.factories.organisations import authorised_issuer, organisation

API = "/api/v1/notifications"


def inbox(client: TestClient, headers: dict[str, str]) -> dict[str, Any]:
    answer = client.get(API, headers=headers)
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def other_community_issuer(app: FastAPI, sessions: sessionmaker[Session]) -> str:
    """An issuer of a community in another county (Jinan): their username."""
    uow = UnitOfWork(sessions())
    env = app.state.env
    other = organisation(uow, env, region="370102", name="泉城路社区居民委员会")
    account = uow.accounts.by_id(authorised_issuer(uow, env, other.id).account_id)
    assert account is not None
    assert account.username is not None
    uow.commit()
    uow.close()
    return account.username


class TestResident:
    def test_my_colour_change_newest_first_then_marked_read(
        self, client: TestClient, sms: CapturingSender
    ) -> None:
        me = resident_headers(client, sms)
        declare(client, me, declaration_data(temperature=37.8))
        found = inbox(client, me)
        assert found["unread"] == 1
        [item] = found["items"]
        assert item["kind"] == "colour_changed"
        assert not item["read"]
        assert item["link"] == "/codes/binzhou-code#why"
        assert "黄码" in item["title"]
        answer = client.post(f"{API}/read", json={}, headers=me)
        assert answer.json() == {"marked": 1, "unread": 0}
        assert inbox(client, me)["items"][0]["read"]

    def test_english_on_request(self, client: TestClient, sms: CapturingSender) -> None:
        me = resident_headers(client, sms)
        declare(client, me, declaration_data(temperature=37.8))
        answer = client.get(API, headers={**me, "Accept-Language": "en"})
        assert "Yellow" in answer.json()["items"][0]["title"]

    def test_signing_in_is_needed(self, client: TestClient) -> None:
        assert client.get(API).status_code == 401
        assert client.post(f"{API}/read", json={}).status_code == 401

    def test_paging_is_limit_and_offset_and_another_name_is_refused(
        self, client: TestClient, sms: CapturingSender
    ) -> None:
        """``?page=2`` or ``?per_page=1`` answered the first page in full, as if read."""
        me = resident_headers(client, sms)
        declare(client, me, declaration_data(temperature=37.8))
        paged = client.get(API, params={"limit": 1, "offset": 1}, headers=me)
        assert paged.status_code == 200, paged.text
        assert paged.json()["items"] == []
        answer = client.get(API, params={"per_page": 1, "page": 2}, headers=me)
        assert answer.status_code == 422
        assert [(f["field"], f["code"]) for f in error(answer)["fields"]] == [
            ("per_page", "extra_forbidden"),
            ("page", "extra_forbidden"),
        ]

    def test_bad_ids_are_a_field_error(self, client: TestClient, sms: CapturingSender) -> None:
        me = resident_headers(client, sms)
        answer = client.post(f"{API}/read", json={"ids": ["not-an-id"]}, headers=me)
        assert answer.status_code == 422
        assert error(answer)["code"]


class TestStaff:
    def test_only_the_issuers_of_the_applications_community_are_told(
        self,
        app: FastAPI,
        client: TestClient,
        sms: CapturingSender,
        add_staff: Any,
        sessions: sessionmaker[Session],
    ) -> None:
        add_staff("issuer01", Role.ISSUER)
        stranger = other_community_issuer(app, sessions)
        add_staff("checker01", Role.CHECKPOINT)
        resident = resident_headers(client, sms)
        declare(client, resident, declaration_data("shandong-pass"))
        ours = inbox(client, staff_headers(client, "issuer01"))
        [item] = ours["items"]
        assert item["kind"] == "applications_waiting"
        assert item["params"]["count"] == 1
        assert item["link"] == "/staff/queue"
        assert "黄河五路社区居民委员会" in item["body"]
        assert inbox(client, staff_headers(client, stranger))["items"] == []
        assert inbox(client, staff_headers(client, "checker01"))["items"] == []
        kinds = {i["kind"] for i in inbox(client, resident)["items"]}
        assert kinds == {"colour_changed"}

    def test_nobody_marks_anothers_notification_read(
        self, client: TestClient, sms: CapturingSender, add_staff: Any
    ) -> None:
        add_staff("issuer01", Role.ISSUER)
        staff = staff_headers(client, "issuer01")
        resident = resident_headers(client, sms)
        declare(client, resident, declaration_data("shandong-pass"))
        [item] = inbox(client, staff)["items"]
        answer = client.post(f"{API}/read", json={"ids": [item["id"]]}, headers=resident)
        assert answer.json()["marked"] == 0
        assert inbox(client, staff)["unread"] == 1
        answer = client.post(f"{API}/read", json={"ids": [item["id"]]}, headers=staff)
        assert answer.json() == {"marked": 1, "unread": 0}
