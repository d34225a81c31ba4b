"""A family member with no account of their own is told through their guardian: their
colour changes, appeal steps and reminders reach the guardian's phone and notification
centre, naming the member; nobody else's, and no longer once the member is removed.
Until now they were written to the member's record, which no phone or centre reads."""

from __future__ import annotations

import uuid
from datetime import date

from healthcode.domain.colour import Colour
from healthcode.i18n import set_language
from healthcode.services.accounts.sessions import principal_of
from healthcode.services.appeals.appeals import submit_appeal
from healthcode.services.appeals.decisions import decide_appeal
from healthcode.services.codes.batches import recolour_residents
from healthcode.services.codes.recolour import Cause
from healthcode.services.notices import centre
from healthcode.services.notices.outbox import due
from healthcode.services.notices.texts import describe
from healthcode.services.residents.daily_reports import submit_daily_report
from healthcode.services.residents.dependants import remove_dependant
from healthcode.services.shared.env import Env
from healthcode.services.shared.outbound import OutboundMessage
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.appeals import POLICY, REASON, close_contact, health_officer
from tests.factories.inputs import daily_report, id_number
from tests.services.conftest import declare, new_account, statements
from tests.services.notices.helpers import notes
from tests.services.records.helpers import csv_bytes, later, run_import
from tests.services.residents.test_dependants import for_dependant

CHILD_BORN = date(2015, 6, 1)
PARENT_PHONE = "13800001111"  # the ``account`` fixture's
UPHOLD = "经核查该儿童当日不在通报场所，撤销密接记录"


def inbox(uow: UnitOfWork, env: Env, account: t.Account) -> list[str]:
    """The titles of the account's notification centre, newest first, in Chinese."""
    items = centre.list_notifications(uow, principal_of(uow, account_id=account.id)).items
    return [describe(n.kind, n.payload, env.policies).title for n in items]


def message_of(uow: UnitOfWork, env: Env, notification: t.Notification) -> OutboundMessage:
    [row] = uow.outbox.for_notification(notification.id)
    [message] = [m for m in due(uow, env, limit=500) if m.id == row.id]
    return message


def latest(uow: UnitOfWork, kind: str = "colour_changed") -> t.Notification:
    return notes(uow, kind)[-1]


def red_record(uow: UnitOfWork, env: Env, resident_id: uuid.UUID) -> None:
    """A department's close-contact record, not yet recoloured."""
    uow.add(
        t.DataRecord(
            id=uuid.uuid4(),
            resident_id=resident_id,
            kind="close_contact",
            start=date(2020, 2, 20),
            region="371602",
            source="密切接触者名单",
            department="health",
            source_id=f"CC-{uuid.uuid4().hex[:8]}",
            received_at=env.clock.now(),
        )
    )
    uow.flush()


