"""The department API after an outside probe (stop 44), over HTTP: a file name of
4,500 characters, a name without an extension and the format named instead, and
the audit log naming the address an import or a rollback came from."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.records import Department
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import CapturingSender
from tests.api.records.test_department_import import (
    department_key,
    refused_rows,
    resident,
)

ENGLISH = {"Accept-Language": "en"}


def upload(
    client: TestClient,
    key: str,
    name: str,
    data: bytes,
    query: str = "",
    headers: dict[str, str] | None = None,
) -> Any:
    return client.post(
        f"/api/v1/records/imports?kind=close_contact{query}",
        files={"file": (name, data, "text/csv")},
        headers={"X-Api-Key": key, **(headers or {})},
    )


def audit_details(sessions: sessionmaker[Session], action: str) -> list[dict[str, Any]]:
    uow = UnitOfWork(sessions())
    try:
        query = select(t.AuditEvent.detail).where(t.AuditEvent.action == action)
        return list(uow.session.scalars(query))
    finally:
        uow.close()


@pytest.mark.parametrize("length", [300, 4500])
def test_a_file_name_too_long_is_refused_naming_the_file(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], length: int
) -> None:
    """4,500 characters were a bare 400 ``bad_request`` naming nothing (the multipart
    parser's limit on a part's header); 300 were cut to 255 without a word."""
    key = department_key(app, sessions, Department.HEALTH)
    name = "a" * (length - 4) + ".csv"
    data = b"source_id,id_number,start\r\n"

    refused = upload(client, key, name, data)

    assert refused.status_code == 422, refused.text
    [field] = refused.json()["error"]["fields"]
    assert (field["field"], field["code"]) == ("file", "name_too_long")
    assert field["message"] == "文件名过长：最多 255 个字符。请重命名文件后重新发送"
    english = upload(client, key, name, data, headers=ENGLISH).json()["error"]["fields"][0]
    assert english["message"].startswith("The file's name is too long: at most 255 characters")


def test_a_name_without_extension_is_refused_unless_its_format_is_given(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    """ "upload" was refused as "未知的文件类型 ：…", the type left blank."""
    key = department_key(app, sessions, Department.HEALTH)
    _, number = resident(client, sms, "13900001111")
    data = f"source_id,id_number,start\r\nCC-1,{number},2020-02-22\r\n".encode()

    refused = upload(client, key, "upload", data)

    assert refused.status_code == 422, refused.text
    [field] = refused.json()["error"]["fields"]
    assert (field["field"], field["code"]) == ("file", "no_extension")
    assert field["message"].startswith("文件名“upload”没有扩展名")
    wrong = upload(client, key, "upload", data, "&format=pdf")
    assert wrong.status_code == 422, wrong.text
    assert [f["field"] for f in wrong.json()["error"]["fields"]] == ["format"]
    taken = upload(client, key, "upload", data, "&format=csv")
    assert taken.status_code == 200, taken.text
    assert taken.json()["added"] == 1


def test_an_import_and_its_rollback_are_logged_with_the_callers_address(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    """Imports wrote no audit event: who sent a file, from where, was nowhere."""
    sent, staff = refused_rows(client, app, sessions, 2)
    rolled = client.post(f"/api/v1/records/imports/{sent['batch']}/rollback", headers=staff)
    assert rolled.status_code == 200, rolled.text

    [imported] = audit_details(sessions, "records.imported")
    [rollback] = audit_details(sessions, "records.rollback")
    assert {k: imported[k] for k in ("batch", "client", "address", "kind", "rows", "refused")} == {
        "batch": sent["batch"],
        "client": "health-system",
        "address": "testclient",
        "kind": "close_contact",
        "rows": 2,
        "refused": 2,
    }
    assert (rollback["batch"], rollback["address"]) == (sent["batch"], "testclient")
