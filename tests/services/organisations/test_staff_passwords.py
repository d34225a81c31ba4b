"""An administrator sets a new password for a staff account they manage, on SQLite and
PostgreSQL: within their scope only, never their own, every session of the account
ended (an outside probe, stop 44: a leaked password could only be answered by
deactivating the account)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.domain.scope import org_scope
from healthcode.services.accounts import login, sessions
from healthcode.services.accounts.permissions import Principal, Role
from healthcode.services.organisations import staff_accounts
from healthcode.services.organisations.staff_accounts import GrantRefused, OwnPassword
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.organisations import organisation
from tests.factories.roster import region_admin

OLD, NEW = "correct horse battery", "staple clip lantern 42"


def issuer(uow: UnitOfWork, env: Env, who: Principal, *scopes: str) -> uuid.UUID:
    made = staff_accounts.create_staff_account(
        uow, env, who, username="issuer.pw", password=OLD, display_name="李敏",
        roles=[(Role.ISSUER, scope) for scope in scopes],
    )  # fmt: skip
    return made.id


def sign_in(uow: UnitOfWork, env: Env, password: str) -> sessions.IssuedSession | None:
    try:
        return login.staff_login(
            uow, env, username="issuer.pw", password=password, client="10.0.0.5", user_agent=""
        )
    except login.BadCredentials:
        return None


def set_password(
    uow: UnitOfWork, env: Env, who: Principal, account_id: uuid.UUID, password: str = NEW
) -> None:
    staff_accounts.set_staff_password(uow, env, who, account_id=account_id, password=password)


class TestSetPassword:
    def test_every_session_ends_and_only_the_new_password_signs_in(
        self, uow: UnitOfWork, env: Env, community: t.Organisation
    ) -> None:
        admin = region_admin(uow, env, "371600")
        target = issuer(uow, env, admin, org_scope(community.id))
        tokens = [s.token for s in (sign_in(uow, env, OLD), sign_in(uow, env, OLD)) if s]
        assert len(tokens) == 2
        set_password(uow, env, admin, target)
        assert [sessions.authenticate(uow, env, token=token) for token in tokens] == [None, None]
        assert sign_in(uow, env, OLD) is None
        assert sign_in(uow, env, NEW) is not None
        event = uow.session.scalars(
            select(t.AuditEvent).where(t.AuditEvent.action == "staff.password.reset")
        ).one()
        assert (event.actor_id, event.detail) == (admin.account_id, {"account_id": str(target)})

    def test_an_administrator_of_another_region_finds_no_such_account(
        self, uow: UnitOfWork, env: Env, community: t.Organisation
    ) -> None:
        target = issuer(uow, env, region_admin(uow, env, "371600"), org_scope(community.id))
        with pytest.raises(NotFound):
            set_password(uow, env, region_admin(uow, env, "370100"), target)
        assert sign_in(uow, env, OLD) is not None

    def test_not_ones_own(self, uow: UnitOfWork, env: Env) -> None:
        admin = region_admin(uow, env, "371600")
        with pytest.raises(OwnPassword) as own:
            set_password(uow, env, admin, admin.account_id)
        assert (own.value.status, own.value.code) == (409, "own_password")

    def test_not_an_account_holding_roles_the_administrator_could_not_give(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation
    ) -> None:
        """Whoever sets the password signs in with every role the account holds."""
        other = organisation(uow, env, name="另一社区")
        target = issuer(
            uow, env, region_admin(uow, env, "371600"), org_scope(community.id), org_scope(other.id)
        )
        with pytest.raises(GrantRefused):
            set_password(uow, env, org_admin, target)
        set_password(uow, env, region_admin(uow, env, "371602"), target)

    @pytest.mark.parametrize(
        ("password", "code"), [("", "required"), ("short", "too_short"),
                               ("1234567890123", "all_digits"), ("password123", "common")],
    )  # fmt: skip
    def test_a_password_the_rules_refuse_is_said_on_password(
        self, uow: UnitOfWork, env: Env, org_admin: Principal, community: t.Organisation,
        password: str, code: str,
    ) -> None:  # fmt: skip
        target = issuer(uow, env, org_admin, org_scope(community.id))
        with pytest.raises(InvalidInput) as refused:
            set_password(uow, env, org_admin, target, password)
        assert [(e.field, e.code) for e in refused.value.errors] == [("password", code)]
        assert sign_in(uow, env, OLD) is not None
