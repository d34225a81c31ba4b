"""Properties of the engine that must hold for any facts, not just the tables."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import event, given, settings
from hypothesis import strategies as st

from healthcode.domain.colour import Colour
from healthcode.domain.engine import evaluate
from healthcode.domain.facts import ExposureKind, Facts, Observation, Symptom
from healthcode.domain.state import recheck_at
from healthcode.domain.timeline import carried
from healthcode.policies import builtin_policy
from tests.factories.facts import at, day, declaration, exposure, facts, report, trip

BINZHOU = builtin_policy("binzhou-code")
SHANDONG = builtin_policy("shandong-pass")

temperatures = st.one_of(st.none(), st.sampled_from([36.0, 36.8, 37.2, 37.3, 38.5]))
symptoms = st.sets(st.sampled_from(list(Symptom)), max_size=2)
exposures = st.lists(
    st.builds(
        exposure,
        st.sampled_from(list(ExposureKind)),
        st.none(),
        st.one_of(st.none(), st.integers(-20, 5).map(day)),
    ),
    max_size=2,
)
trips = st.lists(
    st.builds(
        trip,
        st.sampled_from(["420102", "110101", "370102", "371602"]),
        st.integers(-20, 0).map(day),
    ),
    max_size=2,
)


@st.composite
def declarations(draw: st.DrawFn, n: int = 0) -> Observation:
    return declaration(
        at(n, draw(st.integers(7, 22))),
        temperature=draw(temperatures),
        symptoms=draw(symptoms),
        exposures=draw(exposures),
        trips=draw(trips),
        residence_since=day(-30),
    )


@st.composite
def report_days(draw: st.DrawFn) -> list[Observation]:
    days = draw(st.sets(st.integers(1, 25), max_size=25))
    return [
        report(at(n, 8), temperature=draw(st.sampled_from([36.5, 36.5, 36.5, 37.6])))
        for n in sorted(days)
    ]


@settings(max_examples=150, deadline=None)
@given(declarations(), report_days(), st.randoms(use_true_random=False), st.integers(0, 26))
def test_order_of_facts_does_not_matter(
    decl: Observation, reports: list[Observation], rnd: object, n: int
) -> None:
    shuffled = [decl, *reports]
    rnd.shuffle(shuffled)  # type: ignore[attr-defined]
    for policy in (BINZHOU, SHANDONG):
        assert evaluate(policy, facts(decl, *reports), at(n, 12)) == evaluate(
            policy, Facts(tuple(shuffled)), at(n, 12)
        )


@settings(max_examples=150, deadline=None)
@given(declarations(), report_days(), st.integers(0, 26))
def test_later_facts_do_not_change_the_past(
    decl: Observation, reports: list[Observation], n: int
) -> None:
    now = at(n, 12)
    known = [r for r in reports if r.at <= now]
    for policy in (BINZHOU, SHANDONG):
        assert evaluate(policy, facts(decl, *reports), now) == evaluate(
            policy, facts(decl, *known), now
        )


@settings(max_examples=150, deadline=None)
@given(
    declarations(),
    report_days(),
    st.integers(1, 25),
    st.sets(st.sampled_from(BINZHOU.form.symptoms), min_size=1),
)
def test_an_abnormal_report_never_lowers_a_health_code(
    decl: Observation, reports: list[Observation], n: int, bad: set[Symptom]
) -> None:
    now = at(n, 12)
    before = evaluate(BINZHOU, facts(decl, *reports), now)
    after = evaluate(BINZHOU, facts(decl, *reports, report(now, symptoms=bad)), now)
    assert after.colour.severity >= max(before.colour.severity, Colour.YELLOW.severity)


@settings(max_examples=200, deadline=None)
@given(declarations())
def test_the_announced_change_happens_when_reports_stay_normal(decl: Observation) -> None:
    """The date a resident is promised is the date they get, if they keep reporting."""
    now = at(0, 23, 30)
    state = evaluate(BINZHOU, facts(decl), now)
    change = state.next_change
    if change is None:
        later = evaluate(BINZHOU, facts(decl, *[report(at(n, 8)) for n in range(1, 40)]), at(39, 9))
        assert later.colour is state.colour
        return
    horizon = (change.at - now).days + 2
    reports = [report(at(n, 8)) for n in range(1, horizon + 1)]
    f = facts(decl, *reports)
    just_before = change.at - timedelta(seconds=1)
    assert evaluate(BINZHOU, f, just_before).colour is state.colour
    assert evaluate(BINZHOU, f, change.at + timedelta(hours=8, minutes=1)).colour is change.colour


@settings(max_examples=200, deadline=None)
@given(declarations(), report_days(), st.integers(0, 25), st.integers(0, 23), st.integers(1, 2160))
def test_a_state_carried_to_a_later_instant_is_what_evaluating_there_gives(
    decl: Observation, reports: list[Observation], n: int, hour: int, minutes: int
) -> None:
    """``timeline.carried``, the batches' short cut: wherever it answers, its answer
    is the engine's; it answers only before the state's recheck."""
    f = facts(decl, *reports)
    for policy in (BINZHOU, SHANDONG):
        state = evaluate(policy, f, at(n, hour))
        later = state.evaluated_at + timedelta(minutes=minutes)
        found = carried(state, f, later)
        due = recheck_at(state)
        event(f"carried: {found is not None}")
        if found is not None:
            assert found == evaluate(policy, f, later)
            assert due is None or later < due


def test_the_rollover_carries_a_code_due_at_midnight_to_five_past() -> None:
    """The common case: evaluated at its recheck (midnight), nothing new by 00:05."""
    decl = declaration(at(0, 9), temperature=36.5, residence_since=day(-30))
    f = facts(decl, *[report(at(n, 8)) for n in range(1, 4)])
    midnight = at(4, 0)
    state = evaluate(BINZHOU, f, midnight)
    five_past = at(4, 0, 5)
    assert carried(state, f, five_past) == evaluate(BINZHOU, f, five_past)
    assert carried(state, f, five_past) is not None
    reported = facts(decl, *[report(at(n, 8)) for n in range(1, 4)], report(at(4, 0, 3)))
    assert carried(state, reported, five_past) is None  # learnt in between: evaluate
