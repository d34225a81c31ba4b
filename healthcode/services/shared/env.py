"""What every use case needs besides its unit of work: infrastructure only — settings,
clock, the protector for personal numbers, the rate limiter, the key cache, the
pluggable outside parts (the SMS sender, the notifications' outbound channel) — and
the policies in force, loaded once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from healthcode.config import Settings
from healthcode.crypto import Protector
from healthcode.domain.clock import Clock
from healthcode.domain.identity import mask_mobile
from healthcode.services.shared.blobs import BlobStore, make_blob_store
from healthcode.services.shared.display_tokens import DisplayTokens
from healthcode.services.shared.keys import KeyCache
from healthcode.services.shared.outbound import Channel, LogChannel, make_channel
from healthcode.services.shared.policies import Policies
from healthcode.services.shared.ratelimit import RateLimiter
from healthcode.services.shared.versioned_cache import LocalCache, VersionedCache, make_cache

log = structlog.get_logger()


class OtpSender(Protocol):
    def send(self, phone: str, code: str) -> None: ...


class LogSender:
    """Development sender: writes the one-time code to the server log."""

    def send(self, phone: str, code: str) -> None:
        log.info("otp.sent", phone=mask_mobile(phone), code=code, sender="log")


@dataclass
class Env:
    settings: Settings
    clock: Clock
    protector: Protector
    policies: Policies
    limiter: RateLimiter
    blobs: BlobStore
    keys: KeyCache = field(default_factory=KeyCache)
    display_tokens: DisplayTokens = field(default_factory=DisplayTokens)
    otp_sender: OtpSender = field(default_factory=LogSender)
    channel: Channel = field(default_factory=LogChannel)
    cache: VersionedCache = field(default_factory=LocalCache)  # e.g. the colour cache
    # A process whose cache no server reads (the command line) tells them it wrote
    # colours (``colour_cache.tell_servers``); None in the servers themselves.
    announce: Callable[[], None] | None = None


def make_env(settings: Settings, clock: Clock, otp_sender: OtpSender | None = None) -> Env:
    sender = otp_sender or LogSender()
    return Env(
        settings=settings,
        clock=clock,
        protector=Protector(settings.secret),
        policies=Policies.builtin(settings.policies),
        limiter=RateLimiter(
            settings.redis_url or "memory://",
            enabled=settings.rate_limits,
            timeout=settings.redis_timeout_seconds,
        ),
        blobs=make_blob_store(settings),
        otp_sender=sender,
        channel=make_channel(settings, sms=sender),
        cache=make_cache(
            settings.redis_url,
            enabled=settings.colour_cache,
            timeout=settings.redis_timeout_seconds,
        ),
    )
