"""Employers' check-ins and staff board over HTTP (an HR system's view, seed 003 §二–三):
a resident on the roster checks in from the phone, a fever flags and reaches the
employer's administrator, the board shows colour, check-ins and the required action
with its end date, a missed evening shows as missing after its window, and another
employer's administrator is told the employer does not exist."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import TZ, FixedClock
from healthcode.domain.scope import org_scope
from healthcode.http.security import SESSION_COOKIE
from healthcode.services.accounts import login
from healthcode.services.accounts.permissions import Role
from healthcode.services.organisations.authorisations import grant
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import (
    PASSWORD,
    CapturingSender,
    declare,
    error,
    resident_headers,
    staff_headers,
)
from tests.api.pages import HTML, page_token
from tests.factories.inputs import declaration_data
from tests.factories.roster import employer, staff_csv, staff_id

WANG, HAN, LUO = staff_id(31), staff_id(32), staff_id(33)


def _company(app: FastAPI, sessions: sessionmaker[Session], username: str, name: str) -> uuid.UUID:
    uow = UnitOfWork(sessions())
    env = app.state.env
    found = employer(uow, env, name=name).id
    made = login.create_staff(
        uow, env, username=username, password=PASSWORD, display_name="人事 李敏",
        roles=[(Role.ORG_ADMIN, org_scope(found))],
    )  # fmt: skip
    grant(uow, env, account_id=made.id, organisation_id=found, role=Role.ORG_ADMIN, name="李敏")
    uow.commit()
    uow.close()
    return found


@pytest.fixture
def company(app: FastAPI, sessions: sessionmaker[Session], client: TestClient) -> uuid.UUID:
    """An employer with two people on its roster and its administrator ``hr.bohai``."""
    found = _company(app, sessions, "hr.bohai", "渤海示范机械有限公司")
    rows = [
        ("王强", WANG, "", "生产部"),
        ("韩磊", HAN, "", "仓储部"),
        ("罗斌", LUO, "", ""),
    ]
    imported = client.post(
        f"/api/v1/employers/{found}/roster/imports",
        files={"file": ("staff.csv", staff_csv(rows), "text/csv")},
        headers=staff_headers(client, "hr.bohai"),
    )
    assert imported.status_code == 200, imported.text
    return found


@pytest.fixture
def hr(client: TestClient, company: uuid.UUID) -> dict[str, str]:
    return staff_headers(client, "hr.bohai")


def board(client: TestClient, company: uuid.UUID, hr: dict[str, str], **query: str) -> Any:
    response = client.get(f"/api/v1/employers/{company}/board", params=query, headers=hr)
    assert response.status_code == 200, response.text
    return response.json()


def person(found: Any, name: str) -> Any:
    return next(r for r in found["rows"] if r["name"] == name)


def test_a_resident_checks_in_with_a_fever_and_the_administrator_is_told(
    client: TestClient, sms: CapturingSender, company: uuid.UUID, hr: dict[str, str]
) -> None:
    me = resident_headers(client, sms, "13800002222")
    declare(client, me, declaration_data(name="王强", id_number=WANG))
    today = client.get("/api/v1/me/checkins/today", headers=me).json()
    assert (today["employers"], today["window"], today["done"]) == (
        ["渤海示范机械有限公司"],
        "morning",
        None,
    )
    done = client.post(  # as a phone keyboard types it (the page took it, the API did not)
        "/api/v1/me/checkins", json={"temperature": "38,2", "symptoms": False}, headers=me
    )
    assert done.status_code == 201, done.text
    assert [(d["flagged"], d["window"]) for d in done.json()] == [(True, "morning")]
    assert client.get("/api/v1/me/checkins/today", headers=me).json()["done"]["temperature"] == 38.2

    notices = client.get("/api/v1/notifications", headers=hr).json()["items"]
    assert [n["kind"] for n in notices] == ["checkin_flagged"]
    assert "王强" in notices[0]["title"]
    assert notices[0]["link"] == f"/staff/employers/{company}/board?only=flagged"

    found = board(client, company, hr)
    wang = person(found, "王强")
    assert (wang["colour"], wang["morning"]["status"], wang["morning"]["temperature"]) == (
        "green",
        "flagged",
        38.2,
    )
    assert found["counts"]["flagged"] == 1


def test_staff_enter_readings_for_the_list_and_each_bad_row_is_named(
    client: TestClient, company: uuid.UUID, hr: dict[str, str]
) -> None:
    ids = {r["name"]: r["employee_id"] for r in board(client, company, hr)["rows"]}
    entries = [
        {"employee_id": ids["王强"], "temperature": 36.5},
        {"employee_id": ids["韩磊"], "temperature": 3.65},
    ]
    refused = client.post(
        f"/api/v1/employers/{company}/checkins", json={"entries": entries}, headers=hr
    )
    assert refused.status_code == 422
    assert [(f["field"], f["code"]) for f in error(refused)["fields"]] == [
        ("entries[1].temperature", "range")
    ]
    entries[1]["temperature"] = 36.6
    saved = client.post(
        f"/api/v1/employers/{company}/checkins", json={"entries": entries}, headers=hr
    )
    assert saved.status_code == 201, saved.text
    assert {(r["name"], r["flagged"]) for r in saved.json()} == {("王强", False), ("韩磊", False)}
    found = board(client, company, hr)
    assert person(found, "韩磊")["morning"]["status"] == "done"
    # no code yet: not at work, so not expected to check in (seed 003: 上岗人员)
    assert person(found, "罗斌")["morning"]["status"] == "not_at_work"


def test_a_reading_sent_as_true_is_not_a_number_not_one_degree(
    client: TestClient, sms: CapturingSender, company: uuid.UUID, hr: dict[str, str]
) -> None:
    """JSON true was read as 1 ℃ and refused as out of range (stop 43, an outside probe)."""
    ids = {r["name"]: r["employee_id"] for r in board(client, company, hr)["rows"]}
    entries = [{"employee_id": ids["王强"], "temperature": True}]
    refused = client.post(
        f"/api/v1/employers/{company}/checkins", json={"entries": entries}, headers=hr
    )
    assert [(f["field"], f["code"]) for f in error(refused)["fields"]] == [
        ("entries[0].temperature", "float_type")
    ]
    me = resident_headers(client, sms, "13800002223")
    declare(client, me, declaration_data(name="王强", id_number=WANG))
    own = client.post(
        "/api/v1/me/checkins", json={"temperature": True, "symptoms": False}, headers=me
    )
    assert [(f["field"], f["code"]) for f in error(own)["fields"]] == [
        ("temperature", "float_type")
    ]


def test_a_list_of_a_thousand_readings_is_taken(
    client: TestClient, company: uuid.UUID, hr: dict[str, str]
) -> None:
    """The API reads up to 1,000 entries; the request's size limit refused (413)
    anything over about 880. One person typed 1,000 times: read whole, and every
    repeat named (since stop 44 a person typed twice is refused, not overwritten)."""
    ids = {r["name"]: r["employee_id"] for r in board(client, company, hr)["rows"]}
    entry = {"employee_id": ids["王强"], "temperature": 36.5, "symptoms": False}
    saved = client.post(
        f"/api/v1/employers/{company}/checkins", json={"entries": [entry] * 1000}, headers=hr
    )
    assert saved.status_code == 422, saved.text[:300]
    fields = saved.json()["error"]["fields"]
    assert len(fields) == 999
    assert {f["code"] for f in fields} == {"duplicate"}
    assert fields[-1]["field"] == "entries[999].employee_id"


def test_a_missed_evening_is_missing_after_its_window_and_filtered(
    client: TestClient, sms: CapturingSender, clock: FixedClock, company: uuid.UUID
) -> None:
    """Only those who may work are missing a check-in: 韩磊 has no code yet."""
    clock.set(datetime(2020, 2, 23, 20, 0, tzinfo=TZ))
    for phone, name, number in (("13800002222", "王强", WANG), ("13800004444", "罗斌", LUO)):
        declare(
            client,
            resident_headers(client, sms, phone),
            declaration_data(name=name, id_number=number),
        )
    hr = staff_headers(client, "hr.bohai")  # a staff session lasts less than 11 hours
    assert person(board(client, company, hr), "王强")["evening"]["status"] == "open"
    clock.set(datetime(2020, 2, 23, 21, 0, tzinfo=TZ))
    hr = staff_headers(client, "hr.bohai")
    found = board(client, company, hr, only="missing")
    assert {r["name"] for r in found["rows"]} == {"王强", "罗斌"}
    assert all(r["evening"]["status"] == "missing" for r in found["rows"])
    assert found["counts"]["missing"] == 2
    assert person(board(client, company, hr), "韩磊")["evening"]["status"] == "not_at_work"


def test_a_red_employee_is_told_centralised_quarantine_until_a_date(
    client: TestClient, sms: CapturingSender, company: uuid.UUID, hr: dict[str, str]
) -> None:
    me = resident_headers(client, sms, "13800003333")
    declare(
        client,
        me,
        declaration_data(name="韩磊", id_number=HAN, exposures=[{"kind": "close_contact"}]),
    )
    found = board(client, company, hr, only="not_green")
    han = person(found, "韩磊")
    assert (han["colour"], han["action"], han["action_until"]) == (
        "red",
        "central_quarantine",
        "2020-03-07",
    )
    assert han["action_words"] == "集中隔离至 2020-03-07"
    assert person(found, "罗斌")["action"] == "no_code"
    assert found["counts"]["red"] == 1


def test_windows_are_set_and_checked(
    client: TestClient, company: uuid.UUID, hr: dict[str, str]
) -> None:
    path = f"/api/v1/employers/{company}/checkin-windows"
    body = {
        "morning_from": "07:00",
        "morning_until": "08:30",
        "evening_from": "18:00",
        "evening_until": "19:30",
    }
    assert client.put(path, json=body, headers=hr).json() == body
    assert board(client, company, hr)["windows"] == body
    bad = client.put(path, json=body | {"evening_from": "08:00"}, headers=hr)
    assert bad.status_code == 422
    assert [f["field"] for f in error(bad)["fields"]] == ["evening_from"]


def test_another_employers_administrator_gets_404(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], company: uuid.UUID
) -> None:
    _company(app, sessions, "hr.other", "另一家公司")
    other = staff_headers(client, "hr.other")
    body = {
        "morning_from": "07:00",
        "morning_until": "08:30",
        "evening_from": "18:00",
        "evening_until": "19:30",
    }
    for response in (
        client.get(f"/api/v1/employers/{company}/board", headers=other),
        client.post(f"/api/v1/employers/{company}/checkins", json={"entries": []}, headers=other),
        client.put(f"/api/v1/employers/{company}/checkin-windows", json=body, headers=other),
    ):
        assert response.status_code == 404, response.text
        assert "王强" not in response.text


def test_a_resident_cannot_read_a_board(
    client: TestClient, sms: CapturingSender, company: uuid.UUID
) -> None:
    me = resident_headers(client, sms, "13800004444")
    assert client.get(f"/api/v1/employers/{company}/board", headers=me).status_code in (403, 404)


def test_a_large_roster_is_entered_page_by_page_under_the_forms_field_limit(
    client: TestClient, company: uuid.UUID, hr: dict[str, str]
) -> None:
    """401 more people: the entrance list shows 400 a page (800 fields at most, under
    the form parser's 1,000), the next page the rest; the board's counts cover all."""
    rows = [("王强", staff_id(500 + i), "", "") for i in range(401)]
    imported = client.post(
        f"/api/v1/employers/{company}/roster/imports",
        files={"file": ("more.csv", staff_csv(rows), "text/csv")},
        headers=hr,
    )
    assert imported.json()["added"] == 401
    client.cookies.set(SESSION_COOKIE, hr["Authorization"].removeprefix("Bearer "))
    first = client.get(f"/staff/employers/{company}/checkins", headers=HTML)
    rest = client.get(f"/staff/employers/{company}/checkins?offset=400", headers=HTML)
    assert (first.text.count('name="t-'), rest.text.count('name="t-')) == (400, 4)
    assert "?offset=400" in first.text
    page = client.get(f"/staff/employers/{company}/board", headers=HTML)
    assert page.text.count("<tr data-employee") == 300
    assert board(client, company, hr)["counts"]["total"] == 404


def test_the_board_api_answers_a_page_at_a_time_with_everyone_counted(
    client: TestClient, company: uuid.UUID, hr: dict[str, str]
) -> None:
    """An HR system reading a large roster's board walks it by offset; no one is left
    out or shown twice, and the counts and the filter's total cover everyone."""
    rows = [("王强", staff_id(500 + i), "", "") for i in range(5)]
    imported = client.post(
        f"/api/v1/employers/{company}/roster/imports",
        files={"file": ("more.csv", staff_csv(rows), "text/csv")},
        headers=hr,
    )
    assert imported.json()["added"] == 5
    pages = [board(client, company, hr, limit="3", offset=str(o)) for o in (0, 3, 6)]
    assert [len(p["rows"]) for p in pages] == [3, 3, 2]
    assert {p["matched"] for p in pages} == {8}
    assert {p["counts"]["total"] for p in pages} == {8}
    ids = [r["employee_id"] for p in pages for r in p["rows"]]
    assert len(set(ids)) == 8
    too_many = client.get(f"/api/v1/employers/{company}/board?limit=1001", headers=hr)
    assert too_many.status_code == 422


def test_a_resident_checking_in_between_windows_is_told_when(
    client: TestClient, sms: CapturingSender, clock: FixedClock, company: uuid.UUID
) -> None:
    me = resident_headers(client, sms, "13800005555")
    declare(client, me, declaration_data(name="王强", id_number=WANG))
    clock.set(datetime(2020, 2, 23, 12, 0, tzinfo=TZ))
    refused = client.post(
        "/api/v1/me/checkins", json={"temperature": 36.5, "symptoms": False}, headers=me
    )
    assert refused.status_code == 422
    (field,) = error(refused)["fields"]
    assert (field["field"], field["code"]) == ("window", "closed")
    assert "06:00–10:00" in field["message"]
    assert client.get("/api/v1/me/checkins/today", headers=me).json()["window"] is None


def test_the_removal_form_sent_twice_says_the_person_is_off_the_list(
    client: TestClient, company: uuid.UUID, hr: dict[str, str]
) -> None:
    """A double tap of 移出名单's confirmation: the second answer is the roster
    saying they were taken off, not a missing page after a removal that held; someone
    never on this roster is still not found. Each answer is a redirect to the roster
    (it answered with the page itself: reloading it posted the form again)."""
    wang = person(board(client, company, hr), "王强")["employee_id"]
    client.cookies.set(SESSION_COOKIE, hr["Authorization"].removeprefix("Bearer "))
    path = f"/staff/employers/{company}/roster/{wang}/remove"
    token = page_token(client, path)
    answers = [
        client.post(path, data={"csrf_token": token}, headers=HTML, follow_redirects=False)
        for _ in range(2)
    ]
    roster_page = f"/staff/employers/{company}/roster?removed={wang}"
    assert [(a.status_code, a.headers["location"]) for a in answers] == [(303, roster_page)] * 2
    shown = client.get(roster_page, headers=HTML)
    assert shown.status_code == 200
    assert "已将 王强" in shown.text
    assert board(client, company, hr)["counts"]["total"] == 2
    for odd in (uuid.uuid4(), "not-an-id"):  # a link kept or typed: the roster, no notice
        plain = client.get(f"/staff/employers/{company}/roster?removed={odd}", headers=HTML)
        assert (plain.status_code, "已将" in plain.text) == (200, False)
    assert client.get(path, headers=HTML).status_code == 404  # the confirmation: gone
    other = client.post(
        f"/staff/employers/{company}/roster/{uuid.uuid4()}/remove",
        data={"csrf_token": token},
        headers=HTML,
    )
    assert other.status_code == 404


def test_a_filter_the_board_does_not_have_is_refused_not_ignored(
    client: TestClient, company: uuid.UUID, hr: dict[str, str]
) -> None:
    """``?status=missing`` and ``?day=`` were ignored: the whole of today's board came
    back as if filtered. The board's filter is ``only``, and it has no day."""
    url = f"/api/v1/employers/{company}/board"
    answer = client.get(url, params={"status": "missing", "day": "2020-02-20"}, headers=hr)
    assert answer.status_code == 422, answer.text
    fields = answer.json()["error"]["fields"]
    assert [(f["field"], f["code"]) for f in fields] == [
        ("status", "extra_forbidden"),
        ("day", "extra_forbidden"),
    ]
    assert {f["message"] for f in fields} == {"未知字段"}
    found = board(client, company, hr, only="all", limit="1", offset="1")
    assert (found["matched"], len(found["rows"])) == (3, 1)


def test_the_board_page_and_its_csv_refuse_a_filter_they_do_not_offer(
    client: TestClient, company: uuid.UUID, hr: dict[str, str]
) -> None:
    """``?only=fever`` showed (and downloaded) everyone, headed as if filtered."""
    client.cookies.set(SESSION_COOKIE, hr["Authorization"].removeprefix("Bearer "))
    for path in ("board", "board.csv"):
        refused = client.get(f"/staff/employers/{company}/{path}?only=fever", headers=HTML)
        assert refused.status_code == 422, path
        assert "请从给出的选项中选择" in refused.text, path
    shown = client.get(f"/staff/employers/{company}/board?only=missing", headers=HTML)
    assert shown.status_code == 200


def test_the_check_in_form_names_both_wrong_answers_and_reads_a_typed_comma(
    client: TestClient, sms: CapturingSender, company: uuid.UUID
) -> None:
    """The form named only the first wrong answer, so the resident corrected it twice;
    and it did not read "37，8" (a full-width comma) as the API now does."""
    me = resident_headers(client, sms, "13800002222")
    declare(client, me, declaration_data(name="王强", id_number=WANG))
    client.cookies.set(SESSION_COOKIE, me["Authorization"].removeprefix("Bearer "))
    token = page_token(client, "/")
    refused = client.post(
        "/checkin", data={"temperature": "三十七", "csrf_token": token}, headers=HTML
    )
    assert refused.status_code == 422
    assert ("请填写数字，例如 36.5" in refused.text, "请选择是否有症状" in refused.text) == (
        True,
        True,
    )
    done = client.post(
        "/checkin",
        data={"temperature": "37，8", "symptoms": "no", "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text[done.text.find("<main") :][:800]
    assert client.get("/api/v1/me/checkins/today", headers=me).json()["done"]["temperature"] == 37.8
