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
    assert code["next_change"]["text"] == "2020-02-26 起为黄色健康通行卡（待行）"
    assert report(client, me, PASS).status_code == 200
    reported = client.get(f"{API}/codes/{PASS}", headers=me).json()
    tomorrow = "2020-02-27 起为黄色健康通行卡（待行）"  # tomorrow's is next
    assert reported["next_change"]["text"] == tomorrow
