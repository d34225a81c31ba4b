"""The outbound channel: how a notification leaves the platform (SMS, a webhook, the log).

Messages are handed over only by the outbox drain (``services/notices/outbox.py``),
after the change they tell of has committed. A channel either delivers a message or
raises ``DeliveryFailed``; a permanent failure (no phone number, a 4xx answer) is not
tried again. Every message carries its id: a receiver that sees the same id twice
(a retry after a crash between sending and recording it) drops the second.

* ``LogChannel`` (development): writes the message to the log, the phone masked.
* ``SmsChannel``: hands the text to an SMS gateway with the same shape as the login
  codes' sender (``send(phone, text)``), so one gateway serves both.
* ``WebhookChannel``: POSTs JSON to a configured URL, signed with HMAC-SHA256 over
  the timestamp and the body (``X-Healthcode-Signature: sha256=<hex>``), with a
  timeout and retries with exponential backoff.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import httpx
import structlog

from healthcode.config import Settings
from healthcode.domain.identity import mask_mobile

log = structlog.get_logger()

SIGNATURE_HEADER = "X-Healthcode-Signature"
TIMESTAMP_HEADER = "X-Healthcode-Timestamp"
MESSAGE_ID_HEADER = "X-Healthcode-Message-Id"


@dataclass(frozen=True)
class OutboundMessage:
    id: uuid.UUID
    kind: str
    phone: str | None  # None: the recipient has no phone on record
    text: str
    params: Mapping[str, Any]
    created_at: datetime


class DeliveryFailed(Exception):
    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.permanent = permanent


class Channel(Protocol):
    name: str

    def deliver(self, message: OutboundMessage) -> None: ...


class TextSender(Protocol):
    """An SMS gateway; the login codes' sender (``env.OtpSender``) has this shape."""

    def send(self, phone: str, text: str) -> None: ...


class LogChannel:
    name = "log"

    def deliver(self, message: OutboundMessage) -> None:
        log.info(
            "notice.sent",
            channel=self.name,
            id=str(message.id),
            kind=message.kind,
            phone=mask_mobile(message.phone) if message.phone else None,
            text=message.text,
        )


class SmsChannel:
    name = "sms"

    def __init__(self, sender: TextSender) -> None:
        self.sender = sender

    def deliver(self, message: OutboundMessage) -> None:
        if not message.phone:
            raise DeliveryFailed("no_phone", permanent=True)
        self.sender.send(message.phone, message.text)


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def verify_signature(
    secret: str, *, timestamp: str, body: bytes, signature: str, now: float, tolerance: float = 300
) -> bool:
    """For a receiver: the body is ours, unchanged, and was signed recently."""
    try:
        fresh = abs(now - float(timestamp)) <= tolerance
    except ValueError:
        return False
    return fresh and hmac.compare_digest(sign(secret, timestamp, body), signature)


def body_of(message: OutboundMessage) -> bytes:
    return json.dumps(
        {
            "id": str(message.id),
            "kind": message.kind,
            "phone": message.phone,
            "text": message.text,
            "params": dict(message.params),
            "created_at": message.created_at.isoformat(),
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode()


class WebhookChannel:
    name = "webhook"

    def __init__(
        self,
        url: str,
        secret: str,
        *,
        timeout: float = 5.0,
        tries: int = 3,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not url.startswith(("https://", "http://")) or not secret:
            raise ValueError("the webhook channel needs an http(s) URL and a secret")
        self.url, self.secret, self.timeout, self.tries = url, secret, timeout, tries
        self.backoff, self.sleep, self.clock = backoff, sleep, clock

    def deliver(self, message: OutboundMessage) -> None:
        body = body_of(message)
        reason = ""
        for attempt in range(self.tries):
            if attempt:
                self.sleep(self.backoff * 2 ** (attempt - 1))
            timestamp = str(int(self.clock()))
            headers = {
                "Content-Type": "application/json",
                SIGNATURE_HEADER: sign(self.secret, timestamp, body),
                TIMESTAMP_HEADER: timestamp,
                MESSAGE_ID_HEADER: str(message.id),
            }
            try:
                answer = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout)
            except httpx.HTTPError as error:
                reason = type(error).__name__
                continue
            if answer.is_success:
                return
            reason = f"http_{answer.status_code}"
            if answer.status_code < 500 and answer.status_code not in (408, 429):
                raise DeliveryFailed(reason, permanent=True)
        raise DeliveryFailed(reason)


def make_channel(settings: Settings, *, sms: TextSender) -> Channel:
    if settings.notify_channel == "webhook":
        return WebhookChannel(
            settings.notify_webhook_url,
            settings.notify_webhook_secret,
            timeout=settings.notify_webhook_timeout,
            tries=settings.notify_webhook_tries,
        )
    if settings.notify_channel == "sms":
        return SmsChannel(sms)
    return LogChannel()
