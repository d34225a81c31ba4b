"""Changing one's own staff password, on SQLite and PostgreSQL: the current password
proven (a wrong one counted towards the sign-in delay), the new one held to the rules,
every other session ended and this one kept (an outside probe, stop 44)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.services.accounts import login as a
from healthcode.services.accounts import password_change, passwords, sessions
from healthcode.services.accounts.password_change import NoPassword, WrongCurrentPassword
from healthcode.services.accounts.permissions import Principal
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.services.accounts.helpers import OWNER, PASSWORD, Sender, login, staff

NEW = "staple clip lantern 42"


def sign_in(uow: UnitOfWork, env: Env, password: str = PASSWORD, client: str = OWNER) -> object:
    try:
        return a.staff_login(
            uow, env, username="issuer01", password=password, client=client, user_agent="ua"
        )
    except (a.BadCredentials, passwords.LoginRateLimited) as refused:
        return refused


def signed_in(uow: UnitOfWork, env: Env) -> tuple[Principal, str]:
    issued = sign_in(uow, env)
    assert isinstance(issued, sessions.IssuedSession)
    principal = sessions.authenticate(uow, env, token=issued.token)
    assert principal is not None
    return principal, issued.token


def change(
    uow: UnitOfWork, env: Env, who: Principal, current: str = PASSWORD, new: str = NEW
) -> None:
    password_change.change_own_password(
        uow, env, who, current_password=current, new_password=new, client=OWNER
    )


def fields(error: InvalidInput) -> list[tuple[str, str]]:
    return [(e.field, e.code) for e in error.errors]


class TestChangeOwnPassword:
    def test_the_new_password_signs_in_and_only_this_session_stays(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        staff(uow, env)
        _, other = signed_in(uow, env)  # another phone, signed in before
        who, mine = signed_in(uow, env)
        change(uow, env, who)
        assert sessions.authenticate(uow, env, token=mine) is not None
        assert sessions.authenticate(uow, env, token=other) is None
        assert isinstance(sign_in(uow, env), a.BadCredentials)
        assert isinstance(sign_in(uow, env, NEW), sessions.IssuedSession)
        event = uow.session.scalars(
            select(t.AuditEvent).where(t.AuditEvent.action == "staff.password.changed")
        ).one()
        assert (event.actor_id, event.detail) == (
            who.account_id,
            {"account_id": str(who.account_id)},
        )

    def test_a_wrong_current_password_is_named_and_counted(self, uow: UnitOfWork, env: Env) -> None:
        staff(uow, env)
        who, _ = signed_in(uow, env)
        for _ in range(passwords.FREE_FAILURES):
            with pytest.raises(WrongCurrentPassword) as wrong:
                change(uow, env, who, current="not my password")
            assert wrong.value.keeps_changes
            assert fields(wrong.value) == [("current_password", "wrong_password")]
        # the delay of this username from this address: the change and the sign-in alike
        with pytest.raises(passwords.LoginRateLimited):
            change(uow, env, who)
        assert isinstance(sign_in(uow, env), passwords.LoginRateLimited)
        assert isinstance(sign_in(uow, env, client="10.0.0.2"), sessions.IssuedSession)

    def test_a_wrong_current_password_with_a_weak_new_one_names_both(
        self, uow: UnitOfWork, env: Env
    ) -> None:
        staff(uow, env)
        who, _ = signed_in(uow, env)
        with pytest.raises(WrongCurrentPassword) as wrong:
            change(uow, env, who, current="not my password", new="12345678901")
        assert fields(wrong.value) == [
            ("current_password", "wrong_password"),
            ("new_password", "all_digits"),
        ]

    @pytest.mark.parametrize(
        ("new", "code"),
        [
            ("short one", "too_short"),
            ("12345678901", "all_digits"),
            ("password123", "common"),
            (PASSWORD, "same_as_current"),
        ],
    )
    def test_a_new_password_the_rules_refuse_is_said_on_new_password(
        self, uow: UnitOfWork, env: Env, new: str, code: str
    ) -> None:
        staff(uow, env)
        who, _ = signed_in(uow, env)
        with pytest.raises(InvalidInput) as refused:
            change(uow, env, who, new=new)
        assert not isinstance(refused.value, WrongCurrentPassword)
        assert fields(refused.value) == [("new_password", code)]
        assert isinstance(sign_in(uow, env), sessions.IssuedSession)  # unchanged

    def test_the_username_as_the_new_password_is_refused(self, uow: UnitOfWork, env: Env) -> None:
        staff(uow, env, "issuer.binzhou01")
        issued = a.staff_login(
            uow, env, username="issuer.binzhou01", password=PASSWORD, client=OWNER, user_agent=""
        )
        who = sessions.authenticate(uow, env, token=issued.token)
        assert who is not None
        with pytest.raises(InvalidInput) as refused:
            change(uow, env, who, new="Issuer.Binzhou01")
        assert fields(refused.value) == [("new_password", "same_as_username")]

    def test_fields_left_empty_are_named_and_not_counted(self, uow: UnitOfWork, env: Env) -> None:
        staff(uow, env)
        who, _ = signed_in(uow, env)
        for _ in range(passwords.FREE_FAILURES + 1):
            with pytest.raises(InvalidInput) as empty:
                change(uow, env, who, current="", new="")
            assert fields(empty.value) == [
                ("current_password", "required"),
                ("new_password", "required"),
            ]
        change(uow, env, who)  # no delay

    def test_a_resident_has_no_password(self, uow: UnitOfWork, env: Env, sender: Sender) -> None:
        issued = login(uow, env, sender)
        who = sessions.authenticate(uow, env, token=issued.token)
        assert who is not None
        with pytest.raises(NoPassword) as refused:
            change(uow, env, who)
        assert (refused.value.status, refused.value.code) == (403, "no_password")


class TestConsole:
    def test_set_at_the_console_ends_every_session(self, uow: UnitOfWork, env: Env) -> None:
        staff(uow, env)
        _, token = signed_in(uow, env)
        password_change.reset_at_console(uow, env, username=" Issuer01 ", password=NEW)
        assert sessions.authenticate(uow, env, token=token) is None
        assert isinstance(sign_in(uow, env, NEW), sessions.IssuedSession)
        event = uow.session.scalars(
            select(t.AuditEvent).where(t.AuditEvent.action == "staff.password.reset")
        ).one()
        assert event.actor_id is None
        assert event.detail["via"] == "console"

    def test_an_unknown_account_is_not_found(self, uow: UnitOfWork, env: Env) -> None:
        with pytest.raises(NotFound):
            password_change.reset_at_console(uow, env, username="nobody", password=NEW)


RACERS = ("10.8.0.1", "10.8.0.2")


@pytest.fixture
def units(real_sessions: sessionmaker[Session], env: Env) -> Iterator[UnitOfWorkFactory]:
    factory = UnitOfWorkFactory(real_sessions)
    with factory() as uow:
        staff(uow, env, "racer.pw")
    yield factory
    with real_sessions.begin() as session:
        session.execute(delete(t.LoginFailure).where(t.LoginFailure.username == "racer.pw"))
        account = session.scalars(select(t.Account).where(t.Account.username == "racer.pw")).one()
        session.execute(delete(t.AuditEvent).where(t.AuditEvent.actor_id == account.id))
        session.delete(account)


class TestRace:
    def test_two_changes_at_once_are_not_both_applied_from_the_old_password(
        self, units: UnitOfWorkFactory, env: Env, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Both know the old password; the account row is locked, so the second is checked
        against the password the first set, and refused. The check is slowed down, so
        that without the lock both read the old password before either writes."""
        matches = a.password_matches

        def slow(*args: Any) -> bool:
            time.sleep(0.3)
            return matches(*args)

        monkeypatch.setattr(a, "password_matches", slow)
        with units() as uow:
            issued = a.staff_login(
                uow, env, username="racer.pw", password=PASSWORD, client=RACERS[0], user_agent=""
            )
            who = sessions.authenticate(uow, env, token=issued.token)
        assert who is not None
        start, outcomes = threading.Barrier(2), dict[str, object]()

        def one(n: int) -> None:
            new = f"{NEW} number {n}"
            start.wait()
            try:
                with units() as uow:
                    password_change.change_own_password(
                        uow, env, who, current_password=PASSWORD, new_password=new, client=RACERS[n]
                    )
                outcomes[new] = "changed"
            except WrongCurrentPassword as refused:
                outcomes[new] = refused

        threads = [threading.Thread(target=one, args=(n,)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        [changed] = [new for new, outcome in outcomes.items() if outcome == "changed"]
        [refused] = [o for o in outcomes.values() if isinstance(o, WrongCurrentPassword)]
        assert refused.errors[0].field == "current_password"
        with units() as uow:
            account = uow.accounts.by_username("racer.pw")
            assert account is not None
            assert a.password_matches(env, account.password_hash, changed)
