"""Each event reaches its own recipients and only them."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from healthcode.domain.clock import FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.i18n import set_language
from healthcode.services.notices.events import notify_more_information, notify_prevention_contact
from healthcode.services.notices.outbox import due
from healthcode.services.notices.texts import describe
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.organisations import authorised_issuer, organisation, sign_as_issuer
from tests.services.conftest import declare, new_account
from tests.services.notices.helpers import notes, outbox, recipients


def apply(uow: UnitOfWork, env: Env, phone: str, org: t.Organisation) -> uuid.UUID:
    """A resident applies for a pass to ``org``; the application's id."""
    account = new_account(uow, env, phone)
    state = declare(uow, env, account, "shandong-pass", organisation_id=str(org.id))
    assert state.application_id is not None
    return uuid.UUID(state.application_id)


class TestColourChanged:
    def test_the_resident_is_told_in_app_and_by_the_channel(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        declare(uow, env, account, temperature=37.8)
        [note] = notes(uow, "colour_changed")
        assert note.resident_id == account.resident_id
        assert note.account_id is None
        assert note.payload["to"] == "yellow"
        [message] = due(uow, env, limit=10)
        assert message.phone == "13800001111"
        assert "黄码" in message.text


class TestApplicationWaiting:
    def test_only_the_active_issuers_of_its_organisation(self, uow: UnitOfWork, env: Env) -> None:
        ours, theirs = organisation(uow, env), organisation(uow, env)
        first, second = authorised_issuer(uow, env, ours.id), authorised_issuer(uow, env, ours.id)
        suspended = authorised_issuer(uow, env, ours.id)
        other = authorised_issuer(uow, env, theirs.id)
        grant = uow.authorisations.active(suspended.account_id, ours.id, "issuer")
        assert grant is not None
        grant.status = "suspended"
        apply(uow, env, "13800001111", ours)
        waiting = notes(uow, "applications_waiting")
        assert recipients(waiting) == {first.account_id, second.account_id}
        assert other.account_id not in recipients(waiting)
        assert all(n.resident_id is None and n.payload["count"] == 1 for n in waiting)

    def test_batched_one_message_per_issuer_per_interval(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        ours = organisation(uow, env, name="黄河五路社区")
        issuer = authorised_issuer(uow, env, ours.id)
        for n in range(3):
            apply(uow, env, f"1380000200{n}", ours)
            clock.advance(timedelta(seconds=20))
        [note] = notes(uow, "applications_waiting")
        assert note.account_id == issuer.account_id
        assert note.payload["count"] == 3
        [message] = [m for m in due(uow, env, limit=50) if m.kind == "applications_waiting"]
        assert "3" in message.text
        assert "黄河五路社区" in message.text
        clock.advance(timedelta(minutes=env.settings.notify_waiting_minutes))
        apply(uow, env, "13800002009", ours)
        assert [n.payload["count"] for n in notes(uow, "applications_waiting")] == [3, 1]
        assert len(outbox(uow, "applications_waiting")) == 2

    def test_read_then_more_arrive_unread_again(self, uow: UnitOfWork, env: Env) -> None:
        ours = organisation(uow, env)
        authorised_issuer(uow, env, ours.id)
        apply(uow, env, "13800003001", ours)
        [note] = notes(uow, "applications_waiting")
        note.read_at = env.clock.now()
        apply(uow, env, "13800003002", ours)
        assert note.read_at is None
        assert note.payload["count"] == 2


class TestSigned:
    def test_the_resident_is_told_and_nobody_else(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        state = declare(uow, env, account, "shandong-pass")
        assert state.application_id
        sign_as_issuer(uow, env, uuid.UUID(state.application_id), Colour.GREEN)
        [note] = notes(uow, "pass_signed")
        assert note.resident_id == account.resident_id
        assert note.payload["colour"] == "green"


class TestMoreInformation:
    def test_the_resident_is_told_exactly_what(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        declare(uow, env, account, "shandong-pass")
        assert account.resident_id is not None
        notify_more_information(uow, env, account.resident_id, ["今日体温", " 返回日期 "])
        [note] = notes(uow, "more_information")
        assert note.resident_id == account.resident_id
        assert note.payload["items"] == ["今日体温", "返回日期"]
        [message] = [m for m in due(uow, env, limit=50) if m.kind == "more_information"]
        assert "今日体温; 返回日期" in message.text

    @pytest.mark.parametrize("items", [[], ["  "], ["x" * 201], ["项"] * 21])
    def test_what_is_needed_must_be_said(
        self, uow: UnitOfWork, env: Env, account: t.Account, items: list[str]
    ) -> None:
        declare(uow, env, account, "shandong-pass")
        assert account.resident_id is not None
        with pytest.raises(InvalidInput):
            notify_more_information(uow, env, account.resident_id, items)

    def test_an_unknown_resident_is_not_found(self, uow: UnitOfWork, env: Env) -> None:
        with pytest.raises(NotFound):
            notify_more_information(uow, env, uuid.uuid4(), ["今日体温"])


class TestPreventionContact:
    def test_the_organisations_contact_phone_gets_the_message(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        ours = organisation(uow, env, name="黄河五路社区")
        ours.contact_phone_cipher = env.protector.encrypt(b"13900009999", context="phone")
        ours.contact_phone_masked = "139****9999"
        declare(uow, env, account, "shandong-pass", temperature=37.6, organisation_id=str(ours.id))
        assert account.resident_id is not None
        before = {n.id for n in uow.session.query(t.Notification)}
        sent = notify_prevention_contact(uow, env, ours.id, account.resident_id, "体温 37.6℃")
        assert sent is not None
        [message] = [m for m in due(uow, env, limit=50) if m.kind == "not_eligible"]
        assert message.phone == "13900009999"
        assert "黄河五路社区" in message.text
        assert "体温 37.6℃" in message.text
        assert "张三" not in message.text  # the name masked
        assert {n.id for n in uow.session.query(t.Notification)} == before  # no one's inbox

    def test_no_contact_phone_sends_nothing(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        ours = organisation(uow, env)
        declare(uow, env, account, "shandong-pass", organisation_id=str(ours.id))
        assert account.resident_id is not None
        assert notify_prevention_contact(uow, env, ours.id, account.resident_id, "x") is None
        assert outbox(uow, "not_eligible") == []

    def test_an_unknown_organisation_is_not_found(
        self, uow: UnitOfWork, env: Env, account: t.Account
    ) -> None:
        declare(uow, env, account)
        assert account.resident_id is not None
        with pytest.raises(NotFound):
            notify_prevention_contact(uow, env, uuid.uuid4(), account.resident_id, "x")


@pytest.mark.parametrize(
    ("count", "english"),
    [(1, "1 application waiting for your review"), (3, "3 applications waiting for your review")],
)
def test_a_queue_notice_counts_in_good_english_and_chinese(count: int, english: str) -> None:
    """It read "1 applications waiting" (found by probing the pages in English)."""
    params = {"count": count, "organisation_name": "黄河社区"}
    set_language("en")
    assert describe("applications_waiting", params, {}).title == english
    set_language("zh")
    assert describe("applications_waiting", params, {}).title == f"有 {count} 份申请等待您审核"
