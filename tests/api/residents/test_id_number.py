"""The ID number over HTTP: shown back with birth date and sex, bound on confirmation,
claimed back by the owner with a code texted to the phone on record (issue 7 #10)."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from tests.api.helpers import CapturingSender, declare, error, resident_headers
from tests.factories.identity import make_id_number
from tests.factories.inputs import declaration_data

API = "/api/v1"
OWNER, NEW_PHONE = "13800001111", "13900002222"


def test_the_declaration_shows_birth_date_and_sex(client: TestClient, sms: CapturingSender) -> None:
    me = resident_headers(client, sms, OWNER)
    number = make_id_number(birth=date(1988, 5, 20), region="371602", seq=22)
    submitted = client.post(
        f"{API}/declarations", json=declaration_data(id_number=number), headers=me
    )
    assert submitted.status_code == 201, submitted.text
    body = submitted.json()
    assert (body["birth_date"], body["sex"]) == ("1988-05-20", "F")
    assert client.get(f"{API}/me", headers=me).json()["resident_id"] is None  # not bound yet


def test_a_taken_number_is_moved_with_a_code_to_the_phone_on_record(
    client: TestClient, sms: CapturingSender
) -> None:
    number = make_id_number(birth=date(1975, 1, 9), region="371602", seq=31)
    owner = resident_headers(client, sms, OWNER)
    declare(client, owner, declaration_data(id_number=number))
    me = resident_headers(client, sms, NEW_PHONE)
    submitted = client.post(
        f"{API}/declarations", json=declaration_data(id_number=number), headers=me
    )
    assert submitted.status_code == 201  # submitting tells nothing
    row = submitted.json()["id"]
    taken = client.post(f"{API}/declarations/{row}/confirm", headers=me)
    assert taken.status_code == 409
    assert error(taken)["code"] == "id_number_taken"
    assert "138****1111" in error(taken)["message"]
    sent = client.post(f"{API}/declarations/{row}/claim-code", headers=me)
    assert sent.status_code == 202, sent.text
    assert sent.json()["phone_masked"] == "138****1111"
    code = sms.sent[OWNER]
    # a field the claim does not take is refused, not dropped (the code is kept)
    extra = client.post(
        f"{API}/declarations/{row}/claim", json={"code": code, "phone": OWNER}, headers=me
    )
    assert extra.status_code == 422, extra.text
    [field] = error(extra)["fields"]
    assert (field["field"], field["code"], field["message"]) == (
        "phone",
        "extra_forbidden",
        "未知字段",
    )
    moved = client.post(f"{API}/declarations/{row}/claim", json={"code": code}, headers=me)
    assert moved.status_code == 204, moved.text
    confirmed = client.post(f"{API}/declarations/{row}/confirm", headers=me)
    assert confirmed.status_code == 200, confirmed.text
    assert client.get(f"{API}/me", headers=owner).json()["resident_id"] is None
