"""The edge bounds every input: no control characters in text, dates and instants in
a sane window, integers that fit. Each case is a 422 naming the field and the reason
in both languages, never a 500 — on SQLite and PostgreSQL (which refuses NUL)."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from healthcode.services.accounts.permissions import Role
from healthcode.services.organisations.roster_files import MAX_BYTES as ROSTER_BYTES
from tests.api.helpers import CapturingSender, error, resident_headers, staff_headers
from tests.api.pages import HTML, page_token, sign_in_on_pages
from tests.factories.inputs import declaration_data

API = "/api/v1"


def fields(response: Any) -> dict[tuple[str, str], str]:
    assert response.status_code == 422, response.text
    return {(f["field"], f["code"]): f["message"] for f in error(response)["fields"]}


@pytest.fixture
def me(client: TestClient, sms: CapturingSender) -> dict[str, str]:
    return resident_headers(client, sms)


class TestControlCharacters:
    @pytest.mark.parametrize("char", ["\x00", "\x1b", "\x7f", "\x85", "\u202e", "\u2066"])
    def test_staff_login_refuses_them(self, client: TestClient, char: str) -> None:
        body = {"username": f"admin{char}", "password": f"pass{char}word"}
        found = fields(client.post(f"{API}/auth/staff/login", json=body))
        assert ("username", "control_character") in found
        assert ("password", "control_character") in found

    @pytest.mark.parametrize("field", ["address", "employer", "name", "destination_detail"])
    def test_free_text_in_a_declaration_refuses_nul(
        self, client: TestClient, me: dict[str, str], field: str
    ) -> None:
        data = declaration_data("shandong-pass") | {field: "黄河五路\x001号"}
        response = client.post(f"{API}/declarations", json=data, headers=me)
        message = fields(response)[(field, "control_character")]
        assert "第 5 个字符" in message  # said in Chinese, with where it is

    def test_the_message_is_in_english_too(self, client: TestClient, me: dict[str, str]) -> None:
        data = declaration_data() | {"address": "a\x00b"}
        response = client.post(f"{API}/declarations?lang=en", json=data, headers=me)
        assert fields(response)[("address", "control_character")] == (
            "Remove the invisible control character (U+0000) at position 2"
        )

    def test_a_lone_surrogate_is_refused(self, client: TestClient, me: dict[str, str]) -> None:
        """Text that cannot be encoded as UTF-8 (pydantic's JSON parser catches it)."""
        raw = json.dumps(declaration_data()).replace('"pledge"', '"address": "\\ud800", "pledge"')
        response = client.post(
            f"{API}/declarations",
            content=raw.replace('"address": "黄河五路 1 号", ', ""),
            headers=me | {"content-type": "application/json"},
        )
        assert {f for f, _ in fields(response)} == {"address"}

    def test_line_breaks_and_tabs_are_text(self, client: TestClient, me: dict[str, str]) -> None:
        data = declaration_data() | {"address": "黄河五路\n1 号\t东门"}
        assert client.post(f"{API}/declarations", json=data, headers=me).status_code == 201

    def test_a_signature_note_and_a_scanned_token_refuse_nul(
        self, client: TestClient, add_staff: Any
    ) -> None:
        add_staff("issuer01", Role.ISSUER)
        officer = staff_headers(client, "issuer01")
        nobody = "00000000-0000-0000-0000-000000000000"
        body = {"colour": "green", "note": "ok\x00"}
        signed = client.post(f"{API}/applications/{nobody}/signature", json=body, headers=officer)
        assert ("note", "control_character") in fields(signed)
        verified = client.post(f"{API}/verify", json={"token": "CNHC1:\x00"})
        assert ("token", "control_character") in fields(verified)

    def test_page_queries_refuse_nul(self, client: TestClient) -> None:
        assert client.get("/regions.json", params={"q": "滨\x00州"}).status_code == 422

    def test_the_declaration_page_shows_the_error_beside_the_field(
        self, client: TestClient, sms: CapturingSender
    ) -> None:
        sign_in_on_pages(client, sms)
        form = {k: str(v) for k, v in declaration_data().items() if k != "pledge"}
        form |= {
            "address": "黄河五路\x001号",
            "pledge": "yes",
            "csrf_token": page_token(client, "/"),
        }
        page = client.post("/declare/binzhou-code", data=form, headers=HTML)
        assert page.status_code == 422
        assert "第 5 个字符是不可见的控制字符（U+0000），请删除" in page.text


class TestDates:
    @pytest.mark.parametrize("since", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00"])
    def test_revocations_since_the_ends_of_time(self, client: TestClient, since: str) -> None:
        response = client.get(f"{API}/revocations", params={"since": since})
        assert ("since", "date_out_of_range") in fields(response)

    def test_revocations_since_a_real_instant(self, client: TestClient) -> None:
        response = client.get(f"{API}/revocations", params={"since": "2020-02-01T00:00:00+08:00"})
        assert response.status_code == 200

    @pytest.mark.parametrize(
        ("change", "field"),
        [
            (
                {"trips": [{"region": "420100", "start": "0001-01-01", "end": "2020-02-10"}]},
                "trips[0].start",
            ),
            ({"trips": [{"region": "420100", "end": "9999-12-31"}]}, "trips[0].end"),
            (
                {"exposures": [{"kind": "close_contact", "start": "1899-12-31"}]},
                "exposures[0].start",
            ),
        ],
    )
    def test_a_declaration_outside_the_window(
        self, client: TestClient, me: dict[str, str], change: dict[str, Any], field: str
    ) -> None:
        response = client.post(f"{API}/declarations", json=declaration_data() | change, headers=me)
        message = fields(response)[(field, "date_out_of_range")]
        assert "1900-01-01" in message
        assert "2099-12-31" in message

    def test_residence_since_year_one(self, client: TestClient, me: dict[str, str]) -> None:
        data = declaration_data("shandong-pass") | {"residence_since": "0001-01-01"}
        response = client.post(f"{API}/declarations", json=data, headers=me)
        assert ("residence_since", "date_out_of_range") in fields(response)


class TestIntegers:
    @pytest.mark.parametrize("offset", ["9223372036854775808", "1000001", "-1"])
    def test_an_offset_past_any_queue(
        self, client: TestClient, add_staff: Any, offset: str
    ) -> None:
        add_staff("issuer01", Role.ISSUER)
        officer = staff_headers(client, "issuer01")
        response = client.get(f"{API}/applications", params={"offset": offset}, headers=officer)
        assert {f for f, _ in fields(response)} == {"offset"}

    def test_the_last_allowed_offset_answers(self, client: TestClient, add_staff: Any) -> None:
        add_staff("issuer01", Role.ISSUER)
        officer = staff_headers(client, "issuer01")
        response = client.get(f"{API}/applications", params={"offset": 1_000_000}, headers=officer)
        assert response.status_code == 200
        assert response.json()["items"] == []


class TestNumbers:
    @pytest.mark.parametrize("number", ["1e999", "-1e999", "NaN", "Infinity"])
    def test_a_temperature_that_is_no_number(
        self, client: TestClient, me: dict[str, str], number: str
    ) -> None:
        """Python's JSON reads 1e999 as infinity and takes NaN; the refusal quoting the
        value could not be written as JSON, and the answer was a 500."""
        raw = json.dumps(declaration_data()).replace(
            '"temperature": 36.5', f'"temperature": {number}'
        )
        headers = me | {"content-type": "application/json"}
        response = client.post(f"{API}/declarations", content=raw, headers=headers)
        assert ("temperature", "finite_number") in fields(response)


def test_nationality_must_be_an_iso_3166_code(client: TestClient, me: dict[str, str]) -> None:
    data = declaration_data() | {"nationality": "ΑΒΓ"}
    response = client.post(f"{API}/declarations", json=data, headers=me)
    assert ("nationality", "unknown_country") in fields(response)
    fine = declaration_data() | {"nationality": "KOR"}
    assert client.post(f"{API}/declarations", json=fine, headers=me).status_code == 201


class TestBodySize:
    def test_a_chunked_body_past_the_limit_is_too_large_not_a_bad_request(
        self, client: TestClient, me: dict[str, str]
    ) -> None:
        """Without a Content-Length the edge counts the chunks as they come; the
        request was answered 400 "bad_request" (FastAPI's body parsing turned the
        edge's refusal into one), found by probing a served app from outside."""
        body = json.dumps({"temperature": 36.6, "note": "x" * 70_000}).encode()

        def chunks() -> Any:
            for start in range(0, len(body), 8192):
                yield body[start : start + 8192]

        headers = {**me, "Content-Type": "application/json"}
        response = client.post(
            f"{API}/codes/binzhou-code/reports", content=chunks(), headers=headers
        )
        assert "content-length" not in {k.lower() for k in response.request.headers}
        assert (response.status_code, error(response)["code"]) == (413, "body_too_large")
        assert error(response)["message"] == "一次提交的内容过多：不能超过 64 KB"


class TestTooLargeForAPage:
    """A form posted past the body limit was answered with the API's raw JSON; a
    person reads a page in their language that says the limit."""

    def test_a_roster_file_past_the_limit_says_the_files_limit(self, client: TestClient) -> None:
        huge = b"a" * (2 * ROSTER_BYTES + 10)
        response = client.post(
            f"/staff/employers/{uuid.uuid4()}/roster",
            files={"file": ("staff.csv", huge, "text/csv")},
            headers=HTML,
        )
        assert response.status_code == 413
        assert response.headers["content-type"].startswith("text/html")
        assert "文件过大：不能超过 5 MB" in response.text
        assert '"error"' not in response.text

    def test_an_appeals_evidence_past_the_limit_links_back_to_the_appeal_form(
        self, client: TestClient
    ) -> None:
        """The page linked to "/" (my codes): the resident had to find the form again."""
        huge = b"%PDF" + b"a" * (2 * 5 * 1024 * 1024 + 1024 * 1024 + 10)
        response = client.post(
            "/codes/binzhou-code/appeal?lang=en",
            data={"reason": "x", "csrf_token": "x"},
            files={"evidence": ("proof.pdf", huge, "application/pdf")},
            headers=HTML,
        )
        assert response.status_code == 413
        assert "The file is too large: at most 5 MB" in response.text
        assert '<a href="/codes/binzhou-code/appeal">Back to the form</a>' in response.text

    def test_any_form_past_the_limit_is_a_page_saying_the_limit(self, client: TestClient) -> None:
        body = {"phone": "1" * 70_000, "csrf_token": "x"}
        response = client.post("/login/code?lang=en", data=body, headers=HTML)
        assert response.status_code == 413
        assert response.headers["content-type"].startswith("text/html")
        assert "Too much was sent at once: at most 64 KB" in response.text

    def test_a_chunked_form_past_the_limit_is_a_page_too(self, client: TestClient) -> None:
        def chunks() -> Any:
            for _ in range(10):
                yield b"phone=" + b"1" * 8192

        headers = HTML | {"Content-Type": "application/x-www-form-urlencoded"}
        response = client.post("/login/code", content=chunks(), headers=headers)
        assert response.status_code == 413
        assert response.headers["content-type"].startswith("text/html")
        assert "不能超过 64 KB" in response.text

    def test_a_file_whose_name_the_form_parser_refuses_is_a_page_saying_so(
        self, client: TestClient
    ) -> None:
        """A 4,500-character file name passed the form parser's header limit: the
        department's upload page crashed (an outside probe) rather than say why."""
        response = client.post(
            "/staff/records/imports",
            files={"file": ("a" * 4500 + ".csv", b"x", "text/csv")},
            data={"department": "health_commission"},
            headers=HTML,
        )
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("text/html")
        assert "可能是文件名过长" in response.text

    def test_the_api_answers_json_saying_the_limit(self, client: TestClient) -> None:
        response = client.post(f"{API}/auth/otp", json={"phone": "1" * 70_000})
        assert (response.status_code, error(response)["code"]) == (413, "body_too_large")
        assert "64 KB" in error(response)["message"]
