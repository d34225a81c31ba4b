"""The review queue over HTTP: filters and counts, yellow requests, the counter,
two-officer overrides."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from healthcode.domain.clock import FixedClock
from healthcode.services.accounts.permissions import Role
from tests.api.helpers import CapturingSender, declare, error, resident_headers, staff_headers
from tests.factories.inputs import declaration_data, id_number

API = "/api/v1"


def apply(client: TestClient, sms: CapturingSender, phone: str, **fields: Any) -> None:
    me = resident_headers(client, sms, phone)
    declare(client, me, declaration_data("shandong-pass", id_number=id_number(), **fields))


def issuers(client: TestClient, add_staff: Any) -> tuple[dict[str, str], dict[str, str]]:
    add_staff("issuer01", Role.ISSUER)
    add_staff("issuer02", Role.ISSUER)
    return staff_headers(client, "issuer01"), staff_headers(client, "issuer02")


def test_the_queue_is_filtered_and_counted(
    client: TestClient, sms: CapturingSender, add_staff: Any
) -> None:
    apply(client, sms, "13800001111")
    apply(client, sms, "13800002222", temperature=37.9)
    staff, _ = issuers(client, add_staff)
    queue = client.get(f"{API}/applications", params={"suggested": "red"}, headers=staff).json()
    assert queue["total"] == 1
    assert queue["summary"]["total"] == 2
    assert queue["summary"]["by_suggested"] == {"green": 1, "red": 1}
    assert queue["summary"]["oldest_since"]
    [item] = queue["items"]
    assert [f["sources"] for f in item["findings"]] == [["declaration"]]
    bad = client.get(f"{API}/applications", params={"region": "abc"}, headers=staff)
    assert bad.status_code == 422


def test_yellow_names_what_is_needed(
    client: TestClient, sms: CapturingSender, add_staff: Any
) -> None:
    apply(client, sms, "13800001111")
    staff, _ = issuers(client, add_staff)
    [item] = client.get(f"{API}/applications", headers=staff).json()["items"]
    url = f"{API}/applications/{item['id']}/signature"
    missing = client.post(url, json={"colour": "yellow", "note": "需补充"}, headers=staff)
    assert (missing.status_code, error(missing)["code"]) == (422, "invalid_input")
    body = {"colour": "yellow", "note": "请测量体温", "requested": ["temperature"]}
    signed = client.post(url, json=body, headers=staff)
    assert signed.status_code == 200, signed.text
    assert signed.json()["colour"] == "yellow"


def test_a_counter_application_is_signed_at_once(client: TestClient, add_staff: Any) -> None:
    staff, _ = issuers(client, add_staff)
    data = declaration_data("shandong-pass", id_number=id_number()) | {
        "id_card_checked": True,
        "colour": "green",
    }
    signed = client.post(f"{API}/counter-applications", json=data, headers=staff)
    assert signed.status_code == 200, signed.text
    assert signed.json()["code"]["colour"] == "green"
    unchecked = client.post(
        f"{API}/counter-applications", json=data | {"id_card_checked": False}, headers=staff
    )
    assert unchecked.status_code == 422


def test_a_counter_report_at_the_instant_the_pass_ends_is_refused_in_words(
    client: TestClient, add_staff: Any, clock: FixedClock
) -> None:
    """Found from outside: at the pass's last instant the officer's report was taken
    (200, audit-logged) though it kept nothing; a second later the refusal read
    "already reported today"."""
    staff, _ = issuers(client, add_staff)
    data = declaration_data("shandong-pass", id_number=id_number()) | {
        "id_card_checked": True,
        "colour": "green",
    }
    signed = client.post(f"{API}/counter-applications", json=data, headers=staff).json()
    url = f"{API}/applications/{signed['application_id']}/daily-reports"
    ends = datetime.fromisoformat(signed["code"]["valid_until"])
    clock.set(ends - timedelta(seconds=1))
    staff = staff_headers(client, "issuer01")  # a staff session lasts hours, not days
    kept = client.post(url, json={"temperature": 36.5}, headers=staff)
    assert (kept.status_code, kept.json().get("colour")) == (200, "green"), kept.text
    for moment in (ends, ends + timedelta(seconds=1)):
        clock.set(moment)
        refused = client.post(url, json={"temperature": 36.5}, headers=staff)
        assert (refused.status_code, error(refused)["code"]) == (409, "pass_lapsed")
        assert error(refused)["message"] == (
            f"通行卡已于 {ends:%Y-%m-%d %H:%M} 过期，每日健康上报不能再延续它，请重新申请"
        )


def test_an_override_needs_a_second_officer(
    client: TestClient, sms: CapturingSender, add_staff: Any
) -> None:
    apply(client, sms, "13800001111", temperature=38.1)
    first, second = issuers(client, add_staff)
    [item] = client.get(f"{API}/applications", headers=first).json()["items"]
    proposal = {
        "resident_id": item["resident_id"],
        "policy": "shandong-pass",
        "colour": "green",
        "reason": "视频核实体温36.5℃，申报时误填",
    }
    proposed = client.post(f"{API}/overrides", json=proposal, headers=first)
    assert proposed.status_code == 200, proposed.text
    decision = f"{API}/overrides/{proposed.json()['id']}/decision"
    own = client.post(decision, json={"approve": True}, headers=first)
    assert (own.status_code, error(own)["code"]) == (403, "own_proposal")
    assert [p["mine"] for p in client.get(f"{API}/overrides", headers=second).json()] == [False]
    approved = client.post(decision, json={"approve": True}, headers=second)
    assert approved.status_code == 200, approved.text
    assert (approved.json()["status"], approved.json()["current"]) == ("approved", "green")
    again = client.post(decision, json={"approve": True}, headers=second)
    assert (again.status_code, error(again)["code"]) == (409, "already_decided")


def test_numbers_in_a_query_that_int_cannot_read_are_ignored(
    client: TestClient, add_staff: Any
) -> None:
    """ "²" is a digit to str.isdigit, not to int(): the queue page was a 500."""
    add_staff("issuer01", Role.ISSUER)
    staff = staff_headers(client, "issuer01") | {"accept": "text/html"}
    for query in ("offset=²", "offset=" + "9" * 5_000, "waiting=²", "region=²²"):
        page = client.get(f"/staff/queue?{query}", headers=staff)
        assert page.status_code == 200, query
