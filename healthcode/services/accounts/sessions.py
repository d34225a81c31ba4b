"""Sessions: opaque tokens stored only as a hash, so a leaked table cannot be replayed.

Residents' sessions last days (a phone stays signed in); staff sessions last hours.
A staff account whose password someone else set (``must_change_password``) signs in,
but its session admits only calls about the account itself until its owner changes
the password (``admitted``): the administrator who chose it knows it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import KW_ONLY, dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from healthcode.crypto import new_token, token_hash
from healthcode.domain.errors import DomainError, Forbidden, NotFound
from healthcode.domain.i18n import N_
from healthcode.services.accounts.permissions import AccountKind, Principal, Role
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

MAX_TOKEN = 256


class NotAuthenticated(DomainError):
    status: ClassVar[int] = 401
    code: ClassVar[str] = "not_authenticated"

    @property
    def headers(self) -> Mapping[str, str]:
        return {"WWW-Authenticate": "Bearer"}


class PasswordChangeRequired(Forbidden):
    """The pages send the owner to the password page instead (``web/errorpages.py``)."""

    code: ClassVar[str] = "password_change_required"


MUST_CHANGE = N_("The password an administrator set for you must be changed before you can go on")


@dataclass(frozen=True)
class AccountSummary:
    id: uuid.UUID
    kind: AccountKind
    phone_masked: str | None
    username: str | None
    display_name: str
    resident_id: uuid.UUID | None
    roles: frozenset[tuple[Role, str]]
    must_change_password: bool = False


@dataclass(frozen=True)
class IssuedSession:
    token: str
    expires_at: datetime
    account: AccountSummary


# --- sessions -------------------------------------------------------------------------


def open_session(
    uow: UnitOfWork, env: Env, account: t.Account, *, client: str, user_agent: str
) -> IssuedSession:
    now = env.clock.now()
    if account.kind == AccountKind.RESIDENT:
        expires_at = now + timedelta(days=env.settings.session_days)
    else:
        expires_at = now + timedelta(hours=env.settings.staff_session_hours)
    token = new_token()
    session = t.AuthSession(
        token_hash=token_hash(token),
        account_id=account.id,
        created_at=now,
        expires_at=expires_at,
        client=client[:64],
        user_agent=user_agent[:255],
    )
    uow.add(session)
    uow.flush()
    return IssuedSession(token, expires_at, summary(account, uow.accounts.roles_of(account.id)))


def authenticate(uow: UnitOfWork, env: Env, *, token: str) -> Principal | None:
    """The principal behind a session token; None if unknown, expired, revoked or
    disabled; ``PasswordChangeRequired`` as ``admitted`` says."""
    found = _signed_in(uow, token)
    return None if found is None else admitted(found, now=env.clock.now())


def _signed_in(uow: UnitOfWork, token: str) -> SignedIn | None:
    if not token or len(token) > MAX_TOKEN:
        return None
    found = uow.sessions.signed_in(token_hash(token))
    if found is None:
        return None
    columns, roles = found
    return SignedIn(*columns, roles=roles)


@dataclass(frozen=True)
class SignedIn:
    """A session as read, with its account: what decides whether it still admits."""

    session_id: uuid.UUID
    expires_at: datetime
    revoked_at: datetime | None
    account_id: uuid.UUID
    kind: str
    disabled_at: datetime | None
    resident_id: uuid.UUID | None
    must_change_password: bool = False  # the code page's own query reads residents only
    _: KW_ONLY
    roles: tuple[tuple[str, str], ...]


def admitted(found: SignedIn, *, now: datetime, own_account: bool = False) -> Principal | None:
    """The principal of a session read as ``found``; None if expired, revoked or the
    account disabled. Every way in checks here, the code page's one query too. An
    account whose password must be changed first is refused
    (``PasswordChangeRequired``) unless the call is about the account itself
    (``own_account``: changing the password, reading the account, signing out)."""
    if found.revoked_at is not None or now >= found.expires_at:
        return None
    if found.disabled_at is not None:
        return None
    if found.must_change_password and not own_account:
        raise PasswordChangeRequired(MUST_CHANGE)
    return Principal(
        account_id=found.account_id,
        kind=AccountKind(found.kind),
        resident_id=found.resident_id,
        roles=_roles(found.roles),
        session_id=found.session_id,
        must_change_password=found.must_change_password,
    )


def admitted_as(
    found: SignedIn | None,
    admit: Callable[[Principal], Principal],
    *,
    now: datetime,
    own_account: bool = False,
) -> Principal:
    """``admitted``, then what the route demands (``admit``); no session or one that no
    longer admits: ``NotAuthenticated``."""
    principal = None if found is None else admitted(found, now=now, own_account=own_account)
    if principal is None:
        raise NotAuthenticated(N_("Please sign in"))
    return admit(principal)


@dataclass(frozen=True)
class Caller:
    """A request's session token, not checked yet, with what its route demands of
    the principal (``admit``: its permissions, or ``Forbidden``). A hot path that
    makes a query anyway reads the session in it (a gate's scan:
    ``store/repositories/scanning.py:signed_in_at``) and checks it with
    ``checked``, as every way in checks (``admitted``): one round trip fewer."""

    token: str | None
    admit: Callable[[Principal], Principal]
    own_account: bool = False  # a call about the account itself (``admitted``)

    @property
    def token_hash(self) -> bytes:
        if not self.token or len(self.token) > MAX_TOKEN:
            raise NotAuthenticated(N_("Please sign in"))
        return token_hash(self.token)

    def checked(self, found: SignedIn | None, *, now: datetime) -> Principal:
        return admitted_as(found, self.admit, now=now, own_account=self.own_account)

    def authenticate(self, uow: UnitOfWork, env: Env) -> Principal:
        """The principal by the session's own query (every other path)."""
        return self.checked(_signed_in(uow, self.token or ""), now=env.clock.now())


