"""Accounts and login; sessions are in ``sessions``.

Residents sign in with a one-time code sent to their mobile; staff with a username
and an argon2id password. Either way the caller gets an opaque session token that is
stored only as a hash, so a leaked table cannot be replayed. Phone numbers are kept
as a keyed hash (for lookup), a ciphertext and a masked form, never in plain text;
one-time codes only as a keyed hash, because six digits hashed without a key fall
to an offline search in a second.
"""

from __future__ import annotations

import hmac
import re
import secrets
import unicodedata
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

import structlog
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from healthcode.domain.errors import (
    Conflict,
    DomainError,
    FieldError,
    Forbidden,
    InvalidInput,
)
from healthcode.domain.i18n import N_
from healthcode.domain.identity import mask_mobile, parse_mobile
from healthcode.domain.scope import canonical
from healthcode.services.accounts import otp_limits, passwords
from healthcode.services.accounts.otp_limits import OTP_COOLDOWN, seconds
from healthcode.services.accounts.passwords import LoginRateLimited
from healthcode.services.accounts.permissions import STAFF_ROLES, AccountKind, Role
from healthcode.services.accounts.sessions import (
    AccountSummary,
    IssuedSession,
    open_session,
    summary,
)
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.services.shared.ratelimit import TooManyRequests
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

log = structlog.get_logger()


class KeptRefusal(DomainError):
    """A refusal whose bookkeeping (a counted wrong attempt) must survive the failed
    request, or guessing would be unlimited: the unit of work commits it."""

    keeps_changes = True


class OtpMissing(DomainError):
    code = "otp_missing"


class OtpUsed(DomainError):
    code = "otp_used"


class OtpExpired(DomainError):
    code = "otp_expired"


class OtpInvalid(KeptRefusal):
    code = "otp_invalid"


class OtpLocked(TooManyRequests, KeptRefusal):
    code = "otp_locked"


class BadCredentials(KeptRefusal):
    """Kept: the wrong password is counted towards the delay (``passwords``)."""

    status = 401
    code = "bad_credentials"


class AccountDisabled(Forbidden):
    code = "account_disabled"


class UsernameTaken(Conflict):
    code = "username_taken"


CODE_DIGITS = 6
# Per client address the failed sign-ins count, taken before the password (an office
# behind one address signs in all day: until stop 31 its 31st sign-in in a quarter of
# an hour was refused); per username the delay grows only for the address that typed
# the wrong passwords (``passwords``). The edge's fair share per address stays.
STAFF_CLIENT_LIMIT = "30/15 minutes"
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")


@dataclass(frozen=True)
class LoginCodeSent:
    phone_masked: str
    expires_at: datetime
    resend_after: datetime


# --- residents: one-time codes -------------------------------------------------------


def request_login_code(uow: UnitOfWork, env: Env, *, phone: str, client: str) -> LoginCodeSent:
    """Text a one-time code. The answer never depends on whether the number has an
    account, so this form cannot tell anyone who is registered."""
    number = parse_mobile(phone, field="phone")
    phone_hash = env.protector.keyed_hash(number, kind="phone")
    now = env.clock.now()
    otp_limits.check_request(uow, env, phone_hash=phone_hash, client=client[:64], now=now)
    code = new_code()
    challenge = t.OtpChallenge(
        phone_hash=phone_hash,
        code_hash=_code_hash(env, number, code),
        created_at=now,
        expires_at=now + timedelta(seconds=env.settings.otp_seconds),
        client=client[:64],
    )
    uow.add(challenge)
    uow.flush()
    uow.after_commit(lambda: env.otp_sender.send(number, code))
    log.info("auth.otp.requested", phone=mask_mobile(number))
    return LoginCodeSent(mask_mobile(number), challenge.expires_at, now + OTP_COOLDOWN)


def verify_login_code(
    uow: UnitOfWork, env: Env, *, phone: str, code: str, client: str, user_agent: str
) -> IssuedSession:
    """Redeem the latest code for a session, creating the resident's account on first use.

    The challenge row is locked, so of two requests racing with the right code only
    one is let in; wrong codes are counted on the row (``KeptRefusal``) when they come
    from the address that asked for it, so a stranger's guesses cannot kill the code.
    """
    number = parse_mobile(phone, field="phone")
    digits = parse_code(code)
    phone_hash = env.protector.keyed_hash(number, kind="phone")
    now, client = env.clock.now(), client[:64]
    challenge = live_challenge(env, _challenge_for(uow, phone_hash, client, now), now)
    own = challenge.client == client
    if not own:
        otp_limits.foreign_attempt(env, phone_hash=phone_hash, client=client)
    if not hmac.compare_digest(challenge.code_hash, _code_hash(env, number, digits)):
        count_wrong(env, challenge, now, counted=own)
    challenge.consumed_at = now
    account = ensure_resident_account(uow, env, phone=number)
    if account.disabled_at is not None:
        raise AccountDisabled(N_("This account is disabled; call the 12345 hotline"))
    log.info("auth.login.resident", account=str(account.id))
    return open_session(uow, env, account, client=client, user_agent=user_agent)


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def _challenge_for(
    uow: UnitOfWork, phone_hash: bytes, client: str, now: datetime
) -> t.OtpChallenge | None:
    """The live code this address asked for; else the newest one (the address changed
    between asking and typing, as phones do between Wi-Fi and mobile data)."""
    own = uow.otp.latest(phone_hash, client=client)
    if own is not None and own.consumed_at is None and now < own.expires_at:
        return own
    return uow.otp.latest(phone_hash)


