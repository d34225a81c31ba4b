"""The resident's API: own data only, real tokens and QR images, clear 4xx for bad input,
and nothing half-written when a request fails."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.store import tables as t
from tests.api.helpers import (
    CapturingSender,
    declare,
    error,
    resident_headers,
    staff_headers,
)
from tests.factories.inputs import declaration_data
from tests.factories.qr import decode
from tests.factories.scanning import twin_id

API = "/api/v1"


@pytest.fixture
def me(client: TestClient, sms: CapturingSender) -> dict[str, str]:
    return resident_headers(client, sms)


def count(sessions: sessionmaker[Session], table: type[Any]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(table)) or 0


class TestCode:
    def test_declare_and_see_the_reasons_in_chinese_then_english(
        self, client: TestClient, me: dict[str, str]
    ) -> None:
        code = declare(client, me, declaration_data(exposures=[{"kind": "close_contact"}]))
        assert (code["colour"], code["colour_label"]) == ("red", "红码")
        assert code["reasons"][0]["rule_id"] == "BZ-RED-CLOSE-CONTACT"
        assert code["reasons"][0]["text"] == "您申报为密切接触者。"
        english = client.get(f"{API}/codes/binzhou-code", headers=me, params={"lang": "en"})
        assert english.json()["reasons"][0]["text"].startswith("You declared")
        assert english.json()["next_change"]["text"].startswith("Green code on 2020-03-08")

    def test_the_token_verifies_online(self, client: TestClient, me: dict[str, str]) -> None:
        declare(client, me, declaration_data())
        token = client.get(f"{API}/codes/binzhou-code/token", headers=me)
        assert token.headers["cache-control"] == "no-store"
        assert token.json()["token"].startswith("CNHC1:")
        result = client.post(f"{API}/verify", json={"token": token.json()["token"]}).json()
        assert (result["valid"], result["may_pass"]) == (True, True)
        assert result["claims"]["colour"] == "green"
        assert result["claims"]["masked_name"] == "张*"

    @pytest.mark.parametrize("around", [("", "\n"), ("", "\r\n"), (" ", " ")])
    def test_whitespace_around_the_token_is_trimmed_as_the_cli_does(
        self, client: TestClient, me: dict[str, str], around: tuple[str, str]
    ) -> None:
        """zbarimg prints the text with a newline; /verify accepts what the CLI does."""
        declare(client, me, declaration_data())
        token = client.get(f"{API}/codes/binzhou-code/token", headers=me).json()["token"]
        sent = around[0] + token + around[1]
        result = client.post(f"{API}/verify", json={"token": sent}).json()
        assert (result["valid"], result["may_pass"], result["reason"]) == (True, True, None)

    def test_the_qr_image_decodes_to_a_valid_token(
        self, client: TestClient, me: dict[str, str]
    ) -> None:
        declare(client, me, declaration_data(temperature=37.6))
        png = client.get(f"{API}/codes/binzhou-code/qr.png", headers=me)
        assert png.headers["content-type"] == "image/png"
        found = decode(png.content)
        result = client.post(f"{API}/verify", json={"token": found.text}).json()
        assert (result["valid"], result["claims"]["colour"]) == (True, "yellow")
        assert result["may_pass"] is False  # genuine, but a yellow code does not pass

    def test_a_tampered_token_is_refused_with_the_reason(
        self, client: TestClient, me: dict[str, str]
    ) -> None:
        declare(client, me, declaration_data())
        token = client.get(f"{API}/codes/binzhou-code/token", headers=me).json()["token"]
        forged = token[:-3] + ("AAA" if token[-3:] != "AAA" else "BBB")
        result = client.post(f"{API}/verify", json={"token": forged}).json()
        assert result["valid"] is False
        assert result["reason"] in {"bad_signature", "bad_encoding"}

    def test_no_code_before_declaring(self, client: TestClient, me: dict[str, str]) -> None:
        response = client.get(f"{API}/codes/binzhou-code/token", headers=me)
        assert (response.status_code, error(response)["code"]) == (409, "no_code")

    def test_trust_list_is_public_and_cacheable(self, client: TestClient) -> None:
        response = client.get(f"{API}/trust-list")
        assert response.headers["cache-control"] == "public, max-age=300"
        [key] = response.json()["keys"]
        assert (key["kty"], key["crv"], key["alg"]) == ("OKP", "Ed25519", "EdDSA")


class TestOwnDataOnly:
    def test_without_a_session_nothing(self, client: TestClient) -> None:
        assert client.get(f"{API}/codes/binzhou-code").status_code == 401

    def test_another_residents_declaration_is_not_found(
        self, client: TestClient, sms: CapturingSender, me: dict[str, str]
    ) -> None:
        submitted = client.post(f"{API}/declarations", json=declaration_data(), headers=me)
        other = resident_headers(client, sms, "13900002222")
        stolen = client.post(f"{API}/declarations/{submitted.json()['id']}/confirm", headers=other)
        assert stolen.status_code == 404

    def test_staff_cannot_act_as_a_resident(self, client: TestClient, add_staff: Any) -> None:
        add_staff("issuer01")
        issuer = staff_headers(client, "issuer01")
        response = client.get(f"{API}/codes/binzhou-code", headers=issuer)
        assert response.status_code == 403


BAD_INPUT = [
    ("malformed ID number", {"id_number": "370102199003071235"}, 422, "id_number", "check_char"),
    ("15-digit ID", {"id_number": "370102900307123"}, 422, "id_number", "first_generation"),
    ("20 ℃", {"temperature": 20}, 422, "temperature", "out_of_range"),
    ("45 ℃", {"temperature": 45}, 422, "temperature", "out_of_range"),
    ("°F", {"temperature": 98.6}, 422, "temperature", "fahrenheit"),
    ("37.26 ℃: two decimals", {"temperature": 37.26}, 422, "temperature", "decimals"),
    ("temperature: true", {"temperature": True}, 422, "temperature", "float_type"),
    (
        "future trip",
        {"trips": [{"region": "110101", "end": "2020-02-24"}]},
        422,
        "trips[0].end",
        "future_date",
    ),
    ("pledge refused", {"pledge": False}, 422, "pledge", "pledge_required"),
    ("pledge missing", {"pledge": None}, 422, "pledge", "missing"),
    # only JSON true pledges (stop 43, an outside probe: "yes" was a pledge, 201)
    ("pledge as a word", {"pledge": "yes"}, 422, "pledge", "bool_type"),
    ("pledge as a number", {"pledge": 1}, 422, "pledge", "bool_type"),
    ("pledge as a string", {"pledge": "true"}, 422, "pledge", "bool_type"),
    (
        "not a date",
        {"residence_since": "yesterday"},
        422,
        "residence_since",
        "date_from_datetime_parsing",
    ),
    # a number, or digits, was read as seconds since 1970: 1970-01-01, and August 1970
    ("a date as a number", {"residence_since": 0}, 422, "residence_since", "date_type"),
    (
        "a date as digits",
        {"trips": [{"region": "110101", "end": "20200220"}]},
        422,
        "trips[0].end",
        "date_parsing",
    ),
    ("unknown field", {"blood_type": "O"}, 422, "blood_type", "extra_forbidden"),
    ("unknown symptom", {"symptoms": ["sneezing"]}, 422, "symptoms[0]", "enum"),
    ("unknown policy", {"policy": "wuhan-code"}, 422, "policy", "unknown_policy"),
]


@pytest.mark.parametrize(
    ("change", "status", "field", "code"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_bad_input_gets_a_clear_4xx_naming_the_field(
    client: TestClient,
    me: dict[str, str],
    change: dict[str, Any],
    status: int,
    field: str,
    code: str,
) -> None:
    data = declaration_data()
    data.update({k: v for k, v in change.items() if v is not None})
    for k in (k for k, v in change.items() if v is None):
        del data[k]
    response = client.post(f"{API}/declarations", json=data, headers=me)
    assert response.status_code == status, response.text
    fields = {(f["field"], f["code"]): f["message"] for f in error(response)["fields"]}
    assert (field, code) in fields, fields
    assert any("\u4e00" <= ch <= "\u9fff" for ch in fields[(field, code)])  # said in Chinese


class TestMalformedRequests:
    def test_wrong_content_type(self, client: TestClient, me: dict[str, str]) -> None:
        response = client.post(
            f"{API}/declarations",
            content=b"name=x",
            headers={**me, "content-type": "application/x-www-form-urlencoded"},
        )
        assert (response.status_code, error(response)["code"]) == (415, "unsupported_media_type")

    def test_oversized_body(self, client: TestClient, me: dict[str, str]) -> None:
        body = b'{"name": "' + b"x" * 70_000 + b'"}'
        response = client.post(
            f"{API}/declarations", content=body, headers={**me, "content-type": "application/json"}
        )
        assert (response.status_code, error(response)["code"]) == (413, "body_too_large")

    def test_broken_json(self, client: TestClient, me: dict[str, str]) -> None:
        response = client.post(
            f"{API}/declarations",
            content=b'{"name": ',
            headers={**me, "content-type": "application/json"},
        )
        assert response.status_code == 422
        [field] = error(response)["fields"]
        assert (field["field"], field["code"]) == ("body", "json_invalid")  # was "[9]"


class TestNothingHalfWritten:
    def test_a_crash_while_confirming_keeps_nothing(
        self,
        client: TestClient,
        me: dict[str, str],
        sessions: sessionmaker[Session],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        submitted = client.post(f"{API}/declarations", json=declaration_data(), headers=me)
        declaration_id = submitted.json()["id"]

        def crash(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("the database went away")

        monkeypatch.setattr("healthcode.services.residents.declarations.recolour", crash)
        with TestClient(client.app, raise_server_exceptions=False) as fragile:
            response = fragile.post(f"{API}/declarations/{declaration_id}/confirm", headers=me)
        assert (response.status_code, error(response)["code"]) == (500, "internal_error")
        with sessions() as session:
            row = session.get(t.Declaration, uuid.UUID(declaration_id))
            assert row is not None
            assert row.confirmed_at is None
        assert count(sessions, t.Code) == 0

    def test_a_crash_while_declaring_leaves_no_resident(
        self,
        client: TestClient,
        me: dict[str, str],
        sessions: sessionmaker[Session],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        def crash(*_args: object, **_kwargs: object) -> None:
            raise RuntimeError("disk full")

        monkeypatch.setattr("healthcode.services.residents.declarations.dump_health", crash)
        with TestClient(client.app, raise_server_exceptions=False) as fragile:
            response = fragile.post(f"{API}/declarations", json=declaration_data(), headers=me)
        assert response.status_code == 500
        assert count(sessions, t.Resident) == 0
        assert count(sessions, t.Declaration) == 0


class TestIdCardLane:
    """A checkpoint compares the code with the ID card shown (冒用他人健康码)."""

    def test_the_holders_card_matches_and_anothers_does_not(
        self, client: TestClient, me: dict[str, str]
    ) -> None:
        data = declaration_data()
        declare(client, me, data)
        token = client.get(f"{API}/codes/binzhou-code/token", headers=me).json()["token"]
        mine = client.post(f"{API}/verify", json={"token": token, "id_number": data["id_number"]})
        assert mine.json()["valid"] is True
        someone_else = declaration_data()["id_number"]
        theirs = client.post(f"{API}/verify", json={"token": token, "id_number": someone_else})
        assert (theirs.json()["valid"], theirs.json()["reason"]) == (False, "wrong_person")
        assert theirs.json()["message"].startswith("此码不属于出示人")

    def test_a_card_sharing_only_the_visible_characters_is_anothers(
        self, client: TestClient, me: dict[str, str]
    ) -> None:
        """Online, the whole number decides: ``/verify`` passed a card whose first and
        last four characters were the holder's (an outside probe, stop 43)."""
        data = declaration_data()
        declare(client, me, data)
        token = client.get(f"{API}/codes/binzhou-code/token", headers=me).json()["token"]
        twin = twin_id(data["id_number"])
        theirs = client.post(f"{API}/verify", json={"token": token, "id_number": twin})
        assert (theirs.json()["valid"], theirs.json()["reason"]) == (False, "wrong_person")

    def test_a_malformed_card_number_is_a_field_error(
        self, client: TestClient, me: dict[str, str]
    ) -> None:
        declare(client, me, declaration_data())
        token = client.get(f"{API}/codes/binzhou-code/token", headers=me).json()["token"]
        response = client.post(f"{API}/verify", json={"token": token, "id_number": "123"})
        assert (response.status_code, error(response)["fields"][0]["field"]) == (422, "id_number")


