"""What every use case needs besides its unit of work: settings, clock, policies,
the protector for personal numbers, and pluggable outside parts (the SMS sender)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

import structlog

from healthcode.config import Settings
from healthcode.crypto import Protector
from healthcode.domain.clock import Clock
from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.identity import mask_mobile
from healthcode.domain.policy import Policy
from healthcode.policies import builtin_policy
from healthcode.services.codes.display_tokens import DisplayTokens
from healthcode.services.shared.keys import KeyCache
from healthcode.services.shared.ratelimit import RateLimiter

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
    policies: Mapping[str, Policy]
    limiter: RateLimiter
    keys: KeyCache = field(default_factory=KeyCache)
    display_tokens: DisplayTokens = field(default_factory=DisplayTokens)
    otp_sender: OtpSender = field(default_factory=LogSender)

    def policy(self, policy_id: str, *, field: str = "policy") -> Policy:
        try:
            return self.policies[policy_id]
        except KeyError:
            raise InvalidInput.single(
                field,
                "unknown_policy",
                N_("Unknown code type '{policy}'; choose one of: {known}"),
                policy=policy_id,
                known=", ".join(self.policies),
            ) from None


def make_env(settings: Settings, clock: Clock, otp_sender: OtpSender | None = None) -> Env:
    return Env(
        settings=settings,
        clock=clock,
        protector=Protector(settings.secret),
        policies={name: builtin_policy(name) for name in settings.policies},
        limiter=RateLimiter(settings.redis_url or "memory://", enabled=settings.rate_limits),
        otp_sender=otp_sender or LogSender(),
    )
