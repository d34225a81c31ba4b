"""Staff sign-ins fired at once from one address, on SQLite and PostgreSQL: a limit
holds for a burst as it does for sign-ins one after another."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import delete
from sqlalchemy.orm import Session, sessionmaker

from healthcode.services.accounts import login as a
from healthcode.services.accounts import passwords, sessions
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWorkFactory
from tests.services.accounts.helpers import PASSWORD, staff

BURST = 8
NAMES = ("racer01", "racer02")
CLIENTS = ("10.9.0.1", "10.9.0.2", "10.9.0.3")


@pytest.fixture
def units(real_sessions: sessionmaker[Session], env: Env) -> Iterator[UnitOfWorkFactory]:
    """Committed staff accounts; they and their sessions and counts go afterwards."""
    factory = UnitOfWorkFactory(real_sessions)
    with factory() as uow:
        for name in NAMES:
            staff(uow, env, name)
    yield factory
    with real_sessions.begin() as session:
        session.execute(delete(t.LoginFailure).where(t.LoginFailure.client.in_(CLIENTS)))
        session.execute(delete(t.Account).where(t.Account.username.in_(NAMES)))


@pytest.fixture
def checked(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The passwords that were compared with a hash: what a guesser learns from."""
    seen: list[str] = []
    verify = a._verify

    def counting(hasher: object, stored: str, password: str) -> bool:
        seen.append(password)
        return verify(hasher, stored, password)  # type: ignore[arg-type]

    monkeypatch.setattr(a, "_verify", counting)
    return seen


def burst(
    units: UnitOfWorkFactory, env: Env, sign_in: Callable[[int], tuple[str, str, str]]
) -> list[object]:
    """``BURST`` sign-ins released at one moment; what each got (a session or a refusal)."""
    start, outcomes = threading.Barrier(BURST), list[object]()

    def one(n: int) -> None:
        name, password, client = sign_in(n)
        start.wait()
        try:
            with units() as uow:
                outcomes.append(
                    a.staff_login(
                        uow, env, username=name, password=password, client=client, user_agent=""
                    )
                )
        except (a.BadCredentials, passwords.LoginRateLimited) as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=one, args=(n,)) for n in range(BURST)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(outcomes) == BURST
    return outcomes


def kinds(outcomes: list[object]) -> list[str]:
    return sorted(type(o).__name__ for o in outcomes)


def login(units: UnitOfWorkFactory, env: Env, name: str, password: str, client: str) -> object:
    try:
        with units() as uow:
            return a.staff_login(
                uow, env, username=name, password=password, client=client, user_agent=""
            )
    except (a.BadCredentials, passwords.LoginRateLimited) as refused:
        return refused


def test_a_burst_of_wrong_passwords_from_one_address_stops_at_its_limit(
    units: UnitOfWorkFactory, env: Env, checked: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight guesses at once with room for three: each read the address's count
    before any had recorded its failure, so all eight were checked."""
    monkeypatch.setattr(a, "STAFF_CLIENT_LIMIT", "3/15 minutes")
    outcomes = burst(units, env, lambda n: (f"nobody{n}", f"guess number {n}", CLIENTS[0]))
    assert kinds(outcomes) == ["BadCredentials"] * 3 + ["LoginRateLimited"] * 5
    assert len(checked) == 3
    for refused in outcomes:
        if isinstance(refused, passwords.LoginRateLimited):  # the address's limit, in minutes
            assert (refused.code, refused.params["minutes"]) == ("login_rate_limited", 15)
    right = login(units, env, NAMES[0], PASSWORD, CLIENTS[0])
    assert isinstance(right, passwords.LoginRateLimited)  # not even the right password
    assert len(checked) == 3
    assert isinstance(login(units, env, NAMES[0], PASSWORD, CLIENTS[1]), sessions.IssuedSession)


def test_a_burst_at_one_name_from_one_address_waits_its_delay(
    units: UnitOfWorkFactory, env: Env, checked: list[str]
) -> None:
    """The delay per name and address starts after ``FREE_FAILURES`` wrong passwords;
    eight at once all read "no failures yet" and were all checked."""
    outcomes = burst(units, env, lambda n: (NAMES[0], f"guess number {n}", CLIENTS[0]))
    free = passwords.FREE_FAILURES
    assert kinds(outcomes) == ["BadCredentials"] * free + ["LoginRateLimited"] * (BURST - free)
    assert len(checked) == free
    for refused in outcomes:
        if isinstance(refused, passwords.LoginRateLimited):  # the name's delay, in seconds
            assert refused.params["seconds"] == 1
    assert isinstance(login(units, env, NAMES[0], PASSWORD, CLIENTS[0]), passwords.LoginRateLimited)
    assert isinstance(login(units, env, NAMES[0], PASSWORD, CLIENTS[1]), sessions.IssuedSession)


def test_an_office_signing_in_at_once_keeps_its_whole_budget(
    units: UnitOfWorkFactory, env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Right passwords count nothing, at once or one by one: after forty colleagues
    the office's address may still get its whole limit of typos wrong."""
    monkeypatch.setattr(a, "STAFF_CLIENT_LIMIT", "10/15 minutes")
    for _ in range(5):
        outcomes = burst(units, env, lambda n: (NAMES[n % 2], PASSWORD, CLIENTS[2]))
        assert kinds(outcomes) == ["IssuedSession"] * BURST
    typos = [login(units, env, f"typo{n:02d}", "mistyped password", CLIENTS[2]) for n in range(11)]
    assert kinds(typos[:10]) == ["BadCredentials"] * 10
    assert isinstance(typos[10], passwords.LoginRateLimited)
