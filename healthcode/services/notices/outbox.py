"""The outbox: messages written with the change they tell of, sent after its commit.

``enqueue`` adds a row in the caller's transaction, so a rolled-back change leaves
nothing to send and a committed one cannot be lost. The drain (``jobs/notices.py``)
reads the due messages (``due``), hands each to the channel outside any transaction,
then records the outcome (``sent`` / ``failed``) in a transaction of its own. A crash
between handing a message over and recording it sends it again on the next drain,
with the same id, which the receiver uses to drop the repeat.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

import structlog

from healthcode.i18n import language, set_language
from healthcode.services.notices.texts import describe, message_text
from healthcode.services.shared.env import Env
from healthcode.services.shared.outbound import DeliveryFailed, OutboundMessage
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

log = structlog.get_logger()
PHONE_CONTEXT = "phone"  # accounts' and organisations' phone ciphers alike
MAX_BACKOFF = timedelta(hours=1)


@dataclass(frozen=True)
class Recipient:
    phone_cipher: bytes | None
    phone_masked: str | None
    language: str


class Contact(Protocol):
    """What a message needs of an account: an account, or its columns read alone."""

    @property
    def phone_cipher(self) -> bytes | None: ...
    @property
    def phone_masked(self) -> str | None: ...
    @property
    def language(self) -> str | None: ...


def recipient_of(account: Contact | None) -> Recipient:
    if account is None:
        return Recipient(None, None, "zh")
    return Recipient(account.phone_cipher, account.phone_masked, account.language or "zh")


def enqueue(
    uow: UnitOfWork,
    env: Env,
    *,
    kind: str,
    to: Recipient,
    notification_id: uuid.UUID | None = None,
    organisation_id: uuid.UUID | None = None,
    params: Mapping[str, Any] | None = None,
) -> t.OutboxMessage:
    row = t.OutboxMessage(**message_values(env, kind, to, notification_id, organisation_id, params))
    uow.add(row)
    return row


def message_values(
    env: Env,
    kind: str,
    to: Recipient,
    notification_id: uuid.UUID | None = None,
    organisation_id: uuid.UUID | None = None,
    params: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """An outbox row's columns (``enqueue`` adds one; a batch inserts many at once)."""
    now = env.clock.now()
    return {
        "id": uuid.uuid4(),
        "kind": kind,
        "notification_id": notification_id,
        "organisation_id": organisation_id,
        "phone_cipher": to.phone_cipher,
        "phone_masked": to.phone_masked,
        "language": to.language,
        "params": dict(params or {}),
        "created_at": now,
        "due_at": now,
        "attempts": 0,
    }


def due(uow: UnitOfWork, env: Env, *, limit: int) -> list[OutboundMessage]:
    """The messages to send now, with their text in the recipient's language (a
    notification's current parameters: a batch says how many are waiting by now)."""
    messages = []
    for row in uow.outbox.due(env.clock.now(), limit):
        try:
            messages.append(_message(uow, env, row))
        except Exception as error:  # unreadable (a text, a phone): it would stay first
            _give_up(row, env, f"unprepared: {type(error).__name__}")  # and hold the rest
    return messages


def _give_up(row: t.OutboxMessage, env: Env, reason: str) -> None:
    row.attempts += 1
    row.last_error, row.failed_at = reason[:200], env.clock.now()
    log.error("notice.outbox.unprepared", id=str(row.id), reason=row.last_error)


def _message(uow: UnitOfWork, env: Env, row: t.OutboxMessage) -> OutboundMessage:
    params = dict(row.params)
    if row.notification_id is not None:
        notification = uow.notifications.by_id(row.notification_id)
        if notification is not None:
            params = {**notification.payload, **params}
    previous = language()
    set_language(row.language)
    try:
        text = message_text(describe(row.kind, params, env.policies))
    finally:
        set_language(previous)
    phone = (
        env.protector.decrypt(row.phone_cipher, context=PHONE_CONTEXT).decode()
        if row.phone_cipher
        else None
    )
    return OutboundMessage(row.id, row.kind, phone, text, params, row.created_at)


def sent(uow: UnitOfWork, env: Env, *, message_id: uuid.UUID) -> None:
    row = uow.outbox.by_id(message_id, lock=True)
    if row is not None and row.sent_at is None:
        row.sent_at = env.clock.now()
        row.attempts += 1
    log.info("notice.outbox.sent", id=str(message_id))


def failed(uow: UnitOfWork, env: Env, *, message_id: uuid.UUID, error: DeliveryFailed) -> None:
    """Try again later, waiting longer each time, or give up: a permanent failure (no
    phone, a refusal) or the last attempt."""
    row = uow.outbox.by_id(message_id, lock=True)
    if row is None or row.sent_at is not None:
        return
    now = env.clock.now()
    row.attempts += 1
    row.last_error = str(error)[:200]
    if error.permanent or row.attempts >= env.settings.outbox_attempts:
        row.failed_at = now
    else:
        row.due_at = now + min(timedelta(seconds=30 * 2 ** (row.attempts - 1)), MAX_BACKOFF)
    log.warning(
        "notice.outbox.failed",
        id=str(message_id),
        reason=row.last_error,
        attempts=row.attempts,
        gave_up=row.failed_at is not None,
    )
