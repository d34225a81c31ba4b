"""Issue 13's first "done when": a close-contact file from the health commission,
sent as a department sends it (the API, with its own key), turns exactly those
residents red, with the record named as the reason."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from healthcode.app import create_app
from healthcode.config import Settings
from healthcode.domain.clock import FixedClock
from healthcode.domain.records import Department, ImportKind
from healthcode.jobs import recolouring
from healthcode.jobs.recolouring import THREAD
from healthcode.services.accounts.login import create_staff
from healthcode.services.accounts.permissions import Role
from healthcode.services.records.clients import add_client
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import (
    PASSWORD,
    CapturingSender,
    declare,
    in_tx,
    resident_headers,
    staff_headers,
)
from tests.api.pages import HTML, sign_in_on_pages
from tests.factories.inputs import declaration_data, id_number


def department_key(
    app: FastAPI, sessions: sessionmaker[Session], department: Department, *kinds: ImportKind
) -> str:
    uow = UnitOfWork(sessions())
    made = add_client(
        uow, app.state.env, name=f"{department.value}-system", department=department, kinds=kinds
    )
    uow.commit()
    uow.close()
    return made.key


def resident(client: TestClient, sms: CapturingSender, phone: str) -> tuple[dict[str, str], str]:
    headers = resident_headers(client, sms, phone)
    number = id_number()
    assert declare(client, headers, declaration_data(id_number=number))["colour"] == "green"
    return headers, number


def send(client: TestClient, key: str, data: bytes, kind: str = "close_contact") -> Any:
    return client.post(
        f"/api/v1/records/imports?kind={kind}",
        files={"file": ("密接名单.csv", data, "text/csv")},
        headers={"X-Api-Key": key},
    )


def test_a_close_contact_file_turns_exactly_those_residents_red(
    client: TestClient,
    app: FastAPI,
    sessions: sessionmaker[Session],
    sms: CapturingSender,
    clock: FixedClock,
) -> None:
    key = department_key(app, sessions, Department.HEALTH, ImportKind.CLOSE_CONTACT)
    listed, number = resident(client, sms, "13900001111")
    other, _ = resident(client, sms, "13900002222")
    data = f"记录编号,身份证号,姓名,开始日期\r\nBZCDC-0001,{number},张三,2020-02-22\r\n".encode(
        "gbk"
    )

    response = send(client, key, data)

    assert response.status_code == 200, response.text
    assert {k: response.json()[k] for k in ("added", "refused", "unmatched")} == {
        "added": 1,
        "refused": 0,
        "unmatched": 0,
    }
    code = client.get("/api/v1/codes/binzhou-code", headers=listed).json()
    assert code["colour"] == "red"
    reason = code["reasons"][0]
    assert reason["rule_id"] == "BZ-RED-RECORD-CONTACT"
    assert "密切接触者" in reason["text"]
    assert reason["evidence"][0]["kind"] == "record"
    history = client.get("/api/v1/codes/binzhou-code/history", headers=listed).json()
    assert history[0]["to_colour"] == "red"
    assert history[0]["cause"] == "data"
    # the department and the kind of record, never the department's file name (an
    # internal detail, often a member of staff's name)
    assert (history[0]["department"], history[0]["record_kind"]) == ("health", "close_contact")
    assert history[0]["note"] == ""
    assert "密接名单" not in str(history)
    assert client.get("/api/v1/codes/binzhou-code", headers=other).json()["colour"] == "green"
    clock.advance(timedelta(minutes=2))  # another code for the pages' sign-in
    sign_in_on_pages(client, sms, "13900001111")
    page = client.get("/codes/binzhou-code/history", headers=HTML)
    assert page.status_code == 200
    assert "卫生健康部门 · 密切接触者" in page.text
    assert "密接名单" not in page.text
    assert "两名工作人员" not in page.text  # it was shown as a manual change's reason


def test_a_refused_row_is_reported_in_the_callers_words(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    key = department_key(app, sessions, Department.HEALTH)
    data = b"source_id,id_number,start\r\nX-1,370000000000000000,2020-02-22\r\n"
    body = send(client, key, data).json()
    assert body["refused"] == 1
    refusal = body["refusals"][0]
    assert (refusal["line"], refusal["field"]) == (2, "id_number")
    assert refusal["message"]  # translated, not empty


@pytest.mark.parametrize(
    ("key_of", "status"),
    [("none", 401), ("wrong", 401), ("carrier", 403)],
)
def test_only_a_department_client_may_send_and_only_its_kinds(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], key_of: str, status: int
) -> None:
    keys = {
        "none": "",
        "wrong": "hcd_not-a-key",
        "carrier": department_key(app, sessions, Department.CARRIER),
    }
    data = b"source_id,id_number,start\r\n"
    headers = {"X-Api-Key": keys[key_of]} if keys[key_of] else {}
    response = client.post(
        "/api/v1/records/imports?kind=close_contact",
        files={"file": ("a.csv", data, "text/csv")},
        headers=headers,
    )
    assert response.status_code == status, response.text


def test_a_database_lost_after_the_commit_leaves_the_recolouring_owed(
    client: TestClient,
    app: FastAPI,
    sessions: sessionmaker[Session],
    sms: CapturingSender,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The file is in: the department is told so (not a 500 it would send again), and
    the recolouring the lost database cut off is finished by the job."""
    key = department_key(app, sessions, Department.HEALTH, ImportKind.CLOSE_CONTACT)
    listed, number = resident(client, sms, "13900003333")
    data = f"source_id,id_number,start\r\nBZCDC-0009,{number},2020-02-22\r\n".encode()

    def lost(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT", {}, Exception("server closed the connection"))

    with monkeypatch.context() as patched:
        patched.setattr(recolouring, "recolour_batch", lost)
        response = send(client, key, data)

    assert response.status_code == 200, response.text
    assert response.json()["added"] == 1
    assert client.get("/api/v1/codes/binzhou-code", headers=listed).json()["colour"] == "green"
    units, env = app.state.uow_factory, app.state.env
    pending = recolouring.recolour_pending(units, env, grace=timedelta(0))
    assert pending.done == (uuid.UUID(response.json()["batch"]),)
    assert client.get("/api/v1/codes/binzhou-code", headers=listed).json()["colour"] == "red"


def refused_rows(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], count: int
) -> tuple[dict[str, Any], dict[str, str]]:
    """A health file of ``count`` rows, each refused (a bad ID number); the import's
    answer and a data operator's headers."""
    key = department_key(app, sessions, Department.HEALTH)
    rows = "".join(f"X-{i},1234{i},2020-02-22\r\n" for i in range(count))
    sent = send(client, key, f"source_id,id_number,start\r\n{rows}".encode()).json()
    assert sent["refused"] == count
    in_tx(app, sessions, lambda uow, env: create_staff(
        uow, env, username="data.cc", password=PASSWORD, display_name="数据专员",
        roles=[(Role.DATA_OPERATOR, "")],
    ))  # fmt: skip
    return sent, staff_headers(client, "data.cc")


