"""The on-screen code: reused while it says the same, cut at the pass's end, budgeted
per session (issue 7 §1 and §15)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest

from healthcode.domain.clock import TZ, FixedClock
from healthcode.domain.colour import Colour
from healthcode.domain.tokens import Refusal
from healthcode.services.codes.health_codes import (
    DISPLAY_LIMIT,
    DisplayCode,
    display_code,
    verify_code,
)
from healthcode.services.shared.env import Env
from healthcode.services.shared.keys import rotate_keys
from healthcode.services.shared.ratelimit import TooManyRequests
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.services.conftest import declare, new_account, report, signed_pass

pytestmark = pytest.mark.usefixtures("signing_key")
SECOND = timedelta(seconds=1)
PASS_END = datetime(2020, 2, 29, tzinfo=TZ)  # signed 2020-02-23, valid 5 days after


@pytest.fixture
def other(uow: UnitOfWork, env: Env) -> t.Account:
    return new_account(uow, env, "13800002222")


def shown(
    uow: UnitOfWork,
    env: Env,
    account: t.Account,
    policy: str = "binzhou-code",
    session: uuid.UUID | None = None,
) -> DisplayCode:
    return display_code(
        uow, env, resident_id=account.resident_id, policy_id=policy, session_id=session
    )


class TestReuse:
    def test_a_second_fetch_within_the_lifetime_returns_the_same_token(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        declare(uow, env, account)
        first = shown(uow, env, account)
        clock.advance(30 * SECOND)
        again = shown(uow, env, account)
        assert again.token == first.token
        assert (again.expires_in, again.refresh_in) == (30, 20)  # counted from what is left
        clock.advance(11 * SECOND)  # 41 s of 60: less than a third left
        assert shown(uow, env, account).token != first.token

    def test_a_colour_change_gives_a_new_token_at_once(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        declare(uow, env, account)
        green = shown(uow, env, account)
        clock.advance(SECOND)
        report(uow, env, account, "binzhou-code", temperature=37.6)
        yellow = shown(uow, env, account)
        assert (green.claims.colour, yellow.claims.colour) == (Colour.GREEN, Colour.YELLOW)
        assert yellow.token != green.token

    def test_a_new_signing_key_gives_a_new_token_at_once(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        declare(uow, env, account)
        old = shown(uow, env, account)
        rotated = rotate_keys(
            uow, env.protector, env.keys, now=clock.now(), publish_ahead=timedelta(0)
        )
        env.keys.invalidate()  # what the commit does
        new = shown(uow, env, account)
        assert new.token != old.token
        assert verify_code(uow, env, text=new.token).kid == rotated.kid

    def test_residents_never_share_a_token(
        self, uow: UnitOfWork, env: Env, account: t.Account, other: t.Account
    ) -> None:
        declare(uow, env, account)
        declare(uow, env, other)
        assert shown(uow, env, account).token != shown(uow, env, other).token


class TestPassEnd:
    """A green pass fetched at 23:59:40 on its last day, scanned at 00:00:20."""

    def test_the_token_ends_with_the_pass_and_is_refused_after(
        self, uow: UnitOfWork, env: Env, account: t.Account, clock: FixedClock
    ) -> None:
        signed_pass(uow, env, account)
        for day in range(24, 29):
            clock.set(datetime(2020, 2, day, 8, tzinfo=TZ))
            report(uow, env, account, "shandong-pass")
        clock.set(PASS_END - 20 * SECOND)
        late = shown(uow, env, account, "shandong-pass")
        assert late.claims.colour is Colour.GREEN
        assert late.claims.expires_at == late.claims.pass_valid_until == PASS_END
        assert (late.expires_in, late.refresh_in) == (20, 13)  # the page renews before the end
        assert verify_code(uow, env, text=late.token).ok
        clock.set(PASS_END + 20 * SECOND)
        assert verify_code(uow, env, text=late.token).reason is Refusal.PASS_LAPSED
        after = shown(uow, env, account, "shandong-pass")
        assert after.claims.colour is Colour.YELLOW
        assert after.claims.pass_valid_until is None  # a lapsed pass is not claimed
        assert verify_code(uow, env, text=after.token).ok  # genuine, yellow: may not pass


class TestSessionBudget:
    def test_one_session_over_its_budget_is_refused_and_another_is_served(
        self, uow: UnitOfWork, env: Env, account: t.Account, other: t.Account
    ) -> None:
        declare(uow, env, account)
        declare(uow, env, other)
        greedy, calm = uuid.uuid4(), uuid.uuid4()
        budget = int(DISPLAY_LIMIT.split("/")[0])
        for _ in range(budget):
            shown(uow, env, account, session=greedy)
        with pytest.raises(TooManyRequests) as refused:
            shown(uow, env, account, session=greedy)
        retry = refused.value.retry_after
        assert retry is not None
        assert 1 <= retry <= 60
        assert refused.value.headers == {"Retry-After": str(retry)}
        assert shown(uow, env, other, session=calm).claims.colour is Colour.GREEN
