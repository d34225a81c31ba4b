"""Staff password rules and the growing delay after wrong passwords.

A password is refused when it is blank, short once its surrounding spaces are
ignored, only digits, the username, or on the shipped list of common passwords
(``data/common-passwords.txt``): the first guesses of anyone trying.

Wrong passwords slow down only the username *from the address that typed them*:
a hard lock per username would let anyone lock the real user out from elsewhere.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import lru_cache
from importlib import resources

from healthcode.domain.errors import FieldError
from healthcode.domain.i18n import N_
from healthcode.services.shared.ratelimit import TooManyRequests
from healthcode.store.uow import UnitOfWork

PASSWORD_MIN, PASSWORD_MAX = 10, 128
FREE_FAILURES = 3  # typos allowed before any delay
MAX_DELAY = timedelta(minutes=15)


class LoginRateLimited(TooManyRequests):
    code = "login_rate_limited"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    text = resources.files("healthcode").joinpath("data/common-passwords.txt").read_text("utf-8")
    return frozenset(
        line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def _common(password: str) -> bool:
    return password.strip().casefold() in common_passwords()


_RULES: tuple[tuple[Callable[[str, str], bool], str, str], ...] = (
    (lambda pw, _: not pw.strip(), "blank", N_("Cannot be only spaces")),
    (lambda pw, _: len(pw.strip()) < PASSWORD_MIN, "too_short", N_("At least {min} characters")),
    (lambda pw, _: len(pw) > PASSWORD_MAX, "too_long", N_("At most {max} characters")),
    (lambda pw, _: pw.strip().isdigit(), "all_digits", N_("Cannot be only digits")),
    (lambda pw, nm: pw.strip().casefold() == nm, "same_as_username", N_("Cannot be the username")),
    (lambda pw, _: _common(pw), "common", N_("Too common: it is among the first passwords tried")),
)


def password_error(password: str, username: str) -> FieldError | None:
    """The first rule the password breaks, if any."""
    limits = {"min": PASSWORD_MIN, "max": PASSWORD_MAX}
    for rule, code, message in _RULES:
        if rule(password, username):
            return FieldError("password", code, message, limits)
    return None


def delay_after(failures: int) -> timedelta:
    """None for the first few typos, then doubling from one second up to MAX_DELAY."""
    if failures < FREE_FAILURES:
        return timedelta(0)
    return min(MAX_DELAY, timedelta(seconds=2 ** min(failures - FREE_FAILURES, 20)))


def check_delay(uow: UnitOfWork, *, username: str, client: str, now: datetime) -> None:
    """Checked before the password, so a blocked guesser learns nothing from a right
    guess; the count stays locked until the sign-in ends, so guesses at once take turns."""
    row = uow.login_failures.locked(username, client, now)
    wait = row.last_at + delay_after(row.failures) - now
    if wait > timedelta(0):
        seconds = max(1, math.ceil(wait.total_seconds()))
        raise LoginRateLimited(
            N_("Too many wrong passwords; try again in {seconds} seconds"),
            retry_after=seconds,
            seconds=seconds,
        )


def record_failure(uow: UnitOfWork, *, username: str, client: str, now: datetime) -> None:
    uow.login_failures.count(username, client, now)


def clear_failures(uow: UnitOfWork, *, username: str, client: str) -> None:
    uow.login_failures.clear(username, client)
