"""Sessions and the role → permission table, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from healthcode.domain.clock import FixedClock
from healthcode.services.accounts import login as a
from healthcode.services.accounts import sessions
from healthcode.services.accounts.permissions import (
    ROLE_PERMISSIONS,
    AccountKind,
    Permission,
    Principal,
    Role,
)
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.services.accounts.helpers import (
    OTHER,
    PASSWORD,
    Sender,
    login,
    staff,
)


class TestSessions:
    def test_authenticate(self, uow: UnitOfWork, env: Env, sender: Sender) -> None:
        issued = login(uow, env, sender)
        principal = sessions.authenticate(uow, env, token=issued.token)
        assert principal is not None
        assert principal.account_id == issued.account.id
        assert principal.can(Permission.CODE_OWN)
        assert not principal.can(Permission.SCAN)
        row = uow.sessions.by_token_hash(hashlib.sha256(issued.token.encode()).digest())
        assert row is not None
        assert issued.token.encode() not in row.token_hash

    @pytest.mark.parametrize("token", ["", "nonsense", "x" * 1000])
    def test_unknown_token(self, uow: UnitOfWork, env: Env, token: str) -> None:
        assert sessions.authenticate(uow, env, token=token) is None

    def test_resident_session_expires(
        self, uow: UnitOfWork, env: Env, sender: Sender, clock: FixedClock
    ) -> None:
        token = login(uow, env, sender).token
        clock.advance(timedelta(days=env.settings.session_days, seconds=-1))
        assert sessions.authenticate(uow, env, token=token) is not None
        clock.advance(timedelta(seconds=1))
        assert sessions.authenticate(uow, env, token=token) is None

    def test_staff_session_expires(self, uow: UnitOfWork, env: Env, clock: FixedClock) -> None:
        staff(uow, env)
        token = a.staff_login(
            uow, env, username="issuer01", password=PASSWORD, client="c", user_agent=""
        ).token
        clock.advance(timedelta(hours=env.settings.staff_session_hours))
        assert sessions.authenticate(uow, env, token=token) is None

    def test_logout_and_logout_everywhere(
        self, uow: UnitOfWork, env: Env, sender: Sender, clock: FixedClock
    ) -> None:
        first = login(uow, env, sender)
        clock.advance(timedelta(minutes=1))
        second, third = login(uow, env, sender), login(uow, env, sender, OTHER)
        sessions.logout(uow, env, token=first.token)
        assert sessions.authenticate(uow, env, token=first.token) is None
        assert sessions.authenticate(uow, env, token=second.token) is not None
        sessions.logout_everywhere(uow, env, account_id=second.account.id)
        assert sessions.authenticate(uow, env, token=second.token) is None
        assert sessions.authenticate(uow, env, token=third.token) is not None

    def test_disabled_account_loses_its_sessions(
        self, uow: UnitOfWork, env: Env, sender: Sender, clock: FixedClock
    ) -> None:
        issued = login(uow, env, sender)
        account = uow.accounts.by_id(issued.account.id)
        assert account is not None
        account.disabled_at = clock.now()
        assert sessions.authenticate(uow, env, token=issued.token) is None


class TestPermissions:
    def test_the_table(self) -> None:
        def holders(p: Permission) -> set[Role]:
            return {r for r, ps in ROLE_PERMISSIONS.items() if p in ps}

        assert set(ROLE_PERMISSIONS) == set(Role)
        assert holders(Permission.PASS_SIGN) == {Role.ISSUER, Role.EMPLOYER_ADMIN}
        assert holders(Permission.SCAN) == holders(Permission.RELEASE) == {Role.CHECKPOINT}
        assert holders(Permission.RECORDS_IMPORT) == {Role.DATA_OPERATOR}
        assert holders(Permission.AUDIT_READ) == {Role.AUDITOR, Role.ADMIN}
        assert holders(Permission.RESIDENT_DETAILS) == {Role.ADMIN}
        assert holders(Permission.CODE_OWN) == {Role.RESIDENT}

    def test_principal(self) -> None:
        import uuid

        org = uuid.uuid4()
        roles = frozenset(
            {(Role.ISSUER, f"org:{org}"), (Role.AUDITOR, ""), (Role.ORG_ADMIN, "region:371600")}
        )
        who = Principal(uuid.uuid4(), AccountKind.STAFF, None, roles)
        assert who.has_role(Role.ISSUER)
        assert not who.has_role(Role.ADMIN)
        assert who.can(Permission.PASS_SIGN)
        assert not who.can(Permission.KEYS_MANAGE)
        signs = who.scope(Permission.PASS_SIGN)
        assert signs.covers(organisation_id=org, region_code="370102")
        assert not signs.covers(organisation_id=uuid.uuid4(), region_code="371602")
        approves = who.scope(Permission.ISSUERS_APPROVE)  # the region and all inside it
        assert approves.covers(organisation_id=None, region_code="371602")
        assert not approves.covers(organisation_id=org, region_code="370102")
        assert who.scope(Permission.AUDIT_READ).everywhere