class TestColourChanged:
    def test_a_department_record_reddens_the_child_and_the_parent_is_told(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        declare(uow, env, account, temperature=37.8)  # the parent's own: yellow
        later(env)
        child = for_dependant(uow, env, account, id_number(CHILD_BORN))
        later(env)
        close_contact(uow, env, child)
        told = latest(uow)
        assert (told.account_id, told.resident_id) == (account.id, None)
        assert (told.payload["member"], told.payload["member_id"]) == ("张**", str(child))
        text = describe(told.kind, told.payload, env.policies)
        assert text.title.startswith("您的家人 张**")
        assert "红码" in text.title
        assert text.link == f"/family/{child}/codes/{POLICY}#why"
        titles = inbox(uow, env, account)  # the child's among the parent's own, newest first
        assert len(titles) == 3
        assert titles[0] == text.title
        assert titles[1].startswith("您的家人 张**")
        assert "绿码" in titles[1]
        assert "张**" not in titles[2]
        assert "黄码" in titles[2]
        message = message_of(uow, env, told)
        assert message.phone == PARENT_PHONE
        assert message.text.startswith("您的家人 张**")
        assert "红码" in message.text

    def test_read_and_unread_counted_with_the_parents_own(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        declare(uow, env, account)
        child = for_dependant(uow, env, account, id_number(CHILD_BORN))
        close_contact(uow, env, child)
        who = principal_of(uow, account_id=account.id)
        assert centre.count_unread(uow, who) == 3
        assert centre.mark_read(uow, env, who, ids=[latest(uow).id]) == 1
        assert centre.count_unread(uow, who) == 2
        assert latest(uow).read_at is not None

    def test_a_fever_report_the_parent_makes_for_the_child(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        child = for_dependant(uow, env, account, id_number(CHILD_BORN))
        later(env)
        state = submit_daily_report(
            uow, env, resident_id=child, policy_id=POLICY, data=daily_report(temperature=38.6)
        )
        assert state.colour is Colour.YELLOW
        told = latest(uow)
        assert told.account_id == account.id
        message = message_of(uow, env, told)
        assert message.phone == PARENT_PHONE
        assert message.text.startswith("您的家人 张**")
        assert "黄码" in message.text

    def test_in_english_for_an_english_reader(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        child = for_dependant(uow, env, account, id_number(CHILD_BORN))
        close_contact(uow, env, child)
        set_language("en")
        try:
            title = describe("colour_changed", latest(uow).payload, env.policies).title
        finally:
            set_language("zh")
        assert title.startswith("Your family member 张** — ")
        assert "Red" in title


class TestBatched:
    def test_an_import_reddens_the_child_and_the_parent_is_told(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        number = id_number(CHILD_BORN)
        child = for_dependant(uow, env, account, number)
        later(env)
        rows = [["source_id", "id_number", "start"], ["CC-7", number, "2020-02-22"]]
        run_import(uow, env, csv_bytes(rows))
        told = latest(uow)
        assert (told.account_id, told.resident_id) == (account.id, None)
        assert told.payload["to"] == "red"
        assert told.payload["member_id"] == str(child)
        message = message_of(uow, env, told)
        assert message.phone == PARENT_PHONE
        assert message.text.startswith("您的家人 张**")
        assert "红码" in message.text

    def test_one_read_of_the_recipients_for_many_families(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        """Each child's change to their own guardian, an adult's to themselves, and
        the guardians found in the one statement that finds the accounts."""
        other = new_account(uow, env, "13700005555")
        children = {
            for_dependant(uow, env, account, id_number(CHILD_BORN)): account.id,
            for_dependant(uow, env, other, id_number(date(2016, 1, 1))): other.id,
        }
        adult = new_account(uow, env, "13600006666")
        declare(uow, env, adult)
        assert adult.resident_id is not None
        everyone = [*children, adult.resident_id]
        for resident_id in everyone:
            red_record(uow, env, resident_id)
        later(env)
        with statements(uow) as sent:
            recolour_residents(uow, env, resident_ids=everyone, cause=Cause.DATA)
        assert sum("dependants" in s for s in sent) == 1
        red = [n for n in notes(uow, "colour_changed") if n.payload["to"] == "red"]
        expected: dict[str | None, uuid.UUID | None] = {
            str(child): guardian for child, guardian in children.items()
        }
        expected[None] = None  # the adult's: their own resident record's, as before
        assert {n.payload.get("member_id"): n.account_id for n in red} == expected
        [own] = [n for n in red if n.resident_id == adult.resident_id]
        assert message_of(uow, env, own).phone == "13600006666"


class TestAppealStep:
    def test_the_childs_appeal_is_followed_by_the_parent(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        child = for_dependant(uow, env, account, id_number(CHILD_BORN))
        record = close_contact(uow, env, child)
        officer = health_officer(uow, env)
        made = submit_appeal(
            uow, env, resident_id=child, policy_id=POLICY, record_id=record, reason=REASON,
            actor_id=account.id,
        )  # fmt: skip
        [sent] = notes(uow, "appeal_step")
        assert sent.account_id == account.id
        text = describe(sent.kind, sent.payload, env.policies)
        assert text.title == "您的家人 张**——您的申诉已转交负责审核的单位"
        assert text.link == f"/family/{child}/appeals/{made.id}"
        assert message_of(uow, env, sent).phone == PARENT_PHONE
        later(env)
        decide_appeal(uow, env, officer, appeal_id=made.id, uphold=True, note=UPHOLD)
        steps = [n for n in notes(uow, "appeal_step") if n.id != sent.id]
        assert {n.payload["step"]: n.account_id for n in steps} == {
            "upheld": account.id,
            "restored": account.id,
        }
        assert "您的家人 张**——您的申诉成立" in inbox(uow, env, account)


class TestOnlyTheGuardian:
    def test_another_account_sees_and_marks_nothing(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        child = for_dependant(uow, env, account, id_number(CHILD_BORN))
        close_contact(uow, env, child)
        family = latest(uow)
        stranger = new_account(uow, env, "13700004444")
        declare(uow, env, stranger)
        titles = inbox(uow, env, stranger)
        assert len(titles) == 1  # their own code
        assert not any("张**" in title for title in titles)
        theirs = principal_of(uow, account_id=stranger.id)
        assert centre.mark_read(uow, env, theirs, ids=[family.id]) == 0
        assert family.read_at is None

    def test_after_the_removal_a_new_change_is_not_sent_to_the_former_guardian(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        child = for_dependant(uow, env, account, id_number(CHILD_BORN))
        later(env)
        submit_daily_report(
            uow, env, resident_id=child, policy_id=POLICY, data=daily_report(temperature=38.6)
        )
        before = inbox(uow, env, account)
        assert before[0].startswith("您的家人 张**")
        assert "黄码" in before[0]
        remove_dependant(uow, env, account_id=account.id, resident_id=child)
        later(env)
        close_contact(uow, env, child)
        told = latest(uow)
        assert (told.account_id, told.resident_id) == (None, child)  # the record's, as before
        assert "member" not in told.payload
        assert message_of(uow, env, told).phone is None
        assert inbox(uow, env, account) == before  # what they were told stays theirs
