"""The webhook channel against a real local HTTP receiver that verifies the signature."""

from __future__ import annotations

import uuid
from datetime import datetime

import pytest
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import TZ
from healthcode.jobs.notices import drain
from healthcode.services.shared.env import Env
from healthcode.services.shared.outbound import (
    DeliveryFailed,
    OutboundMessage,
    WebhookChannel,
    body_of,
    sign,
    verify_signature,
)
from healthcode.store.uow import UnitOfWorkFactory
from tests.services.conftest import declare, new_account
from tests.services.notices.receiver import receiving

SECRET = "webhook-test-secret"
MESSAGE = OutboundMessage(
    id=uuid.uuid4(),
    kind="report_due",
    phone="13800001111",
    text="山东省健康通行卡：您今天还未进行健康上报",
    params={"policy": "shandong-pass"},
    created_at=datetime(2020, 2, 23, 20, 0, tzinfo=TZ),
)


def channel(url: str, secret: str = SECRET, **options: object) -> WebhookChannel:
    waits: list[float] = []
    made = WebhookChannel(url, secret, timeout=2, sleep=waits.append, **options)  # type: ignore[arg-type]
    made.waits = waits  # type: ignore[attr-defined]
    return made


class TestWebhookChannel:
    def test_the_receiver_verifies_the_signature_and_reads_the_message(self) -> None:
        with receiving(SECRET) as receiver:
            channel(receiver.url).deliver(MESSAGE)
        got = receiver.messages[str(MESSAGE.id)]
        assert got["kind"] == "report_due"
        assert got["phone"] == "13800001111"
        assert got["text"] == MESSAGE.text
        assert receiver.refused == 0

    def test_a_wrong_secret_is_refused_and_not_tried_again(self) -> None:
        with receiving(SECRET) as receiver, pytest.raises(DeliveryFailed) as failed:
            channel(receiver.url, secret="not-the-secret").deliver(MESSAGE)
        assert failed.value.permanent
        assert receiver.requests == 1
        assert receiver.refused == 1
        assert receiver.messages == {}

    def test_a_server_error_is_retried_with_growing_waits(self) -> None:
        with receiving(SECRET) as receiver:
            receiver.fail_next = 2
            sender = channel(receiver.url, tries=3, backoff=0.5)
            sender.deliver(MESSAGE)
        assert receiver.requests == 3
        assert list(receiver.messages) == [str(MESSAGE.id)]
        assert sender.waits == [0.5, 1.0]  # type: ignore[attr-defined]

    def test_nobody_listening_fails_for_a_later_try(self) -> None:
        with receiving(SECRET) as receiver:
            url = receiver.url
        with pytest.raises(DeliveryFailed) as failed:
            channel(url, tries=2).deliver(MESSAGE)
        assert not failed.value.permanent

    def test_a_channel_without_a_secret_is_refused_at_start(self) -> None:
        with pytest.raises(ValueError, match="secret"):
            WebhookChannel("http://127.0.0.1:9/", "")

    def test_a_stale_or_altered_signature_does_not_verify(self) -> None:
        body = body_of(MESSAGE)
        good = sign(SECRET, "1000", body)
        assert verify_signature(SECRET, timestamp="1000", body=body, signature=good, now=1100)
        assert not verify_signature(SECRET, timestamp="1000", body=body, signature=good, now=2000)
        assert not verify_signature(
            SECRET, timestamp="1000", body=body + b" ", signature=good, now=1100
        )
        assert not verify_signature(SECRET, timestamp="x", body=body, signature=good, now=1100)


def test_a_crash_after_sending_sends_again_and_the_receiver_drops_the_repeat(
    sessions: sessionmaker[Session], env: Env
) -> None:
    units = UnitOfWorkFactory(sessions)
    with units() as uow:
        declare(uow, env, new_account(uow, env, "13800001111"), temperature=37.8)
    with receiving(SECRET) as receiver:
        real = channel(receiver.url)

        class CrashesAfterSending:
            name = "webhook"

            def deliver(self, message: OutboundMessage) -> None:
                real.deliver(message)
                raise SystemExit("the process dies before recording it")

        env.channel = CrashesAfterSending()
        with pytest.raises(SystemExit):
            drain(units, env)
        env.channel = real
        assert drain(units, env).sent == 1
        assert drain(units, env).sent == 0
    assert len(receiver.messages) == 1
    assert receiver.repeats == 1
    [message] = receiver.messages.values()
    assert message["kind"] == "colour_changed"
    assert message["phone"] == "13800001111"