def count_wrong(env: Env, challenge: t.OtpChallenge, now: datetime, *, counted: bool) -> None:
    if not counted:  # limited per address instead (``otp_limits.foreign_attempt``)
        raise OtpInvalid(N_("Wrong code"))
    challenge.attempts += 1
    remaining = env.settings.otp_attempts - challenge.attempts
    if remaining <= 0:
        raise _locked(challenge, now)
    raise OtpInvalid(N_("Wrong code; {remaining} attempt(s) left"), remaining=remaining)


def parse_code(code: str) -> str:
    digits = "".join(unicodedata.normalize("NFKC", code).split())
    if not (len(digits) == CODE_DIGITS and digits.isascii() and digits.isdigit()):
        message = N_("The code has {digits} digits")
        raise InvalidInput.single("code", "format", message, digits=CODE_DIGITS)
    return digits


def live_challenge(env: Env, challenge: t.OtpChallenge | None, now: datetime) -> t.OtpChallenge:
    if challenge is None:
        raise OtpMissing(N_("Request a code first"))
    if challenge.consumed_at is not None:
        raise OtpUsed(N_("This code has already been used; request a new one"))
    if challenge.attempts >= env.settings.otp_attempts:
        raise _locked(challenge, now)
    if now >= challenge.expires_at:
        raise OtpExpired(N_("This code has expired; request a new one"))
    return challenge


def _locked(challenge: t.OtpChallenge, now: datetime) -> OtpLocked:
    retry = seconds(challenge.created_at + OTP_COOLDOWN - now)
    return OtpLocked(N_("Too many wrong codes; request a new code"), retry_after=retry)


def ensure_resident_account(uow: UnitOfWork, env: Env, *, phone: str) -> t.Account:
    """The resident account of a mobile number, created on first use: at the first
    login, or when the demo (or a bulk load) brings residents in."""
    number = parse_mobile(phone, field="phone")
    phone_hash = env.protector.keyed_hash(number, kind="phone")
    account = uow.accounts.by_phone_hash(phone_hash)
    if account is not None:
        return account
    account = t.Account(
        id=uuid.uuid4(),
        kind=AccountKind.RESIDENT.value,
        phone_hash=phone_hash,
        phone_cipher=env.protector.encrypt(number.encode(), context="phone"),
        phone_masked=mask_mobile(number),
        created_at=env.clock.now(),
    )
    uow.add(account)
    uow.flush()  # the role row refers to it, and no relationship orders the inserts
    uow.add(t.AccountRole(account_id=account.id, role=Role.RESIDENT.value, scope=""))
    log.info("auth.account.created", account=str(account.id), kind="resident")
    return account


def _code_hash(env: Env, number: str, code: str) -> bytes:
    return env.protector.keyed_hash(f"{number}:{code}", kind="otp")


# --- staff: passwords -----------------------------------------------------------------


def staff_login(
    uow: UnitOfWork, env: Env, *, username: str, password: str, client: str, user_agent: str
) -> IssuedSession:
    """Password sign-in, counted against the address's limit of failed sign-ins.

    The attempt is counted before the password is looked at, atomically (as a code
    request's address count is), and given back unless it failed: when the count was
    read first and a failure added after the hash, a burst of guesses all read the
    same count and all were checked. Sign-ins in flight at once thus count until
    they end; an office's colleagues each take a fraction of a second."""
    _given(username=username, password=password)
    failures = ("staff-client", client)
    otp_limits.hit(env, STAFF_CLIENT_LIMIT, failures, LoginRateLimited)
    failed = False
    try:
        return _password_login(
            uow, env, username=username, password=password, client=client, user_agent=user_agent
        )
    except BadCredentials:
        failed = True
        raise
    finally:
        if not failed:  # right, or refused before the password: nothing is counted
            env.limiter.release(STAFF_CLIENT_LIMIT, *failures)


def _given(*, username: str, password: str) -> None:
    """A field left empty is a slip, not a guess: named beside its field and not
    counted (it was a counted ``bad_credentials``, and the sign-in page lost the form)."""
    missing = [
        FieldError(field, "required", message)
        for field, value, message in (
            ("username", normal_username(username), N_("Please enter your username")),
            ("password", password, N_("Please enter your password")),
        )
        if not value
    ]
    if missing:
        raise InvalidInput(*missing)


