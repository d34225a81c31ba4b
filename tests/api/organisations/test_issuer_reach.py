"""The issuer's queue over HTTP reaches what they may sign: their organisations, never
a whole region; a suspended organisation's queue and applications are refused by name
(409 organisation_suspended) until it is reactivated."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import FixedClock
from healthcode.services.accounts import login
from healthcode.services.accounts.permissions import Role
from healthcode.services.organisations.authorisations import grant
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import PASSWORD, CapturingSender, declare, error, staff_headers
from tests.api.organisations.test_issuer import apply, issuer
from tests.api.pages import HTML, page_token
from tests.factories.inputs import declaration_data, id_number
from tests.factories.organisations import organisation

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


def issuer_of(
    app: FastAPI, sessions: sessionmaker[Session], username: str, organisation_id: str
) -> None:
    """An issuer of the organisation, authorised by it."""
    staff_with(app, sessions, username, Role.ISSUER, f"org:{organisation_id}")
    uow = UnitOfWork(sessions())
    account = uow.accounts.by_username(username)
    assert account is not None
    grant(
        uow, app.state.env, account_id=account.id, organisation_id=uuid.UUID(organisation_id),
        role=Role.ISSUER, name="王 审核",
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


def test_an_old_application_tells_nothing_of_the_one_sent_elsewhere_since(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender,
    add_staff: Any, community: uuid.UUID, clock: FixedClock,
) -> None:  # fmt: skip
    """HU's issuer read the id of the application the resident sent to BQ since, its
    colour and the override's reason (an outside probe, stop 43)."""
    number = id_number()
    me = apply(client, sms, id_number=number)
    mine = issuer(client, add_staff)
    [item] = client.get(f"{API}/applications", headers=mine).json()["items"]
    signed = client.post(
        f"{API}/applications/{item['id']}/signature",
        json={"colour": "yellow", "note": "体温待复测", "requested": ["temperature"]},
        headers=mine,
    )
    assert signed.status_code == 200, signed.text
    uow = UnitOfWork(sessions())
    other = organisation(uow, app.state.env, name="渤海七路社区居民委员会").id
    uow.commit()
    uow.close()
    clock.advance(timedelta(hours=2))
    again = declare(
        client, me, declaration_data("shandong-pass", id_number=number, organisation_id=str(other))
    )
    assert again["under_review"] is not None

    seen = client.get(f"{API}/applications/{item['id']}", headers=mine).json()["code"]
    assert (seen["application_id"], seen["under_review"]) == (item["id"], None)
    assert again["under_review"]["application_id"] not in str(seen)

    issuer_of(app, sessions, "issuer.bohai", str(other))
    theirs = staff_headers(client, "issuer.bohai")
    [waiting] = client.get(f"{API}/applications", headers=theirs).json()["items"]
    assert (waiting["code"]["colour"], waiting["code"]["application_id"]) == (
        "pending",
        waiting["id"],
    )
    assert item["id"] not in str(waiting)
    assert "体温待复测" not in str(waiting)
    client.post(
        f"{API}/applications/{waiting['id']}/signature", json={"colour": "green"}, headers=theirs
    )
    now = client.get(f"{API}/applications/{item['id']}", headers=mine).json()["code"]
    assert (now["colour"], now["application_id"], now["reasons"]) == ("none", None, [])

    client.headers.pop("authorization", None)
    token = page_token(client, "/staff/login")
    client.post(
        "/staff/login",
        data={"username": "issuer01", "password": PASSWORD, "csrf_token": token},
        headers=HTML,
    )
    page = client.get(f"/staff/applications/{item['id']}", headers=HTML)
    assert page.status_code == 200
    assert waiting["id"] not in page.text