def test_an_operator_reads_every_refused_row_as_a_file(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    sent, staff = refused_rows(client, app, sessions, 3)
    got = client.get(f"/api/v1/records/imports/{sent['batch']}/refused.csv", headers=staff)

    assert got.status_code == 200, got.text
    assert got.headers["content-type"] == "text/csv; charset=utf-8"
    lines = got.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "行号,列,原因"
    expected = [[str(n), "身份证号 (id_number)"] for n in (2, 3, 4)]  # the header either way
    assert [line.split(",")[:2] for line in lines[1:]] == expected


def test_refused_rows_past_those_kept_are_named_in_the_file(
    client: TestClient,
    app: FastAPI,
    sessions: sessionmaker[Session],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Past the rows kept (10,000) the rest are counted, not listed; the page said the
    file "has every one" (it now says how many were not kept) and the file stopped
    without a word, so a department fixing
    it lost the rest (an outside probe with 11,765 refused rows). Kept: 2 here."""
    from healthcode.services.records import batches, imports

    monkeypatch.setattr(imports, "MAX_REFUSALS_KEPT", 2)
    monkeypatch.setattr(batches, "EVERY", 2)
    sent, staff = refused_rows(client, app, sessions, 5)
    got = client.get(f"/api/v1/records/imports/{sent['batch']}/refused.csv", headers=staff)
    lines = got.content.decode("utf-8-sig").splitlines()
    assert [line.split(",")[0] for line in lines[1:]] == ["2", "3", "…"]
    assert lines[-1].endswith("此后另有 3 行被拒绝，已计数但未保存")


def test_a_large_file_is_answered_at_once_and_recoloured_after(
    settings: Settings, clock: FixedClock, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    """More records than ``recolour_inline_records``: the department's answer does not
    wait for the recolouring, which a thread of the server finishes."""
    app = create_app(
        settings.model_copy(update={"recolour_inline_records": 0}),
        clock=clock,
        sessions=sessions,
        otp_sender=sms,
    )
    with TestClient(app) as client:
        key = department_key(app, sessions, Department.HEALTH, ImportKind.CLOSE_CONTACT)
        listed, number = resident(client, sms, "13900004444")
        data = f"source_id,id_number,start\r\nBIG-1,{number},2020-02-22\r\n".encode()

        answer = send(client, key, data).json()

        assert answer["recolour_pending"] is True
        [running] = [t for t in threading.enumerate() if t.name == f"{THREAD}{answer['batch']}"]
        running.join(timeout=30)
        code = client.get("/api/v1/codes/binzhou-code", headers=listed).json()
        assert code["colour"] == "red"


def test_a_department_system_reads_its_own_batches_with_its_key(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    """It learns when the colours are in and what to fix; another system's key, or
    none, learns nothing of it."""
    key = department_key(app, sessions, Department.HEALTH, ImportKind.CLOSE_CONTACT)
    other = department_key(app, sessions, Department.CARRIER)
    _, number = resident(client, sms, "13900005555")
    data = f"source_id,id_number,start\r\nS-1,{number},2020-02-22\r\nS-2,12345,2020-02-22\r\n"
    batch = send(client, key, data.encode()).json()["batch"]

    mine = client.get(f"/api/v1/records/sent/{batch}", headers={"X-Api-Key": key})

    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert (body["added"], body["refused"], body["recolour_pending"]) == (1, 1, False)
    assert [r["line"] for r in body["refusals"]] == [3]
    refused = client.get(f"/api/v1/records/sent/{batch}/refused.csv", headers={"X-Api-Key": key})
    assert refused.content.decode("utf-8-sig").splitlines()[1].startswith("3,身份证号 (id_number),")
    for headers, status in (({"X-Api-Key": other}, 404), ({}, 401)):
        assert client.get(f"/api/v1/records/sent/{batch}", headers=headers).status_code == status


def test_a_revoked_key_is_refused_from_then_on(
    client: TestClient, app: FastAPI, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    """A leaked key could not be disabled: nothing set revoked_at (found by probing)."""
    from healthcode.services.records.clients import revoke_client

    key = department_key(app, sessions, Department.HEALTH, ImportKind.CLOSE_CONTACT)
    _, number = resident(client, sms, "13900001111")
    data = f"source_id,id_number,start\r\nREV-1,{number},2020-02-22\r\n".encode()
    assert send(client, key, data).status_code == 200
    uow = UnitOfWork(sessions())
    assert revoke_client(uow, app.state.env, name="health-system")
    assert not revoke_client(uow, app.state.env, name="health-system")  # already
    uow.commit()
    uow.close()
    refused = send(client, key, data)
    assert refused.status_code == 401, refused.text


def test_a_client_region_must_be_a_region_code(
    app: FastAPI, sessions: sessionmaker[Session]
) -> None:
    """'zz;drop' was taken, and its batches were then listed to no regional operator."""
    from healthcode.domain.errors import InvalidInput

    uow = UnitOfWork(sessions())
    with pytest.raises(InvalidInput) as refused:
        add_client(uow, app.state.env, name="odd", department=Department.HEALTH, region="zz;drop")
    assert [(e.field, e.code) for e in refused.value.errors] == [("region", "format")]
    made = add_client(
        uow, app.state.env, name="binzhou", department=Department.HEALTH, region=" 371602 "
    )
    assert uow.department_clients.by_name(made.name).region == "371602"  # type: ignore[union-attr]
    uow.close()
