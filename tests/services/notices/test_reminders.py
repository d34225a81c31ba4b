"""The reminder jobs: a pass about to lapse, a daily report not yet in; each once."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import TZ, FixedClock
from healthcode.domain.colour import Colour
from healthcode.jobs.notices import remind_if_leader
from healthcode.services.notices.reminders import remind_lapsing, remind_report_due
from healthcode.services.notices.texts import Text, message_text
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.factories.inputs import id_number
from tests.factories.organisations import sign_as_issuer
from tests.services.conftest import declare, new_account, report, signed_pass
from tests.services.notices.helpers import notes


def at(clock: FixedClock, when: datetime) -> None:
    clock.set(when)


class TestPassLapsing:
    def test_told_once_the_day_before_it_ends(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, account: t.Account
    ) -> None:
        signed_pass(uow, env, account)
        assert account.resident_id is not None
        code = uow.codes.of_resident(account.resident_id, "shandong-pass")
        assert code is not None
        assert code.valid_until is not None
        assert remind_lapsing(uow, env) == 0  # five days to go
        at(clock, code.valid_until - timedelta(hours=env.settings.notify_lapse_hours - 1))
        assert remind_lapsing(uow, env) == 0  # 01:00: not in the night (it went at 00:00)
        at(clock, code.valid_until - timedelta(hours=24 - env.settings.notify_lapse_hour))
        assert remind_lapsing(uow, env) == 1
        assert remind_lapsing(uow, env) == 0  # a second run: nothing new
        [note] = notes(uow, "pass_lapsing")
        assert note.resident_id == account.resident_id
        assert note.payload["until"] == code.valid_until.isoformat()

    def test_not_told_to_apply_again_once_applied(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, account: t.Account
    ) -> None:
        number = id_number()
        applied = declare(uow, env, account, "shandong-pass", id_number=number)
        assert applied.application_id is not None
        sign_as_issuer(uow, env, uuid.UUID(applied.application_id), Colour.GREEN)
        for day in range(24, 29):
            at(clock, datetime(2020, 2, day, 8, 0, tzinfo=TZ))
            report(uow, env, account, "shandong-pass")
        declare(uow, env, account, "shandong-pass", id_number=number)  # on the 28th, 08:00
        at(clock, datetime(2020, 2, 28, 9, 5, tzinfo=TZ))
        assert remind_lapsing(uow, env) == 0

    def test_a_resident_without_a_pass_is_not_told(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, account: t.Account
    ) -> None:
        declare(uow, env, account)  # a health code, not a pass
        declare(uow, env, new_account(uow, env, "13800002222"), "shandong-pass")  # pending
        clock.advance(timedelta(days=4, hours=12))
        assert remind_lapsing(uow, env) == 0


class TestReportDue:
    def test_from_the_configured_hour_once_a_day_unless_reported(
        self, uow: UnitOfWork, env: Env, clock: FixedClock, account: t.Account
    ) -> None:
        number = id_number()
        applied = declare(uow, env, account, "shandong-pass", id_number=number)  # at 09:00
        assert applied.application_id is not None
        sign_as_issuer(uow, env, uuid.UUID(applied.application_id), Colour.GREEN)
        declare(uow, env, account, id_number=number)  # and a health code
        hour = env.settings.notify_report_hour
        at(clock, datetime(2020, 2, 23, hour, 5, tzinfo=TZ))
        assert remind_report_due(uow, env) == 0  # the signing day: no report is due
        at(clock, datetime(2020, 2, 24, hour - 1, 5, tzinfo=TZ))
        assert remind_report_due(uow, env) == 0  # before the hour
        at(clock, datetime(2020, 2, 24, hour, 5, tzinfo=TZ))
        assert remind_report_due(uow, env) == 1
        assert remind_report_due(uow, env) == 0
        at(clock, datetime(2020, 2, 25, 9, 0, tzinfo=TZ))
        report(uow, env, account, "shandong-pass")
        at(clock, datetime(2020, 2, 25, hour, 5, tzinfo=TZ))
        assert remind_report_due(uow, env) == 0  # reported today
        at(clock, datetime(2020, 2, 26, 9, 0, tzinfo=TZ))
        report(uow, env, account, "binzhou-code")  # any code's report counts, as the engine has it
        at(clock, datetime(2020, 2, 26, hour, 5, tzinfo=TZ))
        assert remind_report_due(uow, env) == 0
        at(clock, datetime(2020, 2, 27, hour, 5, tzinfo=TZ))
        assert remind_report_due(uow, env) == 1
        days = [n.payload["day"] for n in notes(uow, "report_due")]
        assert days == ["2020-02-24", "2020-02-27"]

    def test_only_pass_holders(self, uow: UnitOfWork, env: Env, clock: FixedClock) -> None:
        declare(uow, env, new_account(uow, env, "13800003333"))
        declare(uow, env, new_account(uow, env, "13800004444"), "shandong-pass")
        at(clock, datetime(2020, 2, 23, 23, 0, tzinfo=TZ))
        assert remind_report_due(uow, env) == 0


def test_the_job_run_twice_sends_once(
    sessions: sessionmaker[Session], env: Env, clock: FixedClock
) -> None:
    units = UnitOfWorkFactory(sessions)
    with units() as uow:
        signed_pass(uow, env, new_account(uow, env, "13800005555"))
        code = uow.session.query(t.Code).one()
        assert code.valid_until is not None
        ends = code.valid_until
    at(clock, ends - timedelta(hours=2))  # also past the report hour that day
    first = remind_if_leader(units, env)
    second = remind_if_leader(units, env)
    assert first is not None
    assert (first.lapsing, first.report_due) == (1, 1)
    assert second is not None
    assert (second.lapsing, second.report_due) == (0, 0)


@pytest.mark.parametrize(
    ("title", "body", "sms"),
    [
        ("今日健康上报尚未提交", "请及时上报。", "今日健康上报尚未提交。请及时上报。"),
        (
            "Today's report is not in yet",
            "Report now.",
            "Today's report is not in yet. Report now.",
        ),
        ("通行卡即将到期：", "请重新申请。", "通行卡即将到期：请重新申请。"),
    ],
)
def test_an_sms_reads_the_title_as_a_sentence(title: str, body: str, sms: str) -> None:
    """ "…到期 请及时重新申请" ran title and body together with a bare space."""
    assert message_text(Text(title, body, "")) == sms
