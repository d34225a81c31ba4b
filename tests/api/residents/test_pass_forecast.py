"""What a pass holder reads as the next change (issue 7 §3): the earliest one that
happens if nothing new is learnt, such as tonight's missed report, not the lapse."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from healthcode.domain.clock import TZ, FixedClock
from tests.api.helpers import CapturingSender, report
from tests.api.residents.test_code_tokens import PASS, green_pass

API = "/api/v1"


def test_a_report_due_today_is_forecast_for_midnight(
    client: TestClient, sms: CapturingSender, add_staff: Any, clock: FixedClock
) -> None:
    me = green_pass(client, sms, add_staff)  # signed 2020-02-23, valid until 02-29
    clock.set(datetime(2020, 2, 24, 8, tzinfo=TZ))
    assert report(client, me, PASS).status_code == 200
    clock.set(datetime(2020, 2, 25, 20, tzinfo=TZ))  # today's report not in yet
    code = client.get(f"{API}/codes/{PASS}", headers=me).json()
    assert (code["colour"], code["report_due"]) == ("green", "2020-02-25")
    assert code["next_change"]["at"] == "2020-02-26T00:00:00+08:00"
    # only if the report is missed: it read "2020-02-26 起为黄色…", as if certain
    assert code["next_change"]["if_report_missed"] is True
    assert code["next_change"]["text"] == (
        "如 2020-02-25 未完成每日健康上报，2020-02-26 起为黄色健康通行卡（待行）"
    )
    english = client.get(f"{API}/codes/{PASS}?lang=en", headers=me).json()
    assert english["next_change"]["text"].endswith(
        "from 2020-02-26 if the daily report for 2020-02-25 is missed"
    )
    assert report(client, me, PASS).status_code == 200
    reported = client.get(f"{API}/codes/{PASS}", headers=me).json()
    tomorrow = "如 2020-02-26 未完成每日健康上报，2020-02-27 起为黄色健康通行卡（待行）"
    assert reported["next_change"]["text"] == tomorrow  # tomorrow's is next


def test_the_lapse_is_certain(
    client: TestClient, sms: CapturingSender, add_staff: Any, clock: FixedClock
) -> None:
    me = green_pass(client, sms, add_staff)  # signed 2020-02-23, valid until 02-29
    for day in range(24, 29):
        clock.set(datetime(2020, 2, day, 8, tzinfo=TZ))
        assert report(client, me, PASS).status_code == 200
    code = client.get(f"{API}/codes/{PASS}", headers=me).json()
    assert code["next_change"]["if_report_missed"] is False
    assert code["next_change"]["text"] == "2020-02-29 起为黄色健康通行卡（待行）"
