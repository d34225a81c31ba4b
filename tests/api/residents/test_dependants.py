"""Family members' codes over HTTP: declare for a child, confirm, list, read the child's
code and a token a scanner accepts; another account's child is not found; each
refusal has its code."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient

from tests.api.helpers import CapturingSender, declare, error, resident_headers
from tests.factories.inputs import declaration_data, id_number

API = "/api/v1"


def for_child(
    client: TestClient, me: dict[str, str], number: str, relationship: str = "child"
) -> Any:
    data = declaration_data(id_number=number, name="王小宝")
    return client.post(
        f"{API}/dependants/declarations",
        params={"relationship": relationship},
        json=data,
        headers=me,
    )


def test_a_parent_holds_and_shows_a_childs_code(client: TestClient, sms: CapturingSender) -> None:
    me = resident_headers(client, sms, "13800001111")
    declare(client, me, declaration_data(id_number=id_number()))
    submitted = for_child(client, me, id_number(date(2016, 5, 5)))
    assert submitted.status_code == 201, submitted.text
    confirmed = client.post(f"{API}/declarations/{submitted.json()['id']}/confirm", headers=me)
    assert confirmed.status_code == 200, confirmed.text
    [child] = client.get(f"{API}/dependants", headers=me).json()
    assert (child["name_masked"], child["relationship"]) == ("王**", "child")
    url = f"{API}/dependants/{child['resident_id']}/codes/binzhou-code"
    assert client.get(url, headers=me).json()["colour"] == "green"
    token = client.get(f"{url}/token", headers=me).json()["token"]
    verdict = client.post(f"{API}/verify", json={"token": token}).json()
    assert verdict["valid"] is True
    assert verdict["claims"]["masked_name"] == "王**"
    assert client.get(f"{API}/codes/binzhou-code", headers=me).status_code == 200  # own stays

    stranger = resident_headers(client, sms, "13700004444")
    assert client.get(url, headers=stranger).status_code == 404
    assert client.get(f"{url}/token", headers=stranger).status_code == 404
    another_child = for_child(client, stranger, id_number(date(2016, 5, 5)))
    assert another_child.status_code == 201  # their own child: fine


def test_refusals_name_their_reason(client: TestClient, sms: CapturingSender) -> None:
    me = resident_headers(client, sms, "13800001111")
    mine = id_number()
    declare(client, me, declaration_data(id_number=mine))
    own = for_child(client, me, mine)
    assert (own.status_code, error(own)["fields"][0]["code"]) == (422, "own_number")
    adult = resident_headers(client, sms, "13700004444")
    theirs = id_number()
    declare(client, adult, declaration_data(id_number=theirs))
    bound = for_child(client, me, theirs)
    assert (bound.status_code, error(bound)["code"]) == (409, "dependant_has_account")
    odd = for_child(client, me, id_number(date(2016, 5, 5)), relationship="neighbour")
    assert odd.status_code == 422


def test_a_parent_sends_a_childs_daily_report(client: TestClient, sms: CapturingSender) -> None:
    me = resident_headers(client, sms, "13800001111")
    declare(client, me, declaration_data(id_number=id_number()))
    submitted = for_child(client, me, id_number(date(2016, 5, 5)))
    client.post(f"{API}/declarations/{submitted.json()['id']}/confirm", headers=me)
    [child] = client.get(f"{API}/dependants", headers=me).json()
    reports = f"{API}/dependants/{child['resident_id']}/codes/binzhou-code/reports"
    stranger = resident_headers(client, sms, "13700004444")
    refused = client.post(reports, json={"temperature": 38.6}, headers=stranger)
    assert (refused.status_code, error(refused)["code"]) == (404, "not_found")
    fever = client.post(reports, json={"temperature": 38.6}, headers=me)
    assert fever.status_code == 200, fever.text
    assert fever.json()["colour"] != "green"  # the child's code, from the report
    assert client.get(f"{API}/codes/binzhou-code", headers=me).json()["colour"] == "green"
    bad = client.post(reports, json={"temperature": "hot"}, headers=me)
    assert (bad.status_code, error(bad)["fields"][0]["field"]) == (422, "temperature")
