"""Time-driven changes carry the instant the rule says, not when they were noticed
(issue 7, item 5)."""

from __future__ import annotations

from datetime import date

from healthcode.domain.clock import start_of
from healthcode.domain.colour import Colour
from healthcode.domain.engine import evaluate
from healthcode.domain.facts import Facts, Observation
from healthcode.domain.state import recheck_at
from healthcode.domain.timeline import replay
from healthcode.policies import builtin_policy
from tests.factories.facts import at, daily_reports, day, declaration, facts, report, signature

PASS = builtin_policy("shandong-pass")
CODE = builtin_policy("binzhou-code")


def _signed_pass(*reports: Observation) -> Facts:
    app = declaration(at(0), residence_since=date(2019, 12, 1))
    return facts(app, *reports, signatures=[signature(app, at(0, 15))])


def test_a_missed_report_and_the_lapse_are_each_at_midnight() -> None:
    f = _signed_pass(*daily_reports(1, 2))  # nothing from day 3 on
    cached = evaluate(PASS, f, at(1, 9))
    found, _ = replay(
        PASS,
        f,
        colour=cached.colour,
        recheck=recheck_at(cached),
        now=at(8, 0, 5),
    )
    assert [(s.evaluated_at, s.colour) for s in found] == [(start_of(day(4)), Colour.YELLOW)]


def test_a_report_that_restored_green_splits_the_history() -> None:
    f = _signed_pass(*daily_reports(1, 2), report(at(4, 10)))
    cached = evaluate(PASS, f, at(2, 9))
    found, _ = replay(
        PASS,
        f,
        colour=cached.colour,
        recheck=recheck_at(cached),
        now=at(4, 9),
    )
    # yesterday (day 3) missed: yellow from midnight; today's report is not yet known
    assert [(s.evaluated_at, s.colour) for s in found] == [(start_of(day(4)), Colour.YELLOW)]


def test_a_waiting_application_becomes_pending_when_the_red_pass_lapses() -> None:
    app = declaration(at(0), residence_since=date(2019, 12, 1))
    again = declaration(at(1, 10), residence_since=date(2019, 12, 1))
    f = facts(app, again, *daily_reports(1, 5), signatures=[signature(app, at(0, 15), Colour.RED)])
    cached = evaluate(PASS, f, at(1, 11))
    found, _ = replay(PASS, f, colour=cached.colour, recheck=recheck_at(cached), now=at(6, 0, 5))
    assert [(s.evaluated_at, s.colour) for s in found] == [(start_of(day(6)), Colour.PENDING)]


def test_nothing_is_replayed_at_or_after_now() -> None:
    f = _signed_pass(*daily_reports(1, 2))
    cached = evaluate(PASS, f, at(1, 9))
    midnight = start_of(day(4))
    assert replay(PASS, f, colour=cached.colour, recheck=recheck_at(cached), now=midnight)[0] == []
