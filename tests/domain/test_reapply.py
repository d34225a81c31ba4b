"""Re-applying for a pass (seed 000): a signature stands until a newer signature
replaces it or the pass lapses; the new application waits beside it (issue 7, item 2)."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from healthcode.domain.clock import start_of
from healthcode.domain.colour import Colour
from healthcode.domain.engine import evaluate
from healthcode.domain.facts import Observation
from healthcode.policies import builtin_policy
from tests.factories.facts import at, daily_reports, day, declaration, facts, signature

POLICY = builtin_policy("shandong-pass")
LAPSE = start_of(day(6))  # signed on day 0, valid 5 days after it


def apply(n: int, hour: int = 9) -> Observation:
    return declaration(at(n, hour), residence_since=date(2019, 12, 1))


# (case, signed colour, when the new application comes, when evaluated, shown, waiting)
CASES = [
    ("red stays red while the new one waits", Colour.RED, at(1, 10), at(1, 11), Colour.RED, True),
    ("yellow stays yellow", Colour.YELLOW, at(2, 10), at(3, 8), Colour.YELLOW, True),
    ("green stands too", Colour.GREEN, at(1, 10), at(1, 11), Colour.GREEN, True),
    ("at the lapse the new one is pending", Colour.RED, at(1, 10), LAPSE, Colour.PENDING, False),
    ("after a lapse, pending at once", Colour.RED, at(7, 10), at(7, 11), Colour.PENDING, False),
]


@pytest.mark.parametrize(
    ("signed", "applied", "now", "shown", "waiting"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_a_signature_stands_until_replaced_or_lapsed(
    signed: Colour, applied: datetime, now: datetime, shown: Colour, waiting: bool
) -> None:
    first = apply(0)
    again = declaration(applied, residence_since=date(2019, 12, 1))
    f = facts(first, *daily_reports(1, 7), again, signatures=[signature(first, at(0, 15), signed)])
    state = evaluate(POLICY, f, now)
    assert state.colour is shown
    assert state.under_review == (again.id if waiting else None)
    assert state.awaiting_signature == again.id  # the issuer queue lists it either way
    if waiting:
        assert state.application_id == first.id
        assert "SD-SIGNED" in state.rule_ids
        assert "SD-PENDING" not in state.rule_ids


def test_a_newer_signature_replaces_the_old_one() -> None:
    first, again = apply(0), apply(1, 10)
    f = facts(
        first,
        again,
        *daily_reports(1, 3),
        signatures=[signature(first, at(0, 15), Colour.RED), signature(again, at(2, 9))],
    )
    state = evaluate(POLICY, f, at(2, 10))
    assert (state.colour, state.under_review, state.application_id) == (
        Colour.GREEN,
        None,
        again.id,
    )
    assert state.awaiting_signature is None


def test_the_latest_of_several_waiting_applications_is_the_one_under_review() -> None:
    first, second, third = apply(0), apply(1, 10), apply(1, 12)
    f = facts(first, second, third, signatures=[signature(first, at(0, 15), Colour.RED)])
    state = evaluate(POLICY, f, at(1, 13))
    assert (state.colour, state.under_review) == (Colour.RED, third.id)


def test_the_issuer_is_told_what_the_rules_say_of_the_new_application() -> None:
    first = apply(0)
    again = declaration(at(1, 10), residence_since=date(2019, 12, 1), temperature=38.0)
    f = facts(first, again, signatures=[signature(first, at(0, 15), Colour.YELLOW)])
    assert evaluate(POLICY, f, at(1, 11)).suggested is Colour.RED


def test_the_forecast_is_the_pending_code_at_the_lapse() -> None:
    first, again = apply(0), apply(1, 10)
    f = facts(
        first, *daily_reports(1, 5), again, signatures=[signature(first, at(0, 15), Colour.RED)]
    )
    change = evaluate(POLICY, f, at(1, 11)).next_change
    assert change is not None
    assert (change.at, change.colour) == (LAPSE, Colour.PENDING)
