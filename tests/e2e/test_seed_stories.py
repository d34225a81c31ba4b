"""The seeds' stories end to end over HTTP, on SQLite and PostgreSQL.

Seed 003: a resident with fever is yellow and turns green only after 14 straight
normal daily reports; a declared close contact is red with that reason.
Seed 000: apply -> pending black-and-white code -> an issuer signs -> green,
yellow when a daily report is missed and on day 6, pending again on re-application
after the lapse; before it, a red pass stays red while the new application waits.
Every story's colour history chains.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from healthcode.domain.clock import FixedClock
from healthcode.services.accounts.permissions import Role
from tests.api.helpers import (
    CapturingSender,
    declare,
    error,
    report,
    resident_headers,
    staff_headers,
)
from tests.factories.history import assert_history_chains
from tests.factories.inputs import declaration_data, id_number

API = "/api/v1"
DAY = timedelta(days=1)


def code(client: TestClient, headers: dict[str, str], policy: str) -> dict[str, Any]:
    response = client.get(f"{API}/codes/{policy}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def history(client: TestClient, headers: dict[str, str], policy: str) -> list[dict[str, Any]]:
    """The code's colour history, newest first, checked to chain."""
    changes: list[dict[str, Any]] = client.get(
        f"{API}/codes/{policy}/history", headers=headers
    ).json()
    assert_history_chains(changes)
    return changes


def test_fever_turns_yellow_and_green_after_fourteen_straight_normal_reports(
    client: TestClient, sms: CapturingSender, clock: FixedClock
) -> None:
    me = resident_headers(client, sms)
    first = declare(client, me, declaration_data(temperature=37.3))
    assert (first["colour"], first["reasons"][0]["rule_id"]) == ("yellow", "BZ-YELLOW-FEVER")
    assert first["next_change"]["text"] == "2020-03-08 转为绿码（如每日上报保持正常）"
    for day in range(1, 14):
        clock.advance(DAY)
        assert report(client, me, "binzhou-code").json()["colour"] == "yellow", day
    clock.advance(DAY)
    assert report(client, me, "binzhou-code").json()["colour"] == "green"
    changes = history(client, me, "binzhou-code")
    assert [(h["from_colour"], h["to_colour"], h["cause"]) for h in changes] == [
        ("yellow", "green", "daily_report"),
        ("none", "yellow", "declaration"),
    ]
    assert [(h["rule_ids"], h["ended"]) for h in changes] == [
        (["BZ-YELLOW-FEVER"], True),  # the fever stopped applying after 14 normal days
        (["BZ-YELLOW-FEVER"], False),
    ]


def test_a_missed_day_restarts_the_fourteen(
    client: TestClient, sms: CapturingSender, clock: FixedClock
) -> None:
    me = resident_headers(client, sms)
    declare(client, me, declaration_data(symptoms=["respiratory"]))
    for day in range(1, 20):
        clock.advance(DAY)
        if day == 6:
            continue
        colour = report(client, me, "binzhou-code").json()["colour"]
        assert colour == ("green" if day >= 20 else "yellow"), day
    clock.advance(DAY)
    assert report(client, me, "binzhou-code").json()["colour"] == "green"  # days 7..20
    history(client, me, "binzhou-code")


def test_a_declared_close_contact_is_red_with_that_reason(
    client: TestClient, sms: CapturingSender
) -> None:
    me = resident_headers(client, sms)
    body = declare(client, me, declaration_data(exposures=[{"kind": "close_contact"}]))
    assert body["colour"] == "red"
    [reason] = body["reasons"]
    assert (reason["rule_id"], reason["text"]) == ("BZ-RED-CLOSE-CONTACT", "您申报为密切接触者。")
    assert body["next_step"].startswith("请按规定接受集中隔离或治疗")


