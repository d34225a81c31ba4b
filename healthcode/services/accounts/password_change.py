"""Staff passwords after the first: changed by their owner, or set anew by an administrator.

Until stop 44 neither existed: the first password, which the administrator chose and
knows, stayed in use for ever, and a leaked one could only be answered by deactivating
the account (an outside probe). A password set by someone else marks the account
(``must_change_password``: its session admits nothing but the change, ``sessions``);
the owner's own change clears the mark.

The owner proves the current password, and a wrong one is counted towards the sign-in
delay of that username and address (``passwords``), so a stolen session cannot guess
it at leisure and then lock the owner out. Either way the account row is locked before
the password is checked, so of two changes at once the second is checked against the
password the first set, never both against the old one.
"""

from __future__ import annotations

import dataclasses
import uuid

import structlog

from healthcode.domain.errors import FieldError, Forbidden, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.services.accounts import login, passwords, sessions
from healthcode.services.accounts.permissions import AccountKind, Principal
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

log = structlog.get_logger()


class NoPassword(Forbidden):
    code = "no_password"


class WrongCurrentPassword(InvalidInput):
    """Kept: the wrong password is counted towards the delay, as a wrong sign-in is."""

    keeps_changes = True


def staff_only(principal: Principal) -> Principal:
    """Residents sign in with a texted code: they have no password to change."""
    if principal.kind is not AccountKind.STAFF:
        raise NoPassword(
            N_("Residents sign in with a code sent to their phone: there is no password")
        )
    return principal


def change_own_password(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    current_password: str,
    new_password: str,
    client: str = "",
) -> None:
    """The signed-in account's password, given the current one; every other session
    of the account ends (whoever else holds one may be who learnt the old password),
    the one used here stays."""
    staff_only(who)
    _given(current_password=current_password, new_password=new_password)
    name, now, address = _account(uow, who.account_id).username or "", env.clock.now(), client[:64]
    passwords.check_delay(uow, username=name[:128], client=address, now=now)
    account = _account(uow, who.account_id, lock=True)  # read afresh: a change just made
    if not login.password_matches(env, account.password_hash, current_password):
        passwords.record_failure(uow, username=name[:128], client=address, now=now)
        wrong = N_("The current password is wrong")
        raise WrongCurrentPassword(
            FieldError("current_password", "wrong_password", wrong),
            *_new_password_errors(new_password, None, name),
        )
    passwords.clear_failures(uow, username=name[:128], client=address)
    errors = _new_password_errors(new_password, current_password, name)
    if errors:
        raise InvalidInput(*errors)
    _store(uow, env, account, new_password, keep=who.session_id, must_change=False)
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="staff.password.changed",
        detail={"account_id": str(account.id)},
        client=client,
    )
    log.info("auth.password.changed", account=str(account.id))


def reset_password(
    uow: UnitOfWork,
    env: Env,
    account: t.Account,
    *,
    password: str,
    actor_id: uuid.UUID | None,
    client: str = "",
) -> None:
    """A new password set by someone else (an administrator; ``actor_id`` None: the
    server's console) on an account the caller has locked and may manage: every
    session of the account ends at once, since whoever holds one may be who made
    the reset necessary, and its owner must change the password at the next sign-in
    (whoever set it knows it)."""
    if not password:
        raise InvalidInput.single("password", "required", N_("Please enter the new password"))
    weak = passwords.password_error(password, account.username or "")
    if weak is not None:
        raise InvalidInput(weak)
    _store(uow, env, account, password, keep=None, must_change=True)
    detail: dict[str, object] = {"account_id": str(account.id)}
    if actor_id is None:
        detail["via"] = "console"
    audit.record(
        uow, env, actor_id=actor_id, action="staff.password.reset", detail=detail, client=client
    )
    log.info("auth.password.reset", account=str(account.id))


def reset_at_console(uow: UnitOfWork, env: Env, *, username: str, password: str) -> None:
    """``healthcode staff set-password``: whoever runs it holds the deployment, so no
    scope is checked; the rest is an administrator's reset."""
    found = uow.accounts.by_username(login.normal_username(username))
    if found is None or found.kind != AccountKind.STAFF:
        raise NotFound(N_("No such staff account"))
    account = _account(uow, found.id, lock=True)
    reset_password(uow, env, account, password=password, actor_id=None)


def _given(*, current_password: str, new_password: str) -> None:
    """A field left empty is a slip, not a guess: named, and not counted."""
    missing = [
        FieldError(field, "required", message)
        for field, value, message in (
            ("current_password", current_password, N_("Please enter your current password")),
            ("new_password", new_password, N_("Please enter the new password")),
        )
        if not value
    ]
    if missing:
        raise InvalidInput(*missing)


def _account(uow: UnitOfWork, account_id: uuid.UUID, *, lock: bool = False) -> t.Account:
    account = uow.accounts.by_id(account_id, lock=lock)
    if account is None:
        raise NotFound(N_("No such account"))
    return account


def _new_password_errors(new: str, current: str | None, username: str) -> list[FieldError]:
    """The rule the new password breaks (``passwords.password_error``), said on
    ``new_password``; or that it is the current one (``current``: when known to be
    right), which would change nothing."""
    weak = passwords.password_error(new, username)
    if weak is not None:
        return [dataclasses.replace(weak, field="new_password")]
    if new == current:
        message = N_("The new password must differ from the current one")
        return [FieldError("new_password", "same_as_current", message)]
    return []


def _store(
    uow: UnitOfWork,
    env: Env,
    account: t.Account,
    password: str,
    *,
    keep: uuid.UUID | None,
    must_change: bool,
) -> None:
    account.password_hash = login.hash_password(env, password)
    account.must_change_password = must_change
    sessions.logout_everywhere(uow, env, account_id=account.id, but=keep)
    uow.flush()
