"""Tracing over the API: the case found by ID number, the trace lists exactly the two
residents scanned within the window (masked), the action makes one health batch that
turns them red, and the batch is listed among the imports; out of region: 404."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.records import ImportKind
from healthcode.http.security import SESSION_COOKIE
from healthcode.services.accounts import login as accounts
from healthcode.services.accounts.permissions import Role
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import PASSWORD, staff_headers
from tests.api.pages import HTML
from tests.factories.organisations import organisation
from tests.factories.roster import employer_admin
from tests.factories.scanning import venue
from tests.services.records.helpers import colour_of, csv_bytes, green_resident, run_import


def in_tx(sessions: sessionmaker[Session], env: Env, work: Any) -> Any:
    uow = UnitOfWork(sessions())
    try:
        done = work(uow)
        uow.commit()
        return done
    finally:
        uow.close()


def world(uow: UnitOfWork, env: Env) -> dict[str, Any]:
    people = {name: green_resident(uow, env) for name in ("case", "near", "also", "far")}
    community = organisation(uow, env, name="黄河五路社区居民委员会")
    market = venue(uow, env, employer_admin(uow, env, community.id), community.id, name="银座超市")
    base = env.clock.now() - timedelta(hours=3)
    for name, minutes in (("case", 0), ("near", 10), ("also", -25), ("far", 90)):
        at = base + timedelta(minutes=minutes)
        uow.add(
            t.Scan(
                venue_id=market.id, lane="camera", scanned_at=at, recorded_at=at, colour="green",
                policy_id="binzhou-code", resident_id=people[name][0].resident_id, flags=[],
            )
        )  # fmt: skip
    today = env.clock.now().date().isoformat()
    header = ("source_id", "id_number", "start")
    run_import(uow, env, csv_bytes([header, ("API-CASE", people["case"][1], today)]),
               kind=ImportKind.CONFIRMED, file_name="cases.csv")  # fmt: skip
    for username, scope in (("tracer.in", "region:371600"), ("tracer.out", "region:110000")):
        accounts.create_staff(
            uow, env, username=username, password=PASSWORD, display_name="流调员",
            roles=[(Role.DATA_OPERATOR, scope)],
        )  # fmt: skip
    return {name: (a.id, a.resident_id, n) for name, (a, n) in people.items()}


def test_trace_and_make_records_over_the_api(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    env: Env = app.state.env
    people = in_tx(sessions, env, lambda uow: world(uow, env))
    inside, outside = staff_headers(client, "tracer.in"), staff_headers(client, "tracer.out")
    case = str(people["case"][1])
    found = client.post(
        "/api/v1/records/tracing/find", json={"id_number": people["case"][2]}, headers=inside
    )
    assert found.status_code == 200, found.text
    assert found.json()["resident"] == case
    bad = client.post("/api/v1/records/tracing/find", json={"id_number": "12345"}, headers=inside)
    assert bad.status_code == 422
    assert [
        c["resident"] for c in client.get("/api/v1/records/tracing", headers=inside).json()
    ] == [case]
    trace = client.get(f"/api/v1/records/tracing/{case}", headers=inside).json()
    assert [v["venue_name"] for v in trace["visits"]] == ["银座超市"]
    assert {c["resident"] for c in trace["contacts"]} == {
        str(people["near"][1]),
        str(people["also"][1]),
    }
    assert all("*" in c["masked_id"] for c in trace["contacts"])
    assert client.get(f"/api/v1/records/tracing/{case}", headers=outside).status_code == 404
    tracing = f"/api/v1/records/tracing/{case}"
    for early in (  # the year 1 in Shanghai is before the year 1 in UTC: was a 500
        client.get(f"{tracing}?since=0001-01-01", headers=inside),
        client.post(f"{tracing}/records", json={"since": "0001-01-01"}, headers=inside),
    ):
        assert early.status_code == 422, early.text
        assert [(f["field"], f["code"]) for f in early.json()["error"]["fields"]] == [
            ("since", "date_out_of_range")
        ]
    made = client.post(f"/api/v1/records/tracing/{case}/records", json={}, headers=outside)
    assert made.status_code == 404
    made = client.post(f"/api/v1/records/tracing/{case}/records", json={}, headers=inside)
    assert made.status_code == 200, made.text
    assert (made.json()["added"], made.json()["department"]) == (2, "health")
    listed = client.get("/api/v1/records/imports", headers=inside).json()
    assert made.json()["batch"] in {b["id"] for b in listed}

    def colours(uow: UnitOfWork) -> list[str]:
        accounts = [uow.session.get(t.Account, people[n][0]) for n in ("near", "also", "far")]
        return [colour_of(uow, a).value for a in accounts if a is not None]

    assert in_tx(sessions, env, colours) == ["red", "red", "green"]


def test_a_misnamed_or_unknown_field_of_the_records_action_is_refused_not_dropped(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    """Found from outside: the trace takes its window as ``?window=``, and the same
    name sent to the action was dropped without a word: records were made over the
    default 30 minutes, leaving green a contact the officer had chosen 120 for."""
    env: Env = app.state.env
    people = in_tx(sessions, env, lambda uow: world(uow, env))
    inside = staff_headers(client, "tracer.in")
    case = str(people["case"][1])
    wide = client.get(f"/api/v1/records/tracing/{case}?window=120", headers=inside).json()
    assert str(people["far"][1]) in {c["resident"] for c in wide["contacts"]}
    for body in ({"window": 120}, {"contacts": None, "kinds": "exposure"}):
        made = client.post(f"/api/v1/records/tracing/{case}/records", json=body, headers=inside)
        assert made.status_code == 422, made.text
        [field] = made.json()["error"]["fields"]
        assert (field["code"], field["message"]) == ("extra_forbidden", "未知字段")
    found = client.post(
        "/api/v1/records/tracing/find",
        json={"id_number": people["case"][2], "region": "371602"},
        headers=inside,
    )
    assert found.status_code == 422
    made = client.post(
        f"/api/v1/records/tracing/{case}/records", json={"window_minutes": 120}, headers=inside
    )
    assert made.json()["added"] == 3


def test_a_misnamed_query_parameter_of_the_trace_is_refused_not_dropped(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    """Found by a probe: ``?window_minutes=120`` (the body's name, not the trace's
    ``window``) traced over the default 30 minutes without a word, and the officer
    saw no contact at 90 minutes."""
    env: Env = app.state.env
    people = in_tx(sessions, env, lambda uow: world(uow, env))
    inside = staff_headers(client, "tracer.in")
    case = str(people["case"][1])
    misnamed = client.get(f"/api/v1/records/tracing/{case}?window_minutes=120", headers=inside)
    assert misnamed.status_code == 422, misnamed.text
    [field] = misnamed.json()["error"]["fields"]
    assert (field["field"], field["code"], field["message"]) == (
        "window_minutes",
        "extra_forbidden",
        "未知字段",
    )
    english = client.get(f"/api/v1/records/tracing/{case}?windw=120&lang=en", headers=inside)
    assert [(f["field"], f["message"]) for f in english.json()["error"]["fields"]] == [
        ("windw", "Unknown field")
    ]
    twice = client.get(f"/api/v1/records/tracing/{case}?window=30&window=120", headers=inside)
    assert [(f["field"], f["code"]) for f in twice.json()["error"]["fields"]] == [
        ("window", "query_repeated")  # it traced the last, 120, without a word
    ]
    wide = client.get(f"/api/v1/records/tracing/{case}?window=120&lang=en", headers=inside)
    assert wide.status_code == 200, wide.text
    assert str(people["far"][1]) in {c["resident"] for c in wide.json()["contacts"]}
    listed = client.get("/api/v1/records/tracing?limit=5&offset=5", headers=inside)
    assert listed.status_code == 422  # the list of cases has no pages past its limit
    assert listed.json()["error"]["fields"][0]["field"] == "offset"


def test_the_health_departments_clerk_traces_without_a_scan_not_the_holder(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    """Stop 43, an outside probe: ``data.cdc`` (``dept:health``) got ``[]`` with a
    confirmed case in force; and a scan the guard reported "not the holder" listed
    the code's holder as a contact, and the records turned them red."""
    env: Env = app.state.env
    people = in_tx(sessions, env, lambda uow: world(uow, env))

    def setup(uow: UnitOfWork) -> None:
        accounts.create_staff(
            uow, env, username="tracer.dept", password=PASSWORD, display_name="疾控流调员",
            roles=[(Role.DATA_OPERATOR, "dept:health")],
        )  # fmt: skip
        query = select(t.Scan).where(t.Scan.resident_id == people["near"][1])
        shown = uow.session.scalars(query).one()
        uow.add(
            t.FraudCase(
                scan_id=shown.id, resident_id=shown.resident_id, at=shown.scanned_at,
                source="gate_report", cause="not_the_holder", region_code="371602",
            )
        )  # fmt: skip

    in_tx(sessions, env, setup)
    clerk = staff_headers(client, "tracer.dept")
    case = str(people["case"][1])
    listed = client.get("/api/v1/records/tracing", headers=clerk)
    assert [c["resident"] for c in listed.json()] == [case]
    found = client.post(
        "/api/v1/records/tracing/find", json={"id_number": people["case"][2]}, headers=clerk
    )
    assert found.status_code == 200, found.text
    trace = client.get(f"/api/v1/records/tracing/{case}", headers=clerk).json()
    assert [c["resident"] for c in trace["contacts"]] == [str(people["also"][1])]
    assert trace["not_the_holder"] == 1
    made = client.post(f"/api/v1/records/tracing/{case}/records", json={}, headers=clerk)
    assert made.status_code == 200, made.text
    assert (made.json()["added"], made.json()["department"]) == (1, "health")

    def colours(uow: UnitOfWork) -> list[str]:
        accounts = [uow.session.get(t.Account, people[n][0]) for n in ("near", "also")]
        return [colour_of(uow, a).value for a in accounts if a is not None]

    assert in_tx(sessions, env, colours) == ["green", "red"]


def test_the_staff_home_of_a_data_officer_leads_to_tracing(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    """Stop 45, an outside probe: no page linked the tracing page; the officer needed
    its address."""
    in_tx(sessions, app.state.env, lambda uow: world(uow, app.state.env))
    headers = staff_headers(client, "tracer.in")
    client.cookies.set(SESSION_COOKIE, headers["Authorization"].removeprefix("Bearer "))
    home = client.get("/staff", headers=HTML)
    assert 'href="/staff/records/tracing">扫码轨迹追踪</a>' in home.text
