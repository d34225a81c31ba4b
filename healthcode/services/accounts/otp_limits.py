"""Limits on one-time codes, counted so that a stranger cannot lock the owner out.

Every count is per phone number *and* requester (client address): five requests
for someone's number from one address stop that address, not the owner asking from
their own. Only codes sent are counted: a refused request (a number still cooling
down, over its own limits, the global budget spent, a mistyped number) uses up
nothing, so a shared address is not run out by taps that sent no text; the address's
count is taken last, atomically, so no burst from one address gets past it, and the
requests for one number from one address take turns, so a burst of them gets one
code past the cooldown, not one each. A wrong code counts against a challenge only
when it comes from the address that asked for it; guesses from elsewhere are
limited on their own. Above all of it, a global budget caps the SMS sent per hour
(one address once sent codes to a hundred numbers), because texts cost money and
can harass; it is counted in the database, shared by every worker, by requests
taking turns, so a burst at its edge sends the budget exactly.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from healthcode.domain.i18n import N_
from healthcode.services.shared.env import Env
from healthcode.services.shared.ratelimit import TooManyRequests
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


class OtpCooldown(TooManyRequests):
    code = "otp_cooldown"


class OtpHourlyLimit(TooManyRequests):
    code = "otp_hourly_limit"


class OtpDailyLimit(TooManyRequests):
    code = "otp_daily_limit"


class OtpClientLimit(TooManyRequests):
    code = "otp_client_limit"


class OtpGuessLimit(TooManyRequests):
    code = "otp_guess_limit"


class SmsBudgetExhausted(TooManyRequests):
    code = "sms_budget_exhausted"


OTP_COOLDOWN = timedelta(seconds=60)
_PER_HOUR = N_("At most {limit} codes an hour go to one number; try again in {minutes} minutes")
_PER_DAY = N_("At most {limit} codes a day go to one number; try again in {hours} hours")
OTP_QUOTAS: tuple[tuple[timedelta, int, type[TooManyRequests], str], ...] = (
    (timedelta(hours=1), 5, OtpHourlyLimit, _PER_HOUR),
    (timedelta(days=1), 10, OtpDailyLimit, _PER_DAY),
)
# Wrong codes typed from an address that did not ask for the code: per phone and
# address, and per phone in all (the owner's own address is never counted here).
FOREIGN_GUESSES = (("otp-guess", "5/hour"), ("otp-guess-phone", "20/hour"))


def check_request(
    uow: UnitOfWork, env: Env, *, phone_hash: bytes, client: str, now: datetime
) -> None:
    """Refuse a code request over the address's, the number's or the global limit;
    a request let through is counted against its address (the code will be sent)."""
    per_client, keys = f"{env.settings.otp_per_client_hour}/hour", ("otp-client", client)
    check(env, per_client, keys, OtpClientLimit)  # at its limit: refused before the database
    uow.otp.take_turn(phone_hash, client)  # requests at once for this number queue here
    latest = uow.otp.latest(phone_hash, client=client)
    if latest is not None:
        _per_phone_and_client(uow, latest, now)
    _within_budget(uow, env, now)
    uow.otp.take_budget_turn()  # a burst at the budget's edge sends the budget exactly
    _within_budget(uow, env, now)
    hit(env, per_client, keys, OtpClientLimit)  # last and atomic: a burst stops here


def _within_budget(uow: UnitOfWork, env: Env, now: datetime) -> None:
    """Refuse once the hour's codes reach the global budget. Asked before the budget's
    turn too: a surge past the budget is refused at once, not queued one by one behind
    the lock every request for any number takes (a count read without it can only
    be lower than the true one, never refuse a code that had room)."""
    if uow.otp.count_all_since(now - timedelta(hours=1)) >= env.settings.sms_per_hour:
        raise SmsBudgetExhausted(
            N_("Too many codes are being sent right now; try again in a few minutes"),
            retry_after=300,
        )


def _per_phone_and_client(uow: UnitOfWork, latest: t.OtpChallenge, now: datetime) -> None:
    if now < latest.created_at + OTP_COOLDOWN:
        retry = seconds(latest.created_at + OTP_COOLDOWN - now)
        message = N_("Please wait {retry_after} seconds before asking for another code")
        raise OtpCooldown(message, retry_after=retry)
    for window, most, error, message in OTP_QUOTAS:
        if uow.otp.count_since(latest.phone_hash, now - window, client=latest.client) >= most:
            # An upper bound: by then even the newest code has left the window.
            retry = seconds(latest.created_at + window - now)
            raise error(message, retry_after=retry, limit=most, **durations(retry))


def foreign_attempt(env: Env, *, phone_hash: bytes, client: str) -> None:
    """Count a code typed from an address that did not request the challenge, before
    it is compared, so a blocked guesser learns nothing from a right guess."""
    phone = phone_hash.hex()
    for name, limit in FOREIGN_GUESSES:
        keys = (name, f"{phone}:{client}") if name == "otp-guess" else (name, phone)
        hit(env, limit, keys, OtpGuessLimit)


def hit(env: Env, limit: str, keys: tuple[str, str], error: type[TooManyRequests]) -> None:
    retry = env.limiter.hit(limit, *keys)
    if retry is not None:
        message = N_("Too many attempts; try again in {minutes} minutes")
        raise error(message, retry_after=retry, **durations(retry))


def check(env: Env, limit: str, keys: tuple[str, str], error: type[TooManyRequests]) -> None:
    """Refuse when ``limit`` is used up, counting nothing: the caller ``hit``s once what
    the limit counts has happened (a code sent, a failed sign-in)."""
    retry = env.limiter.test(limit, *keys)
    if retry is not None:
        message = N_("Too many attempts; try again in {minutes} minutes")
        raise error(message, retry_after=retry, **durations(retry))


def durations(secs: int) -> dict[str, int]:
    return {"minutes": math.ceil(secs / 60), "hours": math.ceil(secs / 3600)}


def seconds(delta: timedelta) -> int:
    return max(1, math.ceil(delta.total_seconds()))