class TestShandongPass:
    def apply_and_sign(
        self, client: TestClient, sms: CapturingSender, add_staff: Any, number: str = ""
    ) -> dict[str, str]:
        me = resident_headers(client, sms)
        pending = declare(
            client, me, declaration_data("shandong-pass", id_number=number or id_number())
        )
        assert (pending["colour"], pending["suggested"]) == ("pending", "green")
        token = client.get(f"{API}/codes/shandong-pass/token", headers=me).json()
        assert token["colour"] == "pending"
        add_staff("issuer01", Role.ISSUER)
        issuer = staff_headers(client, "issuer01")
        queue = client.get(f"{API}/applications", headers=issuer).json()
        assert queue["total"] == 1
        application = queue["items"][0]
        detail = client.get(f"{API}/applications/{application['id']}", headers=issuer).json()
        assert detail["name"] == "张三"
        signed = client.post(
            f"{API}/applications/{application['id']}/signature",
            json={"colour": "green", "note": "视频核实"},
            headers=issuer,
        )
        assert signed.json()["colour"] == "green", signed.text
        return me

    def test_green_then_yellow_on_a_missed_report_then_green_again(
        self, client: TestClient, sms: CapturingSender, clock: FixedClock, add_staff: Any
    ) -> None:
        me = self.apply_and_sign(client, sms, add_staff)
        clock.advance(DAY)
        assert report(client, me, "shandong-pass").json()["colour"] == "green"
        clock.advance(2 * DAY)  # day 2 passes without a report
        missed = code(client, me, "shandong-pass")
        assert missed["colour"] == "yellow"
        assert missed["reasons"][0]["rule_id"] == "SD-MISSED-REPORT"
        assert report(client, me, "shandong-pass").json()["colour"] == "green"
        changes = history(client, me, "shandong-pass")
        missed = changes[1]  # noticed in the afternoon, recorded when it took effect
        assert (missed["to_colour"], missed["at"]) == ("yellow", "2020-02-26T00:00:00+08:00")

    def test_yellow_on_day_six_and_pending_again_on_reapplication(
        self, client: TestClient, sms: CapturingSender, clock: FixedClock, add_staff: Any
    ) -> None:
        number = id_number()
        me = self.apply_and_sign(client, sms, add_staff, number)
        for _ in range(5):
            clock.advance(DAY)
            assert report(client, me, "shandong-pass").json()["colour"] == "green"
        assert code(client, me, "shandong-pass")["valid_until"] == "2020-02-29T00:00:00+08:00"
        clock.advance(DAY)
        expired = code(client, me, "shandong-pass")
        assert (expired["colour"], expired["reasons"][0]["rule_id"]) == ("yellow", "SD-EXPIRED")
        again = declare(client, me, declaration_data("shandong-pass", id_number=number))
        assert again["colour"] == "pending"
        assert [h["to_colour"] for h in history(client, me, "shandong-pass")][:2] == [
            "pending",
            "yellow",
        ]

    def test_a_red_pass_stays_red_while_a_new_application_waits(
        self, client: TestClient, sms: CapturingSender, clock: FixedClock, add_staff: Any
    ) -> None:
        number = id_number()
        me = resident_headers(client, sms)
        declare(client, me, declaration_data("shandong-pass", id_number=number))
        add_staff("issuer01", Role.ISSUER)
        issuer = staff_headers(client, "issuer01")
        [first] = client.get(f"{API}/applications", headers=issuer).json()["items"]
        signed = client.post(
            f"{API}/applications/{first['id']}/signature",
            json={"colour": "red", "note": "视频中咳嗽"},
            headers=issuer,
        )
        assert signed.json()["colour"] == "red", signed.text
        clock.advance(timedelta(hours=3))

        again = declare(client, me, declaration_data("shandong-pass", id_number=number))

        assert (again["colour"], again["under_review"]["text"]) == ("red", "新的申请正在审核")
        assert code(client, me, "shandong-pass")["under_review"] == again["under_review"]
        token = client.get(f"{API}/codes/shandong-pass/token", headers=me).json()
        assert token["colour"] == "red"  # scanners see red, not pending
        [waiting] = client.get(f"{API}/applications", headers=issuer).json()["items"]
        assert waiting["id"] == again["under_review"]["application_id"] != first["id"]
        assert waiting["code"]["suggested"] == "green"
        green = client.post(
            f"{API}/applications/{waiting['id']}/signature",
            json={"colour": "green"},
            headers=issuer,
        )
        assert (green.json()["colour"], green.json()["under_review"]) == ("green", None)
        changes = history(client, me, "shandong-pass")
        assert [(h["from_colour"], h["to_colour"]) for h in changes] == [
            ("red", "green"),
            ("pending", "red"),
            ("none", "pending"),
        ]

    def test_the_issuer_cannot_sign_milder_than_the_rules(
        self, client: TestClient, sms: CapturingSender, add_staff: Any
    ) -> None:
        me = resident_headers(client, sms)
        declare(client, me, declaration_data("shandong-pass", temperature=37.6))
        add_staff("issuer01", Role.ISSUER)
        issuer = staff_headers(client, "issuer01")
        [application] = client.get(f"{API}/applications", headers=issuer).json()["items"]
        assert application["code"]["suggested"] == "red"
        response = client.post(
            f"{API}/applications/{application['id']}/signature",
            json={"colour": "green"},
            headers=issuer,
        )
        assert (response.status_code, error(response)["code"]) == (409, "milder_than_rules")

    def test_residents_cannot_see_the_queue(self, client: TestClient, sms: CapturingSender) -> None:
        me = resident_headers(client, sms)
        assert client.get(f"{API}/applications", headers=me).status_code == 403
