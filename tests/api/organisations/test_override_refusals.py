"""A manual colour's refusals over HTTP and on the pages: each names its field, in the
reader's language."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import PASSWORD, CapturingSender, error
from tests.api.organisations.test_review import API, apply, issuers
from tests.api.pages import HTML, page_token

REASON = "视频核实体温36.5℃，申报时误填"


def proposed(client: TestClient, sms: CapturingSender, add_staff: Any) -> tuple[Any, Any, str]:
    """An override proposed by the first issuer: (first, second, its id)."""
    apply(client, sms, "13800001111", temperature=38.1)
    first, second = issuers(client, add_staff)
    [item] = client.get(f"{API}/applications", headers=first).json()["items"]
    body = {"resident_id": item["resident_id"], "policy": "shandong-pass"}
    made = client.post(
        f"{API}/overrides", json=body | {"colour": "green", "reason": REASON}, headers=first
    )
    assert made.status_code == 200, made.text
    return first, second, made.json()["id"]


def test_a_rejection_needs_a_note(client: TestClient, sms: CapturingSender, add_staff: Any) -> None:
    _first, second, override = proposed(client, sms, add_staff)
    decision = f"{API}/overrides/{override}/decision"
    bare = client.post(decision, json={"approve": False}, headers=second)
    assert bare.status_code == 422, bare.text
    [field] = error(bare)["fields"]
    assert (field["field"], field["code"]) == ("note", "too_short")
    assert field["message"] == "请填写理由，至少 10 个字"
    english = client.post(
        decision, json={"approve": False}, headers=second | {"accept-language": "en"}
    )
    assert error(english)["fields"][0]["message"] == "Give the reason in at least 10 characters"
    [still] = client.get(f"{API}/overrides", headers=second).json()
    assert still["status"] == "proposed"
    done = client.post(
        decision, json={"approve": False, "note": "体温读数看不清，请复测后再提"}, headers=second
    )
    assert (done.status_code, done.json()["status"]) == (200, "rejected")


def test_the_page_names_the_note_beside_it(
    client: TestClient, sms: CapturingSender, add_staff: Any
) -> None:
    proposed(client, sms, add_staff)
    client.headers.pop("authorization", None)
    token = page_token(client, "/staff/login")
    client.post(
        "/staff/login",
        data={"username": "issuer02", "password": PASSWORD, "csrf_token": token},
        headers=HTML,
    )
    page = client.get("/staff/overrides", headers=HTML)
    found = re.search(r'action="(/staff/overrides/[^"]+/decision)"', page.text)
    assert found is not None, page.text[:500]
    token = page_token(client, "/staff/overrides")
    refused = client.post(
        found.group(1),
        data={"decision": "reject", "note": "", "csrf_token": token},
        headers=HTML,
    )
    assert refused.status_code == 422
    assert 'id="note-1-error"' in refused.text
    assert "请填写理由，至少 10 个字" in refused.text
    assert 'aria-describedby="note-1-error"' in refused.text
    assert "（选填）" not in refused.text


def test_a_health_code_is_not_told_about_passes(
    client: TestClient, sms: CapturingSender, add_staff: Any
) -> None:
    """A Binzhou code is coloured, never signed: "pending" or "none" asked of it is
    refused as a manual colour, not as a pass's signature."""
    apply(client, sms, "13800001111", temperature=38.1)
    first, _second = issuers(client, add_staff)
    [item] = client.get(f"{API}/applications", headers=first).json()["items"]
    for policy in ("binzhou-code", "shandong-pass"):
        for colour in ("pending", "none"):
            body = {"resident_id": item["resident_id"], "policy": policy, "colour": colour}
            refused = client.post(f"{API}/overrides", json=body | {"reason": REASON}, headers=first)
            assert refused.status_code == 422, refused.text
            [field] = error(refused)["fields"]
            assert (field["field"], field["code"]) == ("colour", "not_a_manual_colour")
            assert field["message"] == "人工改色只能改为绿色、黄色或红色"
            assert "通行卡" not in refused.text


def test_an_end_without_its_time_zone_is_named(
    client: TestClient, sms: CapturingSender, add_staff: Any
) -> None:
    """Times in the API carry their offset (``Moment``, as a scan's ``scanned_at``);
    one without it was refused as "not a valid value"."""
    apply(client, sms, "13800001111", temperature=38.1)
    first, _second = issuers(client, add_staff)
    [item] = client.get(f"{API}/applications", headers=first).json()["items"]
    body = {"resident_id": item["resident_id"], "policy": "shandong-pass", "colour": "green"}
    example = "2020-02-23T18:00:00+08:00"
    for when, code, words in (
        ("2020-02-25T18:00:00", "timezone_aware", f"请写明时区，例如 {example}"),
        ("2020-02-25 下午", "datetime_from_date_parsing", f"不是有效的时间，请写成 {example}"),
    ):
        refused = client.post(
            f"{API}/overrides", json=body | {"reason": REASON, "ends_at": when}, headers=first
        )
        assert refused.status_code == 422, refused.text
        [field] = error(refused)["fields"]
        assert (field["field"], field["code"], field["message"]) == ("ends_at", code, words)
    english = client.post(
        f"{API}/overrides",
        json=body | {"reason": REASON, "ends_at": "2020-02-25T18:00:00"},
        headers=first | {"accept-language": "en"},
    )
    assert error(english)["fields"][0]["message"] == (
        "Give the time with its time zone, e.g. 2020-02-23T18:00:00+08:00"
    )
    made = client.post(
        f"{API}/overrides",
        json=body | {"reason": REASON, "ends_at": "2020-02-25T18:00:00+08:00"},
        headers=first,
    )
    assert made.status_code == 200, made.text
