"""The issuer's queue over HTTP reaches what they may sign: their organisations, never
a whole region; a suspended organisation's queue and applications are refused by name
(409 organisation_suspended) until it is reactivated."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.services.accounts import login
from healthcode.services.accounts.permissions import Role
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import PASSWORD, CapturingSender, error, staff_headers
from tests.api.organisations.test_issuer import apply, issuer

API = "/api/v1"


def staff_with(
    app: FastAPI, sessions: sessionmaker[Session], username: str, role: Role, scope: str
) -> None:
    """A staff account holding ``role`` for ``scope`` as given (no authorisation)."""
    uow = UnitOfWork(sessions())
    login.create_staff(
        uow, app.state.env, username=username, password=PASSWORD, display_name="王 审核",
        roles=[(role, scope)],
    )  # fmt: skip
    uow.commit()
    uow.close()


def test_a_regional_issuer_is_told_nothing_is_theirs(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender,
    add_staff: Any,
) -> None:  # fmt: skip
    apply(client, sms)
    [item] = client.get(f"{API}/applications", headers=issuer(client, add_staff)).json()["items"]
    staff_with(app, sessions, "issuer.county", Role.ISSUER, "region:371602")
    county = staff_headers(client, "issuer.county")

    queue = client.get(f"{API}/applications", headers=county).json()
    assert (queue["total"], queue["items"], queue["summary"]["total"]) == (0, [], 0)
    assert queue["summary"]["organisations"] == []
    assert client.get(f"{API}/applications/{item['id']}", headers=county).status_code == 404
    signed = client.post(
        f"{API}/applications/{item['id']}/signature", json={"colour": "green"}, headers=county
    )
    assert signed.status_code == 404


def test_a_suspended_organisations_issuer_is_refused_until_it_is_reactivated(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender,
    add_staff: Any, community: uuid.UUID,
) -> None:  # fmt: skip
    apply(client, sms)
    mine = issuer(client, add_staff)
    queue = client.get(f"{API}/applications", headers=mine).json()
    assert [o["id"] for o in queue["summary"]["organisations"]] == [str(community)]
    [item] = queue["items"]
    staff_with(app, sessions, "admin.county", Role.ADMIN, "region:371602")
    admin = staff_headers(client, "admin.county")
    suspended = client.post(
        f"{API}/organisations/{community}/suspension", json={"reason": "整改"}, headers=admin
    )
    assert suspended.status_code == 200, suspended.text

    for refused in (
        client.get(f"{API}/applications", headers=mine),
        client.get(f"{API}/applications/{item['id']}", headers=mine),
        client.post(
            f"{API}/applications/{item['id']}/signature", json={"colour": "green"}, headers=mine
        ),
    ):
        assert (refused.status_code, error(refused)["code"]) == (409, "organisation_suspended")
        assert error(refused)["message"] == (
            "本单位（黄河五路社区居民委员会）已被暂停，暂不能审核签发通行卡申请"
        )
    english = client.get(f"{API}/applications", headers=mine | {"accept-language": "en"})
    assert error(english)["message"] == (
        "Your organisation (黄河五路社区居民委员会) is suspended: its pass applications cannot "
        "be reviewed or signed until it is reactivated"
    )

    back = client.post(f"{API}/organisations/{community}/reactivation", headers=admin)
    assert back.status_code == 200, back.text
    assert client.get(f"{API}/applications", headers=mine).json()["total"] == 1
    signed = client.post(
        f"{API}/applications/{item['id']}/signature", json={"colour": "green"}, headers=mine
    )
    assert signed.status_code == 200, signed.text
