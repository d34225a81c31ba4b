"""Accounts, one-time codes, staff passwords and sessions, on SQLite and PostgreSQL."""

from __future__ import annotations

import contextlib
import hashlib
import threading
import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.config import Settings
from healthcode.domain.clock import FixedClock
from healthcode.domain.errors import InvalidInput
from healthcode.services.accounts import login as a
from healthcode.services.accounts import otp_limits, passwords, sessions
from healthcode.services.accounts.permissions import (
    ROLE_PERMISSIONS,
    AccountKind,
    Permission,
    Principal,
    Role,
)
from healthcode.services.shared.env import Env, make_env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory

PHONE = "13812341234"
OTHER = "13900001111"
PASSWORD = "correct horse battery"


class Sender:
    def __init__(self) -> None:
        self.sent: dict[str, str] = {}

    def send(self, phone: str, code: str) -> None:
        self.sent[phone] = code


@pytest.fixture
def sender() -> Sender:
    return Sender()


@pytest.fixture
def env(clock: FixedClock, sender: Sender) -> Env:
    settings = Settings(
        secret_key="test-secret-key-not-for-production",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        scheduler=False,
    )
    return make_env(settings, clock, sender)


OWNER, STRANGER = "10.0.0.1", "6.6.6.6"  # client addresses


def code_for(
    uow: UnitOfWork, env: Env, sender: Sender, phone: str = PHONE, client: str = OWNER
) -> str:
    a.request_login_code(uow, env, phone=phone, client=client)
    uow.commit()
    return sender.sent[phone]


def login(uow: UnitOfWork, env: Env, sender: Sender, phone: str = PHONE) -> sessions.IssuedSession:
    code = code_for(uow, env, sender, phone)
    return a.verify_login_code(uow, env, phone=phone, code=code, client=OWNER, user_agent="ua")


def verify(uow: UnitOfWork, env: Env, code: str, client: str = OWNER) -> sessions.IssuedSession:
    return a.verify_login_code(uow, env, phone=PHONE, code=code, client=client, user_agent="ua")


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


def staff(
    uow: UnitOfWork, env: Env, name: str = "issuer01", *roles: Role
) -> sessions.AccountSummary:
    held = [(r, "") for r in roles or (Role.ISSUER,)]
    return a.create_staff(
        uow, env, username=name, password=PASSWORD, display_name="王 签发", roles=held
    )


