"""The start page's 今日健康打卡 and ``GET /api/v1/me/checkins/today`` for a resident on
two employers' staff lists, A open 07:00–09:00 and B 08:00–10:00: a line for each
employer with its own windows and state, and each check-in names the employers it
was recorded for. The card showed one employer's windows and state only: at 09:30 it
said nothing of A's morning, done or missed."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import TZ, FixedClock
from healthcode.http.security import SESSION_COOKIE
from tests.api.helpers import CapturingSender, declare, resident_headers, staff_headers
from tests.api.organisations.test_employers import _company
from tests.api.pages import HTML, page_token
from tests.factories.inputs import declaration_data
from tests.factories.roster import staff_csv, staff_id

A, B = "A 渤海机械厂", "B 滨州纺织厂"  # A first by name on both databases
ZHENG = staff_id(41)
MORNINGS = {A: ("07:00", "09:00"), B: ("08:00", "10:00")}


def employ(
    app: FastAPI, sessions: sessionmaker[Session], client: TestClient, name: str, username: str
) -> uuid.UUID:
    """An employer with 郑浩 on its roster and its own morning window."""
    found = _company(app, sessions, username, name)
    hr = staff_headers(client, username)
    rows = [("郑浩", ZHENG, "", "")]
    imported = client.post(
        f"/api/v1/employers/{found}/roster/imports",
        files={"file": ("staff.csv", staff_csv(rows), "text/csv")},
        headers=hr,
    )
    assert imported.status_code == 200, imported.text
    morning_from, morning_until = MORNINGS.get(name, ("06:00", "10:00"))
    windows = {
        "morning_from": morning_from,
        "morning_until": morning_until,
        "evening_from": "17:00",
        "evening_until": "21:00",
    }
    put = client.put(f"/api/v1/employers/{found}/checkin-windows", json=windows, headers=hr)
    assert put.status_code == 200, put.text
    return found


def signed_in(client: TestClient, sms: CapturingSender) -> dict[str, str]:
    """郑浩, declared, with the page's session cookie too."""
    me = resident_headers(client, sms, "13800002222")
    declare(client, me, declaration_data(name="郑浩", id_number=ZHENG))
    client.cookies.set(SESSION_COOKIE, me["Authorization"].removeprefix("Bearer "))
    return me


def at(clock: FixedClock, hour: int, minute: int = 0) -> None:
    clock.set(datetime(2020, 2, 23, hour, minute, tzinfo=TZ))