def test_a_value_not_offered_is_named_in_words_and_the_allowed_ones_go_to_the_client(
    client: TestClient, me: dict[str, str]
) -> None:
    """It said "只能是以下之一：'fever', 'dry_cough' … or 'other'": codes, an English
    "or", inside a Chinese sentence (found by probing the pages in Chinese)."""
    data = declaration_data() | {"symptoms": ["sneezing"]}
    response = client.post(f"{API}/declarations", json=data, headers=me)
    [field] = error(response)["fields"]
    assert field["message"] == "请从给出的选项中选择"
    assert "fever" in field["params"]["expected"]


@pytest.mark.parametrize(
    ("change", "field", "zh", "en"),
    [
        (
            {"symptoms": ["dry_cough"]},
            "symptoms[0]",
            "此码不需要填写“持续干咳”",
            "'Persistent dry cough' is not asked for this code",
        ),
        (
            {"exposures": [{"kind": "high_risk_contact"}]},
            "exposures[0].kind",
            "此码不需要填写“我与湖北等疫情高发地区人员有接触史”",
            "'I was in contact with people from Hubei or another high-incidence area' is not "
            "asked for this code",
        ),
    ],
    ids=["symptom", "contact"],
)
def test_a_value_the_code_does_not_ask_is_named_in_the_forms_words(
    client: TestClient, me: dict[str, str], change: dict[str, Any], field: str, zh: str, en: str
) -> None:
    """Stop 43, an outside probe: "此码不需要填写“dry_cough”" named the internal value."""
    data = declaration_data() | change  # binzhou-code asks neither
    for lang, expected in (("zh", zh), ("en", en)):
        response = client.post(f"{API}/declarations?lang={lang}", json=data, headers=me)
        assert response.status_code == 422, response.text
        fields = {f["field"]: f for f in error(response)["fields"]}
        assert (fields[field]["code"], fields[field]["message"]) == ("not_asked", expected)