class TestRequestLoginCode:
    def test_sends_only_after_commit(self, uow: UnitOfWork, env: Env, sender: Sender) -> None:
        sent = a.request_login_code(uow, env, phone="+86 138-1234-1234", client="c")
        assert sender.sent == {}
        uow.commit()
        assert sent.phone_masked == "138****1234"
        assert len(sender.sent[PHONE]) == 6
        assert sender.sent[PHONE].isdigit()
        assert sent.expires_at - env.clock.now() == timedelta(seconds=env.settings.otp_seconds)
        assert sent.resend_after - env.clock.now() == timedelta(seconds=60)

    def test_same_answer_with_or_without_an_account(
        self, uow: UnitOfWork, env: Env, sender: Sender, clock: FixedClock
    ) -> None:
        login(uow, env, sender)
        clock.advance(timedelta(minutes=1))
        known = a.request_login_code(uow, env, phone=PHONE, client="c")
        unknown = a.request_login_code(uow, env, phone=OTHER, client="c")
        assert (known.expires_at, known.resend_after) == (unknown.expires_at, unknown.resend_after)

    def test_bad_phone_names_the_field(self, uow: UnitOfWork, env: Env) -> None:
        with pytest.raises(InvalidInput) as caught:
            a.request_login_code(uow, env, phone="12345", client="c")
        assert [e.field for e in caught.value.errors] == ["phone"]

    def test_code_stored_only_as_keyed_hash(
        self, uow: UnitOfWork, env: Env, sender: Sender
    ) -> None:
        code = code_for(uow, env, sender)
        row = uow.session.scalars(select(t.OtpChallenge)).one()
        assert row.code_hash == env.protector.keyed_hash(f"{PHONE}:{code}", kind="otp")
        plain = {hashlib.sha256(s.encode()).digest() for s in (code, f"{PHONE}:{code}")}
        assert row.code_hash not in plain
        assert row.phone_hash == env.protector.keyed_hash(PHONE, kind="phone")

    def test_cooldown(self, uow: UnitOfWork, env: Env, clock: FixedClock) -> None:
        a.request_login_code(uow, env, phone=PHONE, client="c")
        clock.advance(timedelta(seconds=59))
        with pytest.raises(otp_limits.OtpCooldown) as caught:
            a.request_login_code(uow, env, phone=PHONE, client="c")
        assert (caught.value.status, caught.value.retry_after) == (429, 1)
        clock.advance(timedelta(seconds=1))
        a.request_login_code(uow, env, phone=PHONE, client="c")

    def test_five_an_hour_then_ten_a_day(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        for _ in range(5):
            a.request_login_code(uow, env, phone=PHONE, client="c")
            clock.advance(timedelta(minutes=1))
        with pytest.raises(otp_limits.OtpHourlyLimit) as caught:
            a.request_login_code(uow, env, phone=PHONE, client="c")
        assert caught.value.retry_after == 59 * 60  # the newest code leaves the window
        clock.advance(timedelta(minutes=59))
        for _ in range(5):
            a.request_login_code(uow, env, phone=PHONE, client="c")
            clock.advance(timedelta(minutes=1))
        clock.advance(timedelta(hours=1))
        with pytest.raises(otp_limits.OtpDailyLimit):
            a.request_login_code(uow, env, phone=PHONE, client="c")
        a.request_login_code(uow, env, phone=OTHER, client="c")  # per number

    def test_a_stranger_asking_for_my_number_does_not_lock_me_out(
        self, uow: UnitOfWork, env: Env, sender: Sender, clock: FixedClock
    ) -> None:
        for _ in range(5):
            a.request_login_code(uow, env, phone=PHONE, client=STRANGER)
            clock.advance(timedelta(minutes=1))
        with pytest.raises(otp_limits.OtpHourlyLimit):
            a.request_login_code(uow, env, phone=PHONE, client=STRANGER)
        assert login(uow, env, sender).token  # from the owner's own address

    def test_a_global_budget_of_sms_an_hour(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        env.settings.sms_per_hour = 3
        for n in range(3):
            a.request_login_code(uow, env, phone=f"1370000000{n}", client=f"10.2.0.{n}")
        with pytest.raises(otp_limits.SmsBudgetExhausted) as caught:
            a.request_login_code(uow, env, phone=OTHER, client="10.2.0.9")
        assert caught.value.status == 429
        clock.advance(timedelta(hours=1, seconds=1))
        a.request_login_code(uow, env, phone=OTHER, client="10.2.0.9")

    def test_a_limit_per_client_address(self, uow: UnitOfWork, env: Env) -> None:
        for n in range(env.settings.otp_per_client_hour):
            a.request_login_code(uow, env, phone=f"13700000{n:03d}", client="10.1.1.1")
        with pytest.raises(otp_limits.OtpClientLimit) as caught:
            a.request_login_code(uow, env, phone=OTHER, client="10.1.1.1")
        assert caught.value.retry_after is not None
        assert caught.value.retry_after > 3500
        a.request_login_code(uow, env, phone=OTHER, client="10.1.1.2")


class TestVerifyLoginCode:
    def test_creates_the_resident_account(self, uow: UnitOfWork, env: Env, sender: Sender) -> None:
        issued = login(uow, env, sender)
        assert issued.account.kind is AccountKind.RESIDENT
        assert issued.account.roles == frozenset({(Role.RESIDENT, "")})
        row = uow.accounts.by_phone_hash(env.protector.keyed_hash(PHONE, kind="phone"))
        assert row is not None
        assert row.phone_masked == "138****1234"
        assert row.phone_cipher is not None
        assert PHONE.encode() not in row.phone_cipher
        assert env.protector.decrypt(row.phone_cipher, context="phone") == PHONE.encode()
        assert issued.expires_at - env.clock.now() == timedelta(days=env.settings.session_days)

    def test_second_login_finds_the_same_account(
        self, uow: UnitOfWork, env: Env, sender: Sender, clock: FixedClock
    ) -> None:
        first = login(uow, env, sender)
        clock.advance(timedelta(minutes=1))
        assert login(uow, env, sender).account.id == first.account.id

    def test_wrong_code_counts_down(self, uow: UnitOfWork, env: Env, sender: Sender) -> None:
        code = code_for(uow, env, sender)
        with pytest.raises(a.OtpInvalid) as caught:
            verify(uow, env, wrong(code))
        assert caught.value.params == {"remaining": env.settings.otp_attempts - 1}
        assert isinstance(caught.value, a.KeptRefusal)
        assert verify(uow, env, code).token

    def test_locked_after_the_last_attempt(self, uow: UnitOfWork, env: Env, sender: Sender) -> None:
        code = code_for(uow, env, sender)
        for _ in range(env.settings.otp_attempts - 1):
            with pytest.raises(a.OtpInvalid):
                verify(uow, env, wrong(code))
        with pytest.raises(a.OtpLocked):
            verify(uow, env, wrong(code))
        with pytest.raises(a.OtpLocked) as caught:
            verify(uow, env, code)
        assert caught.value.status == 429

    def test_expires_at_exactly_otp_seconds(
        self, uow: UnitOfWork, env: Env, sender: Sender, clock: FixedClock
    ) -> None:
        code = code_for(uow, env, sender)
        clock.advance(timedelta(seconds=env.settings.otp_seconds))
        with pytest.raises(a.OtpExpired):
            verify(uow, env, code)

    def test_valid_one_second_before(
        self, uow: UnitOfWork, env: Env, sender: Sender, clock: FixedClock
    ) -> None:
        code = code_for(uow, env, sender)
        clock.advance(timedelta(seconds=env.settings.otp_seconds - 1))
        assert verify(uow, env, code).token

    def test_single_use(self, uow: UnitOfWork, env: Env, sender: Sender) -> None:
        code = code_for(uow, env, sender)
        verify(uow, env, code)
        with pytest.raises(a.OtpUsed):
            verify(uow, env, code)

    def test_only_the_latest_code_counts(
        self, uow: UnitOfWork, env: Env, sender: Sender, clock: FixedClock
    ) -> None:
        old = code_for(uow, env, sender)
        clock.advance(timedelta(minutes=1))
        new = code_for(uow, env, sender)
        if old != new:
            with pytest.raises(a.OtpInvalid):
                verify(uow, env, old)
        assert verify(uow, env, new).token

    def test_a_strangers_wrong_codes_do_not_kill_mine(
        self, uow: UnitOfWork, env: Env, sender: Sender
    ) -> None:
        code = code_for(uow, env, sender)
        for _ in range(5):
            with pytest.raises(a.OtpInvalid) as caught:
                verify(uow, env, wrong(code), client=STRANGER)
            assert caught.value.params == {}  # no count of attempts left to a stranger
        with pytest.raises(otp_limits.OtpGuessLimit):
            verify(uow, env, code, client=STRANGER)  # blocked before the code is compared
        assert verify(uow, env, code).token

    def test_a_strangers_request_does_not_replace_my_code(
        self, uow: UnitOfWork, env: Env, sender: Sender, clock: FixedClock
    ) -> None:
        mine = code_for(uow, env, sender)
        clock.advance(timedelta(seconds=5))
        code_for(uow, env, sender, client=STRANGER)
        assert verify(uow, env, mine).token

    def test_none_requested(self, uow: UnitOfWork, env: Env) -> None:
        with pytest.raises(a.OtpMissing):
            verify(uow, env, "123456")

    def test_malformed_code_is_a_field_error(self, uow: UnitOfWork, env: Env) -> None:
        with pytest.raises(InvalidInput) as caught:
            verify(uow, env, "12a456")
        assert caught.value.errors[0].field == "code"

    def test_full_width_digits(self, uow: UnitOfWork, env: Env, sender: Sender) -> None:
        code = code_for(uow, env, sender)
        full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
        assert verify(uow, env, f" {full_width} ").token

    def test_disabled_account(
        self, uow: UnitOfWork, env: Env, sender: Sender, clock: FixedClock
    ) -> None:
        account = uow.accounts.by_id(login(uow, env, sender).account.id)
        assert account is not None
        account.disabled_at = clock.now()
        clock.advance(timedelta(minutes=1))
        with pytest.raises(a.AccountDisabled):
            login(uow, env, sender)


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

        roles = frozenset({(Role.ISSUER, "org-1"), (Role.AUDITOR, "")})
        who = Principal(uuid.uuid4(), AccountKind.STAFF, None, roles)
        assert who.has_role(Role.ISSUER)
        assert not who.has_role(Role.ADMIN)
        assert who.can(Permission.PASS_SIGN)
        assert not who.can(Permission.KEYS_MANAGE)
        assert who.scopes_for(Permission.PASS_SIGN) == {"org-1"}


@pytest.fixture
def real_sessions(engine: Engine, env: Env) -> Iterator[sessionmaker[Session]]:
    """Sessions on their own connections that really commit, for races; the rows the
    test leaves behind are deleted afterwards."""
    factory = sessionmaker(engine, expire_on_commit=False)
    yield factory
    phone_hash = env.protector.keyed_hash(PHONE, kind="phone")
    with factory.begin() as session:
        session.execute(delete(t.OtpChallenge).where(t.OtpChallenge.phone_hash == phone_hash))
        session.execute(delete(t.Account).where(t.Account.phone_hash == phone_hash))


class TestConcurrentVerify:
    def test_one_code_one_session(
        self, real_sessions: sessionmaker[Session], env: Env, sender: Sender, clock: FixedClock
    ) -> None:
        """The first caller holds the challenge row; the second waits for it, then
        finds the code used. The account exists already, so nothing but the row lock
        (no unique key on a new account) keeps the two apart."""
        units = UnitOfWorkFactory(real_sessions)
        with units() as uow:
            login(uow, env, sender)
        clock.advance(timedelta(minutes=1))
        with units() as uow:
            a.request_login_code(uow, env, phone=PHONE, client="c")
        code = sender.sent[PHONE]
        outcome: list[object] = []

        def second() -> None:
            with units() as other:
                try:
                    outcome.append(verify(other, env, code))
                except a.OtpUsed as error:
                    outcome.append(error)

        with units() as first:
            winner = verify(first, env, code)
            racer = threading.Thread(target=second)
            racer.start()
            time.sleep(0.3)
            assert racer.is_alive(), "the second verify should wait for the row lock"
        racer.join(timeout=30)
        assert winner.token
        assert len(outcome) == 1
        assert isinstance(outcome[0], a.OtpUsed)
        with real_sessions() as session:
            query = select(t.AuthSession).where(t.AuthSession.account_id == winner.account.id)
            assert len(session.scalars(query).all()) == 2  # the first login's and the winner's
