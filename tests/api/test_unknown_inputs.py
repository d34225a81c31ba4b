"""An input a route does not declare is refused with the request's other errors, in
one 422: a client fixing them learns all of them from one answer, not one per try."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.helpers import CapturingSender, Response, error, resident_headers
from tests.factories.images import PNG


def fields(answer: Response) -> list[tuple[str, str, str]]:
    return [(f["field"], f["code"], f["message"]) for f in error(answer)["fields"]]


def test_an_unknown_query_parameter_comes_with_the_others_errors(client: TestClient) -> None:
    """``?fromat=signed`` alone was reported; the ``since`` too long to be a version
    came only on the next try."""
    answer = client.get("/api/v1/trust-list", params={"fromat": "signed", "since": "9" * 41})
    assert answer.status_code == 422, answer.text
    assert fields(answer) == [
        ("fromat", "extra_forbidden", "未知字段"),
        ("since", "string_too_long", "最多 40 个字符"),
    ]


def test_an_unknown_query_parameter_comes_with_the_bodys_errors(client: TestClient) -> None:
    """The order is stable: the inputs the route does not declare first (the query's,
    then the form's), then its own checks (path, query, headers, body)."""
    answer = client.post("/api/v1/verify?debug=1&lang=en", json={"tokn": "HC1:x", "id_number": 5})
    assert answer.status_code == 422, answer.text
    assert [(f, c) for f, c, _ in fields(answer)] == [
        ("debug", "extra_forbidden"),
        ("token", "missing"),
        ("id_number", "string_type"),
        ("tokn", "extra_forbidden"),
    ]
    assert [m for _, _, m in fields(answer)] == [
        "Unknown field",
        "This field is required",
        "Not text",
        "Unknown field",
    ]


def test_a_repeated_query_parameter_comes_with_the_others_errors(client: TestClient) -> None:
    answer = client.get("/api/v1/trust-list?format=signed&format=jwks&since=" + "9" * 41)
    assert [(f, c) for f, c, _ in fields(answer)] == [
        ("format", "query_repeated"),
        ("since", "string_too_long"),
    ]


def test_an_unknown_form_field_comes_with_the_forms_errors(
    client: TestClient, sms: CapturingSender
) -> None:
    """An appeal sent with ``evidence_note`` and no reason: the reason's absence was
    told only once the unknown field had been taken out."""
    headers = resident_headers(client, sms)
    sent = client.post(
        "/api/v1/appeals",
        data={"policy": "binzhou-code", "evidence_note": "行程卡截图"},
        files={"evidence": ("行程卡.png", PNG, "image/png")},
        headers=headers,
    )
    assert sent.status_code == 422, sent.text
    assert fields(sent) == [
        ("evidence_note", "extra_forbidden", "未知字段"),
        ("reason", "missing", "此项为必填"),
    ]
    nameless = client.post(
        "/api/v1/appeals",
        data={"policy": "binzhou-code", "reason": "行程卡显示我未去过该地区", "": "x"},
        files={"evidence": ("行程卡.png", PNG, "image/png")},
        headers=headers,
    )
    assert [(f, c) for f, c, _ in fields(nameless)] == [("body", "name_empty")]


@pytest.mark.parametrize("query", ["=x", "&=", "format=jwks&=x&=y"])
def test_a_query_parameter_without_a_name_is_told_as_such(client: TestClient, query: str) -> None:
    """``?=x`` was an unknown field named "body", which the request had none of."""
    answer = client.get(f"/api/v1/trust-list?{query}")
    assert answer.status_code == 422, answer.text
    [(field, code, message)] = fields(answer)
    assert (field, code) == ("query", "name_empty")
    assert "名称为空" in message
    english = client.get(f"/api/v1/trust-list?{query}&lang=en")
    assert "name is empty" in fields(english)[0][2]