def words(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def card(client: TestClient, path: str = "/") -> tuple[str, dict[str, str]]:
    """The check-in card's text, and each employer's line by name."""
    page = client.get(path, headers=HTML)
    assert page.status_code == 200, page.text[:300]
    found = re.search(r'<section class="card" id="checkin".*?</section>', page.text, re.S)
    assert found is not None
    lines = {}
    for part in re.findall(r'<div class="checkin-employer">(.*?)</div>', found.group(0), re.S):
        text = words(part)
        name = next(n for n in (A, B, "渤海示范机械有限公司") if n in text)
        lines[name] = text
    return words(found.group(0)), lines


def check_in(client: TestClient, me: dict[str, str], temperature: float) -> list[tuple[str, bool]]:
    done = client.post(
        "/api/v1/me/checkins", json={"temperature": temperature, "symptoms": False}, headers=me
    )
    assert done.status_code == 201, done.text
    return [(d["organisation"], d["corrected"]) for d in done.json()]


def today(client: TestClient, me: dict[str, str]) -> Any:
    return client.get("/api/v1/me/checkins/today", headers=me).json()


@pytest.fixture
def two(app: FastAPI, sessions: sessionmaker[Session], client: TestClient) -> None:
    employ(app, sessions, client, A, "hr.a")
    employ(app, sessions, client, B, "hr.b")


@pytest.mark.usefixtures("two")
def test_each_employer_has_its_line_and_a_check_in_goes_where_it_is_not_done(
    client: TestClient, sms: CapturingSender, clock: FixedClock
) -> None:
    me = signed_in(client, sms)
    at(clock, 7, 30)
    assert check_in(client, me, 36.5) == [(A, False)]

    at(clock, 8, 30)
    text, lines = card(client)
    assert lines[A] == f"{A}：早 07:00–09:00，晚 17:00–21:00（北京时间）。 早间已打卡：36.5 ℃"
    assert lines[B] == (
        f"{B}：早 08:00–10:00，晚 17:00–21:00（北京时间）。 早间打卡进行中，10:00 截止：尚未打卡"
    )
    assert f"现在打卡将记入：{B}。" in text
    assert "可再次打卡更正" not in text  # this one is B's first, not a correction
    token = page_token(client, "/")
    sent = client.post(
        "/checkin",
        data={"temperature": "36.8", "symptoms": "no", "csrf_token": token},
        headers=HTML,
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text[:300]
    shown = {e["name"]: e["done"]["temperature"] for e in today(client, me)["by_employer"]}
    assert shown == {A: 36.5, B: 36.8}  # A's reading was not "corrected"

    at(clock, 8, 45)
    assert check_in(client, me, 36.6) == [(A, True), (B, True)]
    text, _ = card(client)
    assert f"现在打卡将记入：{A}、{B}。" in text
    assert "如填错，可再次打卡更正。" in text

    at(clock, 9, 30)
    text, lines = card(client)
    assert lines[A].endswith("早间已打卡：36.6 ℃（09:00 已截止） 下次：晚间打卡 17:00 开始")
    assert lines[B].endswith("早间已打卡：36.6 ℃")
    assert f"现在打卡将记入：{B}。" in text


@pytest.mark.usefixtures("two")
def test_the_api_adds_a_line_per_employer_and_keeps_the_open_ones_fields(
    client: TestClient, sms: CapturingSender, clock: FixedClock
) -> None:
    me = signed_in(client, sms)
    at(clock, 9, 30)  # A's morning closed without a check-in, B's open
    found = today(client, me)
    assert (found["employers"], found["window"], found["done"]) == ([A, B], "morning", None)
    assert found["windows"]["morning_from"] == "08:00"  # B's, the open one
    a, b = found["by_employer"]
    assert (a["name"], a["window"], a["latest"], a["status"], a["done"]) == (
        A,
        None,
        "morning",
        "missing",
        None,
    )
    assert (a["next_window"], a["next_at"], a["counts_now"]) == (
        "evening",
        "2020-02-23T17:00:00+08:00",
        False,
    )
    assert (b["name"], b["window"], b["status"], b["next_window"], b["counts_now"]) == (
        B,
        "morning",
        "open",
        None,
        True,
    )
    assert check_in(client, me, 36.5) == [(B, False)]
    _, lines = card(client)
    assert lines[A].endswith("早间未打卡（09:00 已截止） 下次：晚间打卡 17:00 开始")
    _, english = card(client, "/?lang=en")
    assert english[A].endswith(
        "Morning check-in missed (closed at 09:00) Next: Evening check-in from 17:00"
    )


def test_with_one_employer_the_card_reads_as_before(
    app: FastAPI,
    sessions: sessionmaker[Session],
    client: TestClient,
    sms: CapturingSender,
    clock: FixedClock,
) -> None:
    employ(app, sessions, client, "渤海示范机械有限公司", "hr.bohai")
    me = signed_in(client, sms)
    text, lines = card(client)  # 09:00, in the morning window
    assert list(lines) == ["渤海示范机械有限公司"]
    assert text.startswith(
        "今日健康打卡 渤海示范机械有限公司：早 06:00–10:00，晚 17:00–21:00（北京时间）。"
    )
    assert "现在打卡将记入" not in text
    assert "早间打卡" in text  # the button
    assert check_in(client, me, 36.5) == [("渤海示范机械有限公司", False)]
    assert check_in(client, me, 36.4) == [("渤海示范机械有限公司", True)]
    text, _ = card(client)
    assert "早间已打卡：36.4 ℃" in text
    assert "如填错，可再次打卡更正。" in text
    at(clock, 12)
    text, _ = card(client)
    assert "现在不是打卡时段，请在下一时段打卡。" in text
    assert "早间已打卡：36.4 ℃（10:00 已截止） 下次：晚间打卡 17:00 开始" in text
    at(clock, 21, 30)
    text, _ = card(client)
    assert "晚间未打卡（21:00 已截止） 下次：明天早间打卡 06:00 开始" in text
