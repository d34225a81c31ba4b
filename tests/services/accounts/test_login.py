"""Residents' one-time sign-in codes, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, select, text
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import FixedClock
from healthcode.domain.errors import InvalidInput
from healthcode.services.accounts import login as a
from healthcode.services.accounts import otp_limits
from healthcode.services.accounts.otp_limits import OTP_COOLDOWN
from healthcode.services.accounts.permissions import (
    AccountKind,
    Role,
)
from healthcode.services.shared.env import Env
from healthcode.services.shared.ratelimit import RateLimiter
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.conftest import reachable_redis
from tests.factories.units import race
from tests.services.accounts.helpers import (
    OTHER,
    PHONE,
    STRANGER,
    Sender,
    code_for,
    login,
    verify,
    wrong,
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

    def test_refused_requests_do_not_use_up_the_addresss_codes(
        self, uow: UnitOfWork, env: Env, clock: FixedClock
    ) -> None:
        """A resident tapping "send" again during the cooldown, a mistyped number or a
        number over its own limit used the address's budget: a shared address (a
        family's router) ran out though far fewer codes had gone out."""
        env.settings.otp_per_client_hour = 3
        a.request_login_code(uow, env, phone=PHONE, client="10.1.1.1")
        for _ in range(10):
            with pytest.raises(otp_limits.OtpCooldown):
                a.request_login_code(uow, env, phone=PHONE, client="10.1.1.1")
            with pytest.raises(InvalidInput):
                a.request_login_code(uow, env, phone="12345", client="10.1.1.1")
        env.settings.sms_per_hour = 1
        with pytest.raises(otp_limits.SmsBudgetExhausted):
            a.request_login_code(uow, env, phone=OTHER, client="10.1.1.1")
        env.settings.sms_per_hour = 1000
        a.request_login_code(uow, env, phone=OTHER, client="10.1.1.1")
        a.request_login_code(uow, env, phone="13700000001", client="10.1.1.1")
        with pytest.raises(otp_limits.OtpClientLimit):  # three codes sent: the limit holds
            a.request_login_code(uow, env, phone="13700000002", client="10.1.1.1")
        clock.advance(timedelta(minutes=5))
        with pytest.raises(otp_limits.OtpClientLimit):  # and refusing does not reset it
            a.request_login_code(uow, env, phone="13700000003", client="10.1.1.1")
        rows = uow.session.scalars(
            select(t.OtpChallenge).where(t.OtpChallenge.client == "10.1.1.1")
        )
        assert len(rows.all()) == 3

    def test_an_address_at_its_limit_is_refused_before_the_database(
        self, uow: UnitOfWork, env: Env, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        env.settings.otp_per_client_hour = 1
        a.request_login_code(uow, env, phone=PHONE, client="10.1.1.9")

        def unreachable(*_args: object, **_kwargs: object) -> None:
            raise AssertionError("the database was asked")

        monkeypatch.setattr(uow.otp, "latest", unreachable)
        with pytest.raises(otp_limits.OtpClientLimit):
            a.request_login_code(uow, env, phone=OTHER, client="10.1.1.9")


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


def asked_at_once(
    real_sessions: sessionmaker[Session], env: Env, asks: list[tuple[str, str]]
) -> list[object]:
    """Each (number, address) asks for a code in its own transaction, all at once:
    what each got (the code sent, or the refusal)."""

    def ask(phone: str, client: str) -> Callable[[UnitOfWork], object]:
        return lambda uow: a.request_login_code(uow, env, phone=phone, client=client)

    return race(UnitOfWorkFactory(real_sessions), [ask(*pair) for pair in asks])


def test_a_burst_from_one_address_sends_no_more_than_its_limit(
    real_sessions: sessionmaker[Session], env: Env, sender: Sender
) -> None:
    """The address's count is taken last, now that refusals do not count: eight
    requests at once for eight numbers, with room for three, send three codes."""
    env.settings.otp_per_client_hour = 3
    outcomes = asked_at_once(real_sessions, env, [(f"1370000{n:04d}", "b") for n in range(8)])
    with real_sessions.begin() as session:  # committed, and not the fixture's own number
        session.execute(delete(t.OtpChallenge).where(t.OtpChallenge.client == "b"))
    assert sum(isinstance(o, a.LoginCodeSent) for o in outcomes) == 3
    assert sum(isinstance(o, otp_limits.OtpClientLimit) for o in outcomes) == 5
    assert len(sender.sent) == 3


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_a_burst_at_the_sms_budgets_edge_sends_exactly_the_budget(
    real_sessions: sessionmaker[Session], env: Env, sender: Sender, store: str
) -> None:
    """The global budget was read, then the code counted by its insert: eight
    requests at once for eight numbers from eight addresses, with room for three
    texts left in the hour, each read "room left" and all eight were texted."""
    if store == "redis":
        env = dataclasses.replace(env, limiter=RateLimiter(reachable_redis()))
    env.settings.sms_per_hour = 3
    tag = f"budget-{uuid.uuid4().hex[:8]}-"
    asks = [(f"1370000{n:04d}", f"{tag}{n}") for n in range(8)]
    outcomes = asked_at_once(real_sessions, env, asks)
    with real_sessions.begin() as session:
        session.execute(delete(t.OtpChallenge).where(t.OtpChallenge.client.startswith(tag)))
    assert sum(isinstance(o, a.LoginCodeSent) for o in outcomes) == 3
    assert sum(isinstance(o, otp_limits.SmsBudgetExhausted) for o in outcomes) == 5
    assert len(sender.texts) == 3


@pytest.mark.parametrize("earlier", [False, True])
def test_a_burst_for_one_number_from_one_address_sends_one_code(
    real_sessions: sessionmaker[Session],
    env: Env,
    sender: Sender,
    clock: FixedClock,
    earlier: bool,
) -> None:
    """The minute's cooldown per number and address: eight requests at once each
    read "no code yet" (nothing to lock on PostgreSQL), or waited for the lock on the
    code from before the burst and read that one, and every one texted the number."""
    if earlier:
        with UnitOfWorkFactory(real_sessions)() as uow:
            a.request_login_code(uow, env, phone=PHONE, client="b")
        clock.advance(OTP_COOLDOWN)
        sender.texts.clear()
    outcomes = asked_at_once(real_sessions, env, [(PHONE, "b")] * 8)
    assert sum(isinstance(o, a.LoginCodeSent) for o in outcomes) == 1
    assert sum(isinstance(o, otp_limits.OtpCooldown) for o in outcomes) == 7
    assert sender.texts == [PHONE]


def test_past_the_sms_budget_a_request_is_refused_without_waiting_its_turn(
    postgresql_engine: Engine, env: Env, sender: Sender
) -> None:
    """Every request for any number takes the budget's turn (PostgreSQL: one lock;
    SQLite's transactions take turns as a whole), so a surge past the budget queued
    its refusals one behind the other; now a request finds the budget spent before
    queueing, even while another request holds the turn."""
    real_sessions = sessionmaker(postgresql_engine, expire_on_commit=False)
    units, tag = UnitOfWorkFactory(real_sessions), f"spent-{uuid.uuid4().hex[:8]}-"
    with units() as uow:
        env.settings.sms_per_hour = 1 + uow.otp.count_all_since(
            env.clock.now() - timedelta(hours=1)
        )
    try:
        with units() as uow:
            a.request_login_code(uow, env, phone="13700000001", client=f"{tag}0")
        with units() as holder, units() as uow:
            holder.otp.take_budget_turn()  # another request, mid-way
            uow.session.execute(text("SET LOCAL lock_timeout = '3s'"))
            started = time.monotonic()
            with pytest.raises(otp_limits.SmsBudgetExhausted):
                a.request_login_code(uow, env, phone="13700000002", client=f"{tag}1")
            assert time.monotonic() - started < 2
    finally:
        with real_sessions.begin() as session:
            session.execute(delete(t.OtpChallenge).where(t.OtpChallenge.client.startswith(tag)))
