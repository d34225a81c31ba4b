"""The outbox: nothing sent for a rolled-back change, nothing lost for a committed one,
each message delivered once (a crash mid-send repeats it with the same id)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import FixedClock
from healthcode.jobs.notices import DrainResult, drain, drain_if_leader
from healthcode.services.shared.env import Env
from healthcode.services.shared.outbound import DeliveryFailed, OutboundMessage, SmsChannel
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWorkFactory
from tests.services.conftest import declare, new_account
from tests.services.notices.helpers import outbox


@dataclass
class Recorder:
    name: str = "test"
    delivered: list[OutboundMessage] = field(default_factory=list)
    fail: Exception | None = None
    fail_for: str | None = None  # only this phone's messages fail

    def deliver(self, message: OutboundMessage) -> None:
        if self.fail is not None and self.fail_for in (None, message.phone):
            raise self.fail
        self.delivered.append(message)


@pytest.fixture
def units(sessions: sessionmaker[Session]) -> UnitOfWorkFactory:
    return UnitOfWorkFactory(sessions)


@pytest.fixture
def channel(env: Env) -> Recorder:
    env.channel = recorder = Recorder()
    return recorder


def a_change(units: UnitOfWorkFactory, env: Env, phone: str = "13800001111") -> None:
    with units() as uow:
        declare(uow, env, new_account(uow, env, phone), temperature=37.8)


class TestCrashSafety:
    def test_a_rolled_back_change_sends_nothing(
        self, units: UnitOfWorkFactory, env: Env, channel: Recorder
    ) -> None:
        def fails_after_the_change() -> None:
            with units() as uow:
                declare(uow, env, new_account(uow, env, "13800001111"), temperature=37.8)
                assert outbox(uow) != []
                raise RuntimeError("the request fails after the change")

        with pytest.raises(RuntimeError):
            fails_after_the_change()
        assert drain(units, env) == DrainResult(0, 0)
        assert channel.delivered == []

    def test_a_committed_change_is_sent_by_the_next_drain_even_if_the_process_died(
        self, units: UnitOfWorkFactory, env: Env, channel: Recorder
    ) -> None:
        a_change(units, env)  # committed; then the process "dies": nothing was sent yet
        assert channel.delivered == []
        assert drain(units, env) == DrainResult(1, 0)
        [message] = channel.delivered
        assert message.kind == "colour_changed"
        assert message.phone == "13800001111"
        assert drain(units, env) == DrainResult(0, 0)  # exactly once

    def test_a_crash_between_sending_and_recording_repeats_it_with_the_same_id(
        self, units: UnitOfWorkFactory, env: Env, channel: Recorder
    ) -> None:
        a_change(units, env)

        class Dies(Recorder):
            def deliver(self, message: OutboundMessage) -> None:
                super().deliver(message)
                raise KeyboardInterrupt  # the process stops before recording it

        env.channel = dying = Dies()
        with pytest.raises(KeyboardInterrupt):
            drain(units, env)
        env.channel = channel
        assert drain(units, env).sent == 1
        assert [m.id for m in dying.delivered] == [m.id for m in channel.delivered]
        assert drain(units, env).sent == 0


class TestFailures:
    def test_a_passing_failure_is_tried_again_later(
        self, units: UnitOfWorkFactory, env: Env, channel: Recorder, clock: FixedClock
    ) -> None:
        a_change(units, env)
        channel.fail = DeliveryFailed("http_503")
        assert drain(units, env) == DrainResult(0, 1)
        assert drain(units, env) == DrainResult(0, 0)  # not due yet
        channel.fail = None
        clock.advance(timedelta(seconds=30))
        assert drain(units, env) == DrainResult(1, 0)
        with units() as uow:
            [row] = outbox(uow)
            assert row.attempts == 2
            assert row.last_error == "http_503"
            assert row.sent_at

    def test_given_up_after_a_permanent_failure_or_the_last_attempt(
        self, units: UnitOfWorkFactory, env: Env, channel: Recorder, clock: FixedClock
    ) -> None:
        a_change(units, env, "13800001111")
        channel.fail = DeliveryFailed("http_400", permanent=True)
        assert drain(units, env) == DrainResult(0, 1)
        a_change(units, env, "13800002222")
        channel.fail = DeliveryFailed("timeout")
        for _ in range(env.settings.outbox_attempts):
            drain(units, env)
            clock.advance(timedelta(hours=2))
        channel.fail = None
        assert drain(units, env) == DrainResult(0, 0)
        with units() as uow:
            rows = outbox(uow)
            assert all(r.failed_at and r.sent_at is None for r in rows)
            assert sorted(r.attempts for r in rows) == [1, env.settings.outbox_attempts]

    def test_a_gateway_error_of_any_kind_holds_up_only_its_own_message(
        self, units: UnitOfWorkFactory, env: Env, channel: Recorder, clock: FixedClock
    ) -> None:
        """A ConnectionError from the SMS gateway stopped every drain at the same oldest
        message: nothing after it was ever sent, and it was never retried nor given up."""
        a_change(units, env, "13800001111")
        clock.advance(timedelta(seconds=1))
        a_change(units, env, "13800002222")
        channel.fail, channel.fail_for = ConnectionError("gateway reset"), "13800001111"
        assert drain(units, env) == DrainResult(1, 1)
        assert [m.phone for m in channel.delivered] == ["13800002222"]
        with units() as uow:
            failed = next(r for r in outbox(uow) if r.sent_at is None)
            assert (failed.attempts, failed.last_error) == (1, "ConnectionError: gateway reset")

    def test_a_message_that_cannot_be_read_is_given_up_and_the_rest_sent(
        self, units: UnitOfWorkFactory, env: Env, channel: Recorder, clock: FixedClock
    ) -> None:
        a_change(units, env, "13800001111")
        clock.advance(timedelta(seconds=1))
        a_change(units, env, "13800002222")
        with units() as uow:  # the first one's phone sealed under another key, say
            first = min(outbox(uow), key=lambda r: r.created_at)
            first.phone_cipher = b"not a cipher"
        assert drain(units, env) == DrainResult(1, 0)
        with units() as uow:
            given_up = next(r for r in outbox(uow) if r.sent_at is None)
            assert given_up.failed_at is not None
            assert given_up.last_error.startswith("unprepared: ")

    def test_sms_without_a_phone_is_given_up(self) -> None:
        message = OutboundMessage(uuid.uuid4(), "applications_waiting", None, "x", {}, None)  # type: ignore[arg-type]
        with pytest.raises(DeliveryFailed) as failed:
            SmsChannel(Recorder()).deliver(message)  # type: ignore[arg-type]
        assert failed.value.permanent


@pytest.fixture
def committed(engine: Engine) -> Iterator[sessionmaker[Session]]:
    """Sessions on their own connections that really commit, for two drains at once."""
    factory = sessionmaker(engine, expire_on_commit=False)
    yield factory
    with factory.begin() as session:
        session.execute(delete(t.Resident))
        session.execute(delete(t.Account))
        session.execute(delete(t.Lease))


def test_two_drains_at_once_deliver_each_message_once(
    committed: sessionmaker[Session], env: Env
) -> None:
    """The first drain holds the lease while it sends; the second, started meanwhile,
    sends nothing."""
    units = UnitOfWorkFactory(committed)
    a_change(units, env, "13800001111")
    a_change(units, env, "13800002222")
    sending, second_done = threading.Event(), threading.Event()
    delivered: list[uuid.UUID] = []

    class Slow:
        name = "slow"

        def deliver(self, message: OutboundMessage) -> None:
            sending.set()
            second_done.wait(timeout=10)
            delivered.append(message.id)

    env.channel = Slow()
    results: list[DrainResult | None] = []
    first = threading.Thread(target=lambda: results.append(drain_if_leader(units, env)))
    first.start()
    assert sending.wait(timeout=10)
    second = drain_if_leader(units, env)
    second_done.set()
    first.join(timeout=20)
    assert second is None
    assert results == [DrainResult(2, 0)]
    assert len(delivered) == len(set(delivered)) == 2
    assert drain_if_leader(units, env) == DrainResult(0, 0)
