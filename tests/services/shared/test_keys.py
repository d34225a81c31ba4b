"""Key rotation and retirement as two server processes see them, on both databases.

Process A runs the key commands; process B serves codes and /verify with its own key
cache, as another worker would. A third, fresh process stands for the CLI.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import sessionmaker

from healthcode.domain.clock import FixedClock
from healthcode.domain.tokens import KeyRing, NoSigningKey, Refusal, Verification
from healthcode.domain.tokens.codec import decode_text, parse_sign1
from healthcode.domain.tokens.foreign import ForeignVerification
from healthcode.services.codes.health_codes import display_code, verify_code
from healthcode.services.shared.env import Env, make_env
from healthcode.services.shared.keys import (
    CACHE_SECONDS,
    KeyCache,
    retire_key,
    rotate_keys,
    save_ring,
    trust_list,
)
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory
from tests.services.conftest import declare

NOW_ONLY = timedelta(0)


class Ticker:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


@pytest.fixture
def server(env: Env, ticker: Ticker) -> Env:
    """Process B: same settings and database, its own key cache."""
    other = make_env(env.settings, env.clock)
    other.keys = KeyCache(ticker=ticker)
    return other


@pytest.fixture
def resident(uow: UnitOfWork, env: Env, account: t.Account) -> t.Account:
    declare(uow, env, account)
    return account


def token_of(uow: UnitOfWork, env: Env, resident: t.Account) -> str:
    code = display_code(uow, env, resident_id=resident.resident_id, policy_id="binzhou-code")
    return code.token


def kid_of_token(token: str) -> bytes:
    return parse_sign1(decode_text(token)).kid


def listed_kids(uow: UnitOfWork, env: Env) -> list[bytes]:
    """The kids in the JWK Set process ``env`` publishes."""
    jwks = trust_list(uow, env.protector, env.keys, env.clock.now())
    return [base64.urlsafe_b64decode(jwk["kid"] + "=") for jwk in jwks["keys"]]


def fresh(env: Env) -> Env:
    """A process started now, as `healthcode verify` is."""
    return make_env(env.settings, env.clock)


def reason(result: Verification | ForeignVerification) -> str | None:
    return None if result.reason is None else result.reason.value


@pytest.mark.usefixtures("signing_key")
class TestRotation:
    def test_another_process_signs_with_the_new_key_at_once(
        self, uow: UnitOfWork, env: Env, server: Env, resident: t.Account
    ) -> None:
        old = kid_of_token(token_of(uow, server, resident))  # B's cache is warm
        new = rotate_keys(uow, env.protector, env.keys, now=env.clock.now(), publish_ahead=NOW_ONLY)
        uow.commit()
        token = token_of(uow, server, resident)  # the cache is younger than its bound
        assert kid_of_token(token) == new.kid != old
        cli = verify_code(uow, fresh(env), text=token)
        served = verify_code(uow, server, text=token)
        assert (reason(cli), reason(served)) == (None, None)  # the CLI and /verify agree

    def test_the_new_key_is_published_ahead_and_signs_only_when_due(
        self,
        uow: UnitOfWork,
        env: Env,
        server: Env,
        ticker: Ticker,
        clock: FixedClock,
        resident: t.Account,
    ) -> None:
        old = kid_of_token(token_of(uow, server, resident))
        ahead = timedelta(hours=env.settings.key_publish_ahead_hours)
        assert ahead == timedelta(hours=48)
        new = rotate_keys(uow, env.protector, env.keys, now=env.clock.now(), publish_ahead=ahead)
        uow.commit()
        ticker.seconds += CACHE_SECONDS
        assert listed_kids(uow, server) == [old, new.kid]  # announced…
        assert kid_of_token(token_of(uow, server, resident)) == old  # …not yet signing
        clock.advance(ahead)
        assert kid_of_token(token_of(uow, server, resident)) == new.kid


@pytest.mark.usefixtures("signing_key")
class TestRetirement:
    def test_a_retired_key_never_signs_even_from_a_warm_cache(
        self, uow: UnitOfWork, env: Env, server: Env, resident: t.Account
    ) -> None:
        old = kid_of_token(token_of(uow, server, resident))
        retire_key(uow, env.protector, env.keys, kid=old, now=env.clock.now())
        uow.commit()
        with pytest.raises(NoSigningKey) as refused:
            token_of(uow, server, resident)
        assert refused.value.status == 503
        rotate_keys(uow, env.protector, env.keys, now=env.clock.now(), publish_ahead=NOW_ONLY)
        uow.commit()
        assert kid_of_token(token_of(uow, server, resident)) != old

    def test_every_process_refuses_its_codes_within_the_bound(
        self, uow: UnitOfWork, env: Env, server: Env, ticker: Ticker, resident: t.Account
    ) -> None:
        token = token_of(uow, server, resident)
        assert verify_code(uow, server, text=token).ok
        rotate_keys(uow, env.protector, env.keys, now=env.clock.now(), publish_ahead=NOW_ONLY)
        retire_key(uow, env.protector, env.keys, kid=kid_of_token(token), now=env.clock.now())
        uow.commit()
        ticker.seconds += CACHE_SECONDS
        expected = Refusal.KEY_RETIRED.value
        assert reason(verify_code(uow, server, text=token)) == expected
        assert reason(verify_code(uow, fresh(env), text=token)) == expected
        assert reason(verify_code(uow, env, text=token)) == expected

    def test_a_retired_key_leaves_the_published_trust_list(
        self, uow: UnitOfWork, env: Env, server: Env, ticker: Ticker, resident: t.Account
    ) -> None:
        old = kid_of_token(token_of(uow, server, resident))
        new = rotate_keys(uow, env.protector, env.keys, now=env.clock.now(), publish_ahead=NOW_ONLY)
        retire_key(uow, env.protector, env.keys, kid=old, now=env.clock.now())
        uow.commit()
        ticker.seconds += CACHE_SECONDS
        assert listed_kids(uow, server) == [new.kid]


@pytest.fixture
def committing(postgresql_engine: Engine) -> Iterator[UnitOfWorkFactory]:
    """Units of work on their own connections that really commit; the keys the test
    made are deleted afterwards."""
    factory = sessionmaker(postgresql_engine, expire_on_commit=False)
    with factory() as session:
        before = set(session.scalars(select(t.SigningKey.kid)))
    yield UnitOfWorkFactory(factory)
    with factory.begin() as session:
        session.execute(delete(t.SigningKey).where(t.SigningKey.kid.not_in(before)))


class TestConcurrentRetirement:
    def test_once_a_retirement_commits_no_process_signs_with_the_key(
        self, committing: UnitOfWorkFactory, env: Env, server: Env
    ) -> None:
        """B signs in a loop on its own connection while A retires the key B's warm
        cache holds: every signature that starts after A's commit uses another key."""
        now = env.clock.now()
        ring = KeyRing.new(now)
        old = ring.keys[0].kid
        with committing() as uow:
            save_ring(uow, env.protector, ring)
        started, retired, done = threading.Event(), threading.Event(), threading.Event()
        signed: list[tuple[bool, bytes | None]] = []

        def serve() -> None:
            while not done.is_set():
                after = retired.is_set()
                with committing() as uow:
                    try:
                        kid: bytes | None = server.keys.signer(uow, server.protector, now).kid
                    except NoSigningKey:
                        kid = None
                signed.append((after, kid))
                started.set()

        worker = threading.Thread(target=serve)
        worker.start()
        assert started.wait(timeout=30)
        with committing() as uow:
            rotate_keys(uow, env.protector, env.keys, now=now, publish_ahead=NOW_ONLY)
            retire_key(uow, env.protector, env.keys, kid=old, now=now)
        retired.set()
        while sum(after for after, _ in signed) < 20 and worker.is_alive():
            done.wait(0.01)
        done.set()
        worker.join(timeout=30)
        assert (False, old) in signed  # B's cache was warm with the old key…
        late = [kid for after, kid in signed if after]
        assert len(late) >= 20
        assert old not in late  # …and it never signed after the retirement committed
        assert None not in late
