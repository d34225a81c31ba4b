"""Excel's "Unicode text" sent over HTTP: a department system's tab-separated UTF-16
file (with its BOM, named .txt) turns the residents it lists red, a bad row reported
with its line; without its BOM it is refused saying how to save it; the upload page
names the format."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.records import Department, ImportKind
from healthcode.services.accounts.login import create_staff
from healthcode.services.accounts.permissions import Role
from tests.api.helpers import PASSWORD, CapturingSender, in_tx
from tests.api.pages import HTML, page_token
from tests.api.records.test_department_import import department_key, resident
from tests.services.records.test_unicode_text_files import HEADER, table, unicode_text


def send(client: TestClient, key: str, data: bytes) -> Any:
    return client.post(
        "/api/v1/records/imports?kind=close_contact",
        files={"file": ("密接名单.txt", data, "text/plain")},
        headers={"X-Api-Key": key},
    )


def test_a_unicode_text_file_turns_the_listed_resident_red(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    key = department_key(app, sessions, Department.HEALTH, ImportKind.CLOSE_CONTACT)
    listed, number = resident(client, sms, "13900001111")
    other, _ = resident(client, sms, "13900002222")
    rows = [
        HEADER,
        ("BZCDC-0001", number, "张三", "2020-02-22", "发热, 咳嗽"),
        ("BZCDC-0002", "12345", "李四", "2020-02-22", ""),
    ]

    response = send(client, key, unicode_text(rows))

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["added"], body["refused"], body["unmatched"]) == (1, 1, 0)
    [refusal] = body["refusals"]
    assert (refusal["line"], refusal["field"]) == (3, "id_number")
    assert "身份证号" in refusal["message"]
    code = client.get("/api/v1/codes/binzhou-code", headers=listed).json()
    assert code["colour"] == "red"
    assert code["reasons"][0]["rule_id"] == "BZ-RED-RECORD-CONTACT"
    assert client.get("/api/v1/codes/binzhou-code", headers=other).json()["colour"] == "green"


def test_utf16_without_its_bom_is_refused_saying_how_to_save_it(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    key = department_key(app, sessions, Department.HEALTH)
    listed, number = resident(client, sms, "13900001111")
    rows = [HEADER, ("BZCDC-0001", number, "张三", "2020-02-22", "")]

    refused = send(client, key, table(rows, delimiter="\t", encoding="utf-16-le", bom=False))

    assert refused.status_code == 422, refused.text
    answer = refused.json()["error"]
    assert answer["code"] == "utf16_without_bom"
    assert "另存为“Unicode 文本”（会写入 BOM）或“CSV UTF-8（逗号分隔）”" in answer["message"]
    assert client.get("/api/v1/codes/binzhou-code", headers=listed).json()["colour"] == "green"


def test_the_upload_page_names_excels_unicode_text(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    in_tx(app, sessions, lambda uow, env: create_staff(
        uow, env, username="data.cc", password=PASSWORD, display_name="数据专员",
        roles=[(Role.DATA_OPERATOR, "")],
    ))  # fmt: skip
    token = page_token(client, "/staff/login")
    client.post(
        "/staff/login",
        data={"username": "data.cc", "password": PASSWORD, "csrf_token": token},
        headers=HTML,
    )

    page = client.get("/staff/records/imports", headers=HTML)

    assert page.status_code == 200, page.text[:300]
    assert "Excel 另存的“Unicode 文本”（UTF-16，制表符分隔的 .txt）" in page.text
    assert 'accept=".csv,.txt,' in page.text
