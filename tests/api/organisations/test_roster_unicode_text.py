"""An employer's staff list saved by Excel as "Unicode text" (UTF-16 with its BOM,
tab-separated, .txt), over HTTP: refused as "not a CSV or XLSX file" (its NUL bytes
taken for a binary file), it is read as the CSV of the same rows is, with the same
report; without its BOM it is refused saying how to save it; the roster page names
the format."""

from __future__ import annotations

import codecs
import uuid
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.api.helpers import PASSWORD, staff_headers
from tests.api.organisations.test_employers import _company
from tests.api.pages import HTML, page_token
from tests.factories.roster import staff_csv, staff_id, staff_rows, wrong_check_char

ROWS = [*staff_rows(2), ("钱伟", wrong_check_char(staff_id(30)), "", "销售部")]


def unicode_text(rows: list[tuple[str, str, str, str]], byte_order: str = "le") -> bytes:
    """The rows as Excel's "Unicode text": UTF-16 with its BOM, tabs, CRLF."""
    bom = codecs.BOM_UTF16_LE if byte_order == "le" else codecs.BOM_UTF16_BE
    return bom + staff_csv(rows, encoding=f"utf-16-{byte_order}", delimiter="\t")


def upload(client: TestClient, company: uuid.UUID, content: bytes, name: str) -> Any:
    return client.post(
        f"/api/v1/employers/{company}/roster/imports",
        files={"file": (name, content, "text/plain")},
        headers=staff_headers(client, "hr.bohai"),
    )


def without_batch(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k != "batch"}


@pytest.fixture
def company(app: FastAPI, sessions: sessionmaker[Session]) -> uuid.UUID:
    return _company(app, sessions, "hr.bohai", "渤海示范机械有限公司")


@pytest.mark.parametrize("byte_order", ["le", "be"])
def test_a_unicode_text_roster_is_read_as_its_csv(
    client: TestClient,
    app: FastAPI,
    sessions: sessionmaker[Session],
    company: uuid.UUID,
    byte_order: str,
) -> None:
    read = upload(client, company, unicode_text(ROWS, byte_order), "员工名单.txt")

    assert read.status_code == 200, read.text
    body = read.json()
    assert (body["added"], body["refused"]) == (2, 1)
    [refusal] = body["refusals"]
    assert (refusal["line"], refusal["field"], refusal["code"]) == (4, "id_number", "check_char")
    assert "最后一位应为" in refusal["message"]
    hr = staff_headers(client, "hr.bohai")
    roster = client.get(f"/api/v1/employers/{company}/roster", headers=hr).json()
    assert {m["name"] for m in roster["staff"]} == {"李敏", "王建国"}
    assert {m["department"] for m in roster["staff"]} == {"生产部"}
    other = _company(app, sessions, "hr.other", "另一家公司")
    sent = client.post(
        f"/api/v1/employers/{other}/roster/imports",
        files={"file": ("员工名单.csv", staff_csv(ROWS), "text/csv")},
        headers=staff_headers(client, "hr.other"),
    )
    assert without_batch(sent.json()) == without_batch(body)


def test_utf16_without_its_bom_is_refused_saying_how_to_save_it(
    client: TestClient, company: uuid.UUID
) -> None:
    content = staff_csv(ROWS, encoding="utf-16-le", delimiter="\t")

    refused = upload(client, company, content, "员工名单.txt")

    assert refused.status_code == 422, refused.text
    [field] = refused.json()["error"]["fields"]
    assert (field["field"], field["code"]) == ("file", "utf16_without_bom")
    assert field["message"].startswith("文件是不带字节顺序标记（BOM）的 UTF-16 文本")
    assert "另存为“Unicode 文本”" in field["message"]
    hr = staff_headers(client, "hr.bohai")
    assert client.get(f"/api/v1/employers/{company}/roster", headers=hr).json()["total"] == 0


def test_the_roster_page_names_excels_unicode_text(client: TestClient, company: uuid.UUID) -> None:
    token = page_token(client, "/staff/login")
    client.post(
        "/staff/login",
        data={"username": "hr.bohai", "password": PASSWORD, "csrf_token": token},
        headers=HTML,
    )

    page = client.get(f"/staff/employers/{company}/roster", headers=HTML)

    assert page.status_code == 200, page.text[:300]
    assert "CSV（UTF-8 或 GBK 编码）、Excel 另存的“Unicode 文本”（.txt）或 XLSX 文件" in page.text
    assert 'accept=".csv,.txt,' in page.text
