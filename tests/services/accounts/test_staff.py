"""Staff accounts and their passwords, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
from datetime import timedelta

import pytest

from healthcode.domain.clock import FixedClock
from healthcode.domain.errors import InvalidInput
from healthcode.services.accounts import login as a
from healthcode.services.accounts import passwords, sessions
from healthcode.services.accounts.permissions import (
    Role,
)
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.services.accounts.helpers import (
    PASSWORD,
    staff,
)


class TestStaffLogin:
    def login(self, uow: UnitOfWork, env: Env, name: str, password: str) -> sessions.IssuedSession:
        return a.staff_login(
            uow, env, username=name, password=password, client="10.0.0.9", user_agent="ua"
        )

    def test_good_password(self, uow: UnitOfWork, env: Env) -> None:
        staff(uow, env)
        issued = self.login(uow, env, " Issuer01 ", PASSWORD)
        assert issued.account.roles == frozenset({(Role.ISSUER, "")})
        hours = timedelta(hours=env.settings.staff_session_hours)
        assert issued.expires_at - env.clock.now() == hours

    def test_wrong_password_and_unknown_user_look_the_same(self, uow: UnitOfWork, env: Env) -> None:
        staff(uow, env)
        refusals = []
        for name, password in (("issuer01", PASSWORD + "x"), ("nobody", PASSWORD)):
            with pytest.raises(a.BadCredentials) as caught:
                self.login(uow, env, name, password)
            refusals.append((caught.value.status, caught.value.code, str(caught.value)))
        assert refusals[0] == refusals[1] == (401, "bad_credentials", refusals[0][2])

    def test_disabled(self, uow: UnitOfWork, env: Env, clock: FixedClock) -> None:
        account = uow.accounts.by_id(staff(uow, env).id)
        assert account is not None
        account.disabled_at = clock.now()
        with pytest.raises(a.AccountDisabled):
            self.login(uow, env, "issuer01", PASSWORD)

    def test_rehash_when_parameters_change(self, uow: UnitOfWork, env: Env) -> None:
        account = uow.accounts.by_id(staff(uow, env).id)
        assert account is not None
        assert account.password_hash is not None
        before = account.password_hash
        assert before.startswith("$argon2id$")
        assert "t=1" in before
        env.settings = env.settings.model_copy(update={"argon2_time_cost": 2})
        self.login(uow, env, "issuer01", PASSWORD)
        assert account.password_hash != before
        assert "t=2" in account.password_hash
        self.login(uow, env, "issuer01", PASSWORD)

    def test_wrong_passwords_slow_that_address_more_and_more(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        staff(uow, env)
        for _ in range(passwords.FREE_FAILURES):
            with pytest.raises(a.BadCredentials):
                self.login(uow, env, "issuer01", "wrong password")
        for wait in (1, 2, 4, 8):
            with pytest.raises(passwords.LoginRateLimited) as caught:
                self.login(uow, env, "issuer01", PASSWORD)  # even the right one
            assert caught.value.retry_after == wait
            clock.advance(timedelta(seconds=wait))
            with pytest.raises(a.BadCredentials):
                self.login(uow, env, "issuer01", "wrong password")
        clock.advance(timedelta(seconds=16))
        self.login(uow, env, "issuer01", PASSWORD)

    def test_a_stranger_cannot_lock_the_user_out(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        staff(uow, env)
        for _ in range(20):
            with contextlib.suppress(a.BadCredentials, passwords.LoginRateLimited):
                a.staff_login(
                    uow, env, username="issuer01", password="guess", client="6.6.6.6", user_agent=""
                )
            clock.advance(timedelta(seconds=1))
        with pytest.raises(passwords.LoginRateLimited):
            a.staff_login(
                uow, env, username="issuer01", password="x", client="6.6.6.6", user_agent=""
            )
        self.login(uow, env, "issuer01", PASSWORD)  # from the user's own address

    def test_an_address_is_limited_by_its_failed_sign_ins_only(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        """An office behind one address signs in all morning: the address's limit
        (``STAFF_CLIENT_LIMIT``) counted every sign-in, so its 31st colleague was
        refused though nobody had typed a wrong password."""
        staff(uow, env)
        for _ in range(40):
            self.login(uow, env, "issuer01", PASSWORD)
        for n in range(30):  # a guesser spreads wrong passwords over many names
            with pytest.raises(a.BadCredentials):
                self.login(uow, env, f"nobody{n:02d}", "wrong password")
        with pytest.raises(passwords.LoginRateLimited) as caught:
            self.login(uow, env, "issuer01", PASSWORD)  # the address is now limited
        assert caught.value.code == "login_rate_limited"
        a.staff_login(
            uow, env, username="issuer01", password=PASSWORD, client="10.0.0.10", user_agent=""
        )  # another address is not

    def test_the_delay_is_the_maximum_at_most(self) -> None:
        assert passwords.delay_after(0) == passwords.delay_after(2) == timedelta(0)
        assert passwords.delay_after(100) == passwords.MAX_DELAY

    def test_success_clears_the_count(self, uow: UnitOfWork, env: Env) -> None:
        staff(uow, env)
        for _ in range(3):
            for _ in range(passwords.FREE_FAILURES - 1):
                with pytest.raises(a.BadCredentials):
                    self.login(uow, env, "issuer01", "wrong password")
            self.login(uow, env, "issuer01", PASSWORD)


class TestCreateStaff:
    def fields(self, uow: UnitOfWork, env: Env, **changes: object) -> set[tuple[str, str]]:
        args: dict[str, object] = {
            "username": "checker",
            "password": PASSWORD,
            "display_name": "李 检查",
            "roles": [(Role.CHECKPOINT, "venue-1")],
        } | changes
        with pytest.raises(InvalidInput) as caught:
            a.create_staff(uow, env, **args)  # type: ignore[arg-type]
        return {(e.field, e.code) for e in caught.value.errors}

    @pytest.mark.parametrize(
        ("password", "code"),
        [
            ("short1", "too_short"),
            ("1234567890123", "all_digits"),
            ("x" * 129, "too_long"),
            (" " * 12, "blank"),
            ("\t\n" * 6, "blank"),
            ("  short1   ", "too_short"),
            ("password123", "common"),
            ("QwertyUiop", "common"),
            ("1qaz2wsx3edc", "common"),
        ],
    )
    def test_password_policy(self, uow: UnitOfWork, env: Env, password: str, code: str) -> None:
        assert self.fields(uow, env, password=password) == {("password", code)}

    def test_password_not_the_username(self, uow: UnitOfWork, env: Env) -> None:
        found = self.fields(uow, env, username="longusername", password="LongUserName")
        assert found == {("password", "same_as_username")}

    def test_every_bad_field_at_once(self, uow: UnitOfWork, env: Env) -> None:
        found = self.fields(uow, env, username="x", display_name=" ", roles=[])
        assert found == {("username", "format"), ("display_name", "length"), ("roles", "required")}

    def test_staff_cannot_hold_the_resident_role(self, uow: UnitOfWork, env: Env) -> None:
        found = self.fields(uow, env, roles=[(Role.RESIDENT, "")])
        assert found == {("roles", "not_staff")}

    def test_usernames_are_unique_ignoring_case(self, uow: UnitOfWork, env: Env) -> None:
        staff(uow, env, "issuer01")
        with pytest.raises(a.UsernameTaken) as caught:
            staff(uow, env, "ISSUER01")
        assert caught.value.status == 409
