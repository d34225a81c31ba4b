"""The issuer's routes (/api/v1/applications): the queue, one application, the signature."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from healthcode.services.accounts.permissions import Role
from tests.api.helpers import CapturingSender, declare, error, resident_headers, staff_headers
from tests.factories.inputs import declaration_data

API = "/api/v1/applications"


def apply(client: TestClient, sms: CapturingSender, **fields: Any) -> dict[str, str]:
    me = resident_headers(client, sms)
    declare(client, me, declaration_data("shandong-pass", **fields))
    return me


def sign(client: TestClient, staff: dict[str, str], item: dict[str, Any], **body: str) -> Any:
    return client.post(f"{API}/{item['id']}/signature", json=body, headers=staff)


def issuer(client: TestClient, add_staff: Any) -> dict[str, str]:
    add_staff("issuer01", Role.ISSUER)
    return staff_headers(client, "issuer01")


class TestQueue:
    def test_lists_the_pending_application_masked(
        self, client: TestClient, sms: CapturingSender, add_staff: Any
    ) -> None:
        apply(client, sms)
        queue = client.get(API, headers=issuer(client, add_staff)).json()
        assert queue["total"] == 1
        [item] = queue["items"]
        assert item["code"]["colour"] == "pending"
        assert "张三" not in str(item)  # names are masked in the queue

    def test_a_resident_is_refused(self, client: TestClient, sms: CapturingSender) -> None:
        me = resident_headers(client, sms)
        assert client.get(API, headers=me).status_code == 403

    def test_without_a_session_it_is_401(self, client: TestClient) -> None:
        assert client.get(API).status_code == 401


class TestOneApplication:
    def test_shows_the_declaration_in_full(
        self, client: TestClient, sms: CapturingSender, add_staff: Any
    ) -> None:
        apply(client, sms, temperature=36.6)
        staff = issuer(client, add_staff)
        [item] = client.get(API, headers=staff).json()["items"]
        detail = client.get(f"{API}/{item['id']}", headers=staff).json()
        assert (detail["name"], detail["temperature"]) == ("张三", 36.6)

    def test_an_unknown_application_is_404(self, client: TestClient, add_staff: Any) -> None:
        staff = issuer(client, add_staff)
        response = client.get(f"{API}/00000000-0000-0000-0000-000000000000", headers=staff)
        assert response.status_code == 404


class TestSignature:
    def test_signing_green_turns_the_code_green(
        self, client: TestClient, sms: CapturingSender, add_staff: Any
    ) -> None:
        apply(client, sms)
        staff = issuer(client, add_staff)
        [item] = client.get(API, headers=staff).json()["items"]
        signed = sign(client, staff, item, colour="green")
        assert signed.status_code == 200, signed.text
        assert signed.json()["colour"] == "green"
        again = sign(client, staff, item, colour="green")
        assert (again.status_code, error(again)["code"]) == (409, "not_pending")

    def test_milder_than_the_rules_is_409(
        self, client: TestClient, sms: CapturingSender, add_staff: Any
    ) -> None:
        apply(client, sms, temperature=37.6)
        staff = issuer(client, add_staff)
        [item] = client.get(API, headers=staff).json()["items"]
        refused = sign(client, staff, item, colour="green")
        assert (refused.status_code, error(refused)["code"]) == (409, "milder_than_rules")
        said = error(refused)["message"]  # was "根据规则，此申请应为 red：SD-SYMPTOMS"
        assert said.startswith("根据规则，此申请应为红码：近14天内有发热")

    def test_stricter_needs_a_note(
        self, client: TestClient, sms: CapturingSender, add_staff: Any
    ) -> None:
        apply(client, sms)
        staff = issuer(client, add_staff)
        [item] = client.get(API, headers=staff).json()["items"]
        bare = sign(client, staff, item, colour="red")
        assert bare.status_code == 422
        noted = sign(client, staff, item, colour="red", note="视频核实")
        assert noted.json()["colour"] == "red"