def residents_only(principal: Principal) -> Principal:
    """A resident's own account: staff accounts cannot act as residents."""
    if principal.kind is not AccountKind.RESIDENT or not principal.has_role(Role.RESIDENT):
        raise Forbidden(N_("This is for residents' own accounts"))
    return principal


def describe_account(uow: UnitOfWork, *, account_id: uuid.UUID) -> AccountSummary:
    account = uow.accounts.by_id(account_id)
    if account is None:
        raise NotFound(N_("No such account"))
    return summary(account, uow.accounts.roles_of(account.id))


def principal_of(uow: UnitOfWork, *, account_id: uuid.UUID) -> Principal:
    """The principal of an account acting outside a request (the CLI, the demo)."""
    account = describe_account(uow, account_id=account_id)
    return Principal(account.id, account.kind, account.resident_id, account.roles)


def logout(uow: UnitOfWork, env: Env, *, token: str) -> None:
    session = _session(uow, token)
    if session is not None and session.revoked_at is None:
        session.revoked_at = env.clock.now()


def logout_everywhere(
    uow: UnitOfWork, env: Env, *, account_id: uuid.UUID, but: uuid.UUID | None = None
) -> None:
    """End every session of an account (lost phone, staff leaving, password change);
    ``but``: the session to keep (the one that changed its own password)."""
    uow.sessions.revoke_all(account_id, env.clock.now(), but=but)


def _session(uow: UnitOfWork, token: str) -> t.AuthSession | None:
    if not token or len(token) > MAX_TOKEN:
        return None
    return uow.sessions.by_token_hash(token_hash(token))


def _roles(held: Iterable[tuple[str, str]]) -> frozenset[tuple[Role, str]]:
    """Roles as held; a role this version does not know grants nothing."""
    known = {role.value for role in Role}
    return frozenset((Role(role), scope) for role, scope in held if role in known)


def summary(account: t.Account, roles: Sequence[t.AccountRole]) -> AccountSummary:
    return AccountSummary(
        id=account.id,
        kind=AccountKind(account.kind),
        phone_masked=account.phone_masked,
        username=account.username,
        display_name=account.display_name,
        resident_id=account.resident_id,
        roles=_roles((r.role, r.scope) for r in roles),
        must_change_password=account.must_change_password,
    )
