"""A staff password someone else set must be changed by its owner first, on SQLite and
PostgreSQL: the account signs in, but its session admits only calls about the account
itself until the owner changes the password; an administrator's (or the console's)
password marks it, the owner's change clears it (an outside probe, stop 44: the
password the administrator chose and knows stayed usable for ever)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from healthcode.domain.scope import org_scope
from healthcode.services.accounts import login, password_change, sessions
from healthcode.services.accounts.permissions import Principal, Role
from healthcode.services.accounts.sessions import Caller, PasswordChangeRequired
from healthcode.services.organisations import staff_accounts
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.roster import region_admin

FIRST, NEW, AGAIN = "correct horse battery", "staple clip lantern 42", "quiet river stone 77"
NAME = "issuer.first"


def made_by_admin(uow: UnitOfWork, env: Env, community: t.Organisation) -> Principal:
    """The region's administrator, having made an issuer of the community."""
    admin = region_admin(uow, env, "371600")
    staff_accounts.create_staff_account(
        uow, env, admin, username=NAME, password=FIRST, display_name="李敏",
        roles=[(Role.ISSUER, org_scope(community.id))],
    )  # fmt: skip
    return admin


def sign_in(uow: UnitOfWork, env: Env, password: str = FIRST) -> sessions.IssuedSession:
    return login.staff_login(
        uow, env, username=NAME, password=password, client="10.0.0.5", user_agent="ua"
    )


def own_account(uow: UnitOfWork, env: Env, token: str) -> Principal:
    """The session as a call about the account itself reads it (``OwnAccountDep``)."""
    return Caller(token, lambda who: who, own_account=True).authenticate(uow, env)


def refused(uow: UnitOfWork, env: Env, token: str) -> bool:
    """Refused as a 403 ``password_change_required``; False: admitted."""
    try:
        sessions.authenticate(uow, env, token=token)
    except PasswordChangeRequired as error:
        return (error.status, error.code) == (403, "password_change_required")
    return False


def change(uow: UnitOfWork, env: Env, token: str, current: str, new: str) -> None:
    password_change.change_own_password(
        uow, env, own_account(uow, env, token), current_password=current, new_password=new
    )


def account_id(uow: UnitOfWork) -> uuid.UUID:
    found = uow.accounts.by_username(NAME)
    assert found is not None
    return found.id


class TestMadeByAnAdministrator:
    def test_signs_in_but_admits_only_its_own_account_until_the_owner_changes_it(
        self, uow: UnitOfWork, env: Env, community: t.Organisation
    ) -> None:
        made_by_admin(uow, env, community)
        issued = sign_in(uow, env)
        assert issued.account.must_change_password
        assert refused(uow, env, issued.token)
        with pytest.raises(PasswordChangeRequired):  # a route's own check (a gate's scan)
            Caller(issued.token, lambda who: who).authenticate(uow, env)
        assert own_account(uow, env, issued.token).must_change_password

        change(uow, env, issued.token, FIRST, NEW)

        principal = sessions.authenticate(uow, env, token=issued.token)  # this session stays
        assert principal is not None
        assert not principal.must_change_password
        assert not sign_in(uow, env, NEW).account.must_change_password
        actions = uow.session.scalars(
            select(t.AuditEvent.action).where(t.AuditEvent.action.startswith("staff."))
        ).all()
        assert sorted(set(actions)) == [
            "staff.account.create",
            "staff.password.changed",
            "staff.sign_in",
        ]

    def test_the_owners_own_change_never_marks_it(self, uow: UnitOfWork, env: Env) -> None:
        login.create_staff(
            uow, env, username=NAME, password=FIRST, display_name="王 签发",
            roles=[(Role.AUDITOR, "")],
        )  # fmt: skip
        token = sign_in(uow, env).token
        assert not refused(uow, env, token)
        change(uow, env, token, FIRST, NEW)
        assert not refused(uow, env, token)
        assert not refused(uow, env, sign_in(uow, env, NEW).token)

    def test_a_session_signed_out_is_signed_out_not_refused(
        self, uow: UnitOfWork, env: Env, community: t.Organisation
    ) -> None:
        made_by_admin(uow, env, community)
        token = sign_in(uow, env).token
        sessions.logout(uow, env, token=token)
        assert sessions.authenticate(uow, env, token=token) is None


class TestSetBySomeoneElse:
    def test_an_administrators_reset_marks_it_again(
        self, uow: UnitOfWork, env: Env, community: t.Organisation
    ) -> None:
        admin = made_by_admin(uow, env, community)
        change(uow, env, sign_in(uow, env).token, FIRST, NEW)
        staff_accounts.set_staff_password(
            uow, env, admin, account_id=account_id(uow), password=AGAIN
        )
        assert refused(uow, env, sign_in(uow, env, AGAIN).token)

    def test_the_console_marks_what_it_makes_and_what_it_resets(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        staff_accounts.create_staff_at_console(
            uow, env, username=NAME, password=FIRST, display_name="李敏",
            roles=[(Role.AUDITOR, "")],
        )  # fmt: skip
        token = sign_in(uow, env).token
        assert refused(uow, env, token)
        change(uow, env, token, FIRST, NEW)
        assert not refused(uow, env, token)

        password_change.reset_at_console(uow, env, username=NAME, password=AGAIN)

        assert refused(uow, env, sign_in(uow, env, AGAIN).token)