def _password_login(
    uow: UnitOfWork, env: Env, *, username: str, password: str, client: str, user_agent: str
) -> IssuedSession:
    """An unknown name costs the same hash and gets the same error as a wrong
    password, so neither timing nor wording reveals which names exist."""
    name, now, who = normal_username(username), env.clock.now(), client[:64]
    passwords.check_delay(uow, username=name[:128], client=who, now=now)
    hasher = _hasher(env.settings.argon2_time_cost, env.settings.argon2_memory_kib)
    account = uow.accounts.by_username(name)
    stored = account.password_hash if account is not None else None
    against = stored or _decoy(env.settings.argon2_time_cost, env.settings.argon2_memory_kib)
    if not _verify(hasher, against, password) or account is None or stored is None:
        passwords.record_failure(uow, username=name[:128], client=who, now=now)
        if account is not None:  # a name typed wrong is not kept: it may be a password
            _audit_sign_in(uow, env, account, "staff.sign_in.refused", client)
        raise BadCredentials(N_("Wrong username or password"))
    passwords.clear_failures(uow, username=name[:128], client=who)
    if account.disabled_at is not None:
        raise AccountDisabled(N_("This account is disabled; ask an administrator"))
    if hasher.check_needs_rehash(stored):
        account.password_hash = hasher.hash(password)
    log.info("auth.login.staff", account=str(account.id))
    _audit_sign_in(uow, env, account, "staff.sign_in", client)
    return open_session(uow, env, account, client=client, user_agent=user_agent)


def _audit_sign_in(uow: UnitOfWork, env: Env, account: t.Account, action: str, client: str) -> None:
    """A staff sign-in, or a wrong password for an existing account, in the audit log
    an auditor reads (they were in the server's log only: an outside probe, stop 45).
    The account is named in the detail: a refused attempt has no actor."""
    actor = account.id if action == "staff.sign_in" else None
    detail = {"account_id": str(account.id), "username": account.username or ""}
    audit.record(uow, env, actor_id=actor, action=action, detail=detail, client=client)


def create_staff(
    uow: UnitOfWork,
    env: Env,
    *,
    username: str,
    password: str,
    display_name: str,
    roles: Sequence[tuple[Role, str]],
    must_change_password: bool = False,
) -> AccountSummary:
    """A staff account with its roles; the caller has checked ``staff.manage``.
    ``must_change_password``: the password was chosen by someone other than its
    owner (an administrator, the console), so the owner must change it before
    anything else (``sessions.admitted``); the demo's printed accounts are not."""
    name, shown = normal_username(username), " ".join(display_name.split())
    errors = _staff_errors(name, password, shown, roles)
    if errors:
        raise InvalidInput(*errors)
    if uow.accounts.by_username(name) is not None:
        raise UsernameTaken(N_("The username {username} is taken"), username=name)
    account = t.Account(
        id=uuid.uuid4(),
        kind=AccountKind.STAFF.value,
        username=name,
        display_name=shown,
        password_hash=hash_password(env, password),
        must_change_password=must_change_password,
        created_at=env.clock.now(),
    )
    uow.add(account)
    uow.flush()
    for role, scope in dict.fromkeys((r, canonical(s)) for r, s in roles):
        uow.add(t.AccountRole(account_id=account.id, role=Role(role).value, scope=scope))
    uow.flush()
    log.info("auth.account.created", account=str(account.id), kind="staff")
    return summary(account, uow.accounts.roles_of(account.id))


def _staff_errors(
    name: str, password: str, shown: str, roles: Sequence[tuple[Role, str]]
) -> list[FieldError]:
    """Every rejected field at once, each with its own reason."""
    weak = passwords.password_error(password, name)
    errors = [weak] if weak is not None else []
    if not _USERNAME.fullmatch(name):
        message = N_("3 to 64 characters: letters, digits, '.', '_' or '-'")
        errors.append(FieldError("username", "format", message))
    if not 0 < len(shown) <= 64:
        errors.append(FieldError("display_name", "length", N_("1 to 64 characters")))
    if not roles:
        errors.append(FieldError("roles", "required", N_("Give at least one role")))
    elif any(role not in STAFF_ROLES or len(scope) > 64 for role, scope in roles):
        message = N_("Staff roles only, each scope at most 64 characters")
        errors.append(FieldError("roles", "not_staff", message))
    return errors


def normal_username(username: str) -> str:
    return unicodedata.normalize("NFKC", username).strip().casefold()


def hash_password(env: Env, password: str) -> str:
    return _hasher(env.settings.argon2_time_cost, env.settings.argon2_memory_kib).hash(password)


def password_matches(env: Env, stored: str | None, password: str) -> bool:
    """``password`` is the one ``stored`` was hashed from (an account with none: never)."""
    hasher = _hasher(env.settings.argon2_time_cost, env.settings.argon2_memory_kib)
    return stored is not None and _verify(hasher, stored, password)


@lru_cache(maxsize=8)
def _hasher(time_cost: int, memory_kib: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)


@lru_cache(maxsize=8)
def _decoy(time_cost: int, memory_kib: int) -> str:
    """A hash of nothing anyone knows, verified against when the username is unknown."""
    return _hasher(time_cost, memory_kib).hash(secrets.token_urlsafe(24))


def _verify(hasher: PasswordHasher, stored: str, password: str) -> bool:
    try:
        return hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False
