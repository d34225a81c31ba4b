"""binzhou-code (seed 003): every rule, its boundaries, and the 14-day streak."""

from __future__ import annotations

from datetime import timedelta

import pytest

from healthcode.domain.clock import start_of
from healthcode.domain.colour import Colour
from healthcode.domain.engine import evaluate
from healthcode.domain.facts import Observation
from healthcode.policies import builtin_policy
from tests.factories.facts import (
    at,
    credit,
    daily_reports,
    day,
    declaration,
    exposure,
    facts,
    high_risk,
    record,
    report,
    trip,
)

POLICY = builtin_policy("binzhou-code")
NOW = at(0, 10)

WUHAN, BEIJING, JINAN, BINZHOU = "420102", "110101", "370102", "371602"

# (case, declaration fields, colour, rule ids in order of severity)
DECLARED = [
    ("nothing to declare", {}, Colour.GREEN, ()),
    ("37.2 is not a fever", {"temperature": 37.2}, Colour.GREEN, ()),
    ("37.3 is a fever", {"temperature": 37.3}, Colour.YELLOW, ("BZ-YELLOW-FEVER",)),
    (
        "declared fever, not measured",
        {"temperature": None, "symptoms": ["fever"]},
        Colour.YELLOW,
        ("BZ-YELLOW-FEVER",),
    ),
    (
        "shortness of breath",
        {"symptoms": ["shortness_of_breath"]},
        Colour.YELLOW,
        ("BZ-YELLOW-SHORTNESS-OF-BREATH",),
    ),
    (
        "respiratory symptoms",
        {"symptoms": ["respiratory"]},
        Colour.YELLOW,
        ("BZ-YELLOW-RESPIRATORY",),
    ),
    (
        "contact with a febrile person",
        {"exposures": [exposure("febrile_contact")]},
        Colour.YELLOW,
        ("BZ-YELLOW-FEBRILE-CONTACT",),
    ),
    (
        "back from Beijing 14 days ago",
        {"trips": [trip(BEIJING, day(-14))]},
        Colour.YELLOW,
        ("BZ-YELLOW-OUT-OF-PROVINCE",),
    ),
    ("back from Beijing 15 days ago", {"trips": [trip(BEIJING, day(-15))]}, Colour.GREEN, ()),
    ("a trip inside the province", {"trips": [trip(JINAN, day(-1))]}, Colour.GREEN, ()),
    (
        "in Wuhan 14 days ago",
        {"trips": [trip(WUHAN, day(-14))]},
        Colour.RED,
        ("BZ-RED-KEY-REGION", "BZ-YELLOW-OUT-OF-PROVINCE"),
    ),
    ("in Wuhan 15 days ago", {"trips": [trip(WUHAN, day(-15))]}, Colour.GREEN, ()),
    ("confirmed case", {"exposures": [exposure("confirmed")]}, Colour.RED, ("BZ-RED-CONFIRMED",)),
    ("suspected case", {"exposures": [exposure("suspected")]}, Colour.RED, ("BZ-RED-SUSPECTED",)),
    ("positive", {"exposures": [exposure("positive")]}, Colour.RED, ("BZ-RED-POSITIVE",)),
    (
        "close contact",
        {"exposures": [exposure("close_contact")]},
        Colour.RED,
        ("BZ-RED-CLOSE-CONTACT",),
    ),
    (
        "close contact with a fever",
        {"exposures": [exposure("close_contact")], "temperature": 38.0},
        Colour.RED,
        ("BZ-RED-CLOSE-CONTACT", "BZ-YELLOW-FEVER"),
    ),
]


@pytest.mark.parametrize(
    ("fields", "colour", "rule_ids"), [c[1:] for c in DECLARED], ids=[c[0] for c in DECLARED]
)
def test_declaration_colours_at_once(
    fields: dict[str, object], colour: Colour, rule_ids: tuple[str, ...]
) -> None:
    state = evaluate(POLICY, facts(declaration(at(0), **fields)), NOW)
    assert state.colour is colour
    assert state.rule_ids == rule_ids


RECORDS = [
    (
        "confirmed, in hospital",
        {"kind": "confirmed", "start": day(-3)},
        Colour.RED,
        ("BZ-RED-RECORD-CONFIRMED",),
    ),
    (
        "suspected, not ruled out",
        {"kind": "suspected", "start": day(1)},
        Colour.RED,
        ("BZ-RED-RECORD-SUSPECTED",),
    ),
    (
        "positive (asymptomatic), not cured",
        {"kind": "positive", "start": day(1)},
        Colour.RED,
        ("BZ-RED-RECORD-POSITIVE",),
    ),
    (
        "close contact under observation",
        {"kind": "close_contact", "start": day(1), "end": day(5)},
        Colour.RED,
        ("BZ-RED-RECORD-CONTACT",),
    ),
    (
        "centralised quarantine",
        {"kind": "quarantine", "setting": "centralised", "end": day(5)},
        Colour.RED,
        ("BZ-RED-RECORD-QUARANTINE",),
    ),
    (
        "carrier data: Wuhan",
        {"kind": "travel", "region": WUHAN, "end": day(-3)},
        Colour.RED,
        ("BZ-RED-RECORD-KEY-REGION", "BZ-YELLOW-RECORD-OUT-OF-PROVINCE"),
    ),
    (
        "carrier data: Beijing",
        {"kind": "travel", "region": BEIJING, "end": day(-3)},
        Colour.YELLOW,
        ("BZ-YELLOW-RECORD-OUT-OF-PROVINCE",),
    ),
    (
        "carrier data: Binzhou",
        {"kind": "travel", "region": BINZHOU, "end": day(-3)},
        Colour.GREEN,
        (),
    ),
    (
        "fever-clinic visit yesterday",
        {"kind": "fever_clinic", "start": day(1)},
        Colour.YELLOW,
        ("BZ-YELLOW-RECORD-FEVER-CLINIC",),
    ),
    (
        "fever-clinic visit 15 days before it was reported",
        {"kind": "fever_clinic", "start": day(-13)},
        Colour.GREEN,
        (),
    ),
    (
        "fever medicine bought",
        {"kind": "fever_medicine", "start": day(2)},
        Colour.YELLOW,
        ("BZ-YELLOW-RECORD-FEVER-MEDICINE",),
    ),
    (
        "possible exposure found by tracing from scans",
        {"kind": "exposure", "start": day(2)},
        Colour.YELLOW,
        ("BZ-YELLOW-RECORD-EXPOSURE",),
    ),
]


@pytest.mark.parametrize(
    ("fields", "colour", "rule_ids"), [c[1:] for c in RECORDS], ids=[c[0] for c in RECORDS]
)
def test_green_turns_red_or_yellow_the_moment_a_record_arrives(
    fields: dict[str, object], colour: Colour, rule_ids: tuple[str, ...]
) -> None:
    kind = str(fields.pop("kind"))
    received = at(2, 15)
    f = facts(declaration(at(0)), *daily_reports(1, 2), records=[record(kind, received, **fields)])  # type: ignore[arg-type]
    assert evaluate(POLICY, f, received - timedelta(seconds=1)).colour is Colour.GREEN
    state = evaluate(POLICY, f, received)
    assert (state.colour, state.rule_ids) == (colour, rule_ids)
    if rule_ids:
        assert state.reasons[0].evidence[0].id == f.records[0].id  # the record is named


def test_release_from_observation_starts_the_fourteen_day_streak() -> None:
    received = at(0, 15)
    contact = record("close_contact", received, start=day(0), end=day(20))
    f = facts(declaration(at(0)), *daily_reports(1, 40), records=[contact])
    assert evaluate(POLICY, f, at(14, 12)).colour is Colour.RED  # 14 normal days, still observed
    assert evaluate(POLICY, f, at(20, 12)).colour is Colour.RED  # released: the streak starts
    state = evaluate(POLICY, f, at(32, 12))
    assert state.colour is Colour.RED
    assert state.reasons[0].streak == (13, 14)  # day 20 (the release) to day 32
    assert evaluate(POLICY, f, at(33, 12)).colour is Colour.GREEN  # day 33's report: 14


def test_an_open_observation_stays_red_however_many_normal_days() -> None:
    contact = record("close_contact", at(0, 15), start=day(0))
    f = facts(declaration(at(0)), *daily_reports(1, 40), records=[contact])
    assert evaluate(POLICY, f, at(40, 12)).colour is Colour.RED


def test_a_withdrawn_record_counted_until_it_was_withdrawn() -> None:
    contact = record("close_contact", at(2, 15), start=day(2), withdrawn=at(3, 10))
    f = facts(declaration(at(0)), *daily_reports(1, 4), records=[contact])
    assert evaluate(POLICY, f, at(3, 9)).colour is Colour.RED
    assert evaluate(POLICY, f, at(3, 10)).colour is Colour.GREEN


class TestHighRiskRegions:
    """A region listed high-risk for some dates: a stay there in that time is red."""

    def test_a_carrier_record_in_the_listed_dates_turns_red(self) -> None:
        stay = record("travel", at(2, 8), region=JINAN, start=day(-2), end=day(-1))
        listed = high_risk("3701", day(-5), day(-2), received=at(2, 15))
        f = facts(declaration(at(0)), records=[stay], high_risk_periods=[listed])
        assert evaluate(POLICY, f, at(2, 14)).colour is Colour.GREEN
        state = evaluate(POLICY, f, at(2, 15))
        assert (state.colour, state.rule_ids) == (Colour.RED, ("BZ-RED-RECORD-HIGH-RISK-REGION",))

    def test_a_stay_before_the_listing_does_not_count(self) -> None:
        stay = record("travel", at(2, 8), region=JINAN, start=day(-9), end=day(-6))
        listed = high_risk("3701", day(-5), received=at(2, 15))
        f = facts(declaration(at(0)), records=[stay], high_risk_periods=[listed])
        assert evaluate(POLICY, f, at(2, 16)).colour is Colour.GREEN

    def test_a_declared_trip_through_a_listed_region_turns_red(self) -> None:
        listed = high_risk(BINZHOU, day(-3), received=at(0, 8))
        f = facts(declaration(at(0), trips=[trip(BINZHOU, day(-1))]), high_risk_periods=[listed])
        state = evaluate(POLICY, f, at(0, 12))
        assert (state.colour, state.rule_ids) == (Colour.RED, ("BZ-RED-HIGH-RISK-REGION",))

    def test_a_withdrawn_listing_no_longer_counts(self) -> None:
        listed = high_risk(BINZHOU, day(-3), received=at(0, 8), withdrawn=at(1, 8))
        f = facts(declaration(at(0), trips=[trip(BINZHOU, day(-1))]), high_risk_periods=[listed])
        assert evaluate(POLICY, f, at(0, 12)).colour is Colour.RED
        assert evaluate(POLICY, f, at(1, 8)).colour is Colour.GREEN


def test_daily_report_with_fever_turns_green_code_yellow_at_once() -> None:
    f = facts(declaration(at(0)), *daily_reports(1, 3), report(at(4, 8), temperature=37.5))
    assert evaluate(POLICY, f, at(4, 7)).colour is Colour.GREEN
    state = evaluate(POLICY, f, at(4, 8))
    assert (state.colour, state.rule_ids) == (Colour.YELLOW, ("BZ-YELLOW-FEVER",))


class TestFourteenDayStreak:
    """红码、黄码人员须连续14天登记健康信息结果为正常才能转为绿码."""

    def fever(self) -> Observation:
        return declaration(at(0), temperature=38.1)

    def test_thirteen_normal_days_are_not_enough_fourteen_are(self) -> None:
        reports = daily_reports(1, 14)
        assert (
            evaluate(POLICY, facts(self.fever(), *reports[:13]), at(13, 20)).colour is Colour.YELLOW
        )
        assert evaluate(POLICY, facts(self.fever(), *reports), at(14, 20)).colour is Colour.GREEN

    def test_green_comes_with_the_fourteenth_report_not_at_midnight(self) -> None:
        f = facts(self.fever(), *daily_reports(1, 14, hour=8))
        before = evaluate(POLICY, f, at(14, 7))
        assert before.colour is Colour.YELLOW
        assert before.report_due == day(14)
        assert before.next_change is not None
        assert before.next_change.colour is Colour.GREEN
        assert before.next_change.at == at(14, 7)  # as soon as today's report is in
        assert evaluate(POLICY, f, at(14, 8)).colour is Colour.GREEN

    def test_the_date_it_can_turn_green_is_shown(self) -> None:
        state = evaluate(POLICY, facts(self.fever(), *daily_reports(1, 3)), at(3, 20))
        assert state.next_change is not None
        assert state.next_change.at == start_of(day(14))
        assert state.next_change.needs_reports
        assert state.reasons[0].lapses_at == start_of(day(14))

    def test_the_streak_so_far_is_told(self) -> None:
        f = facts(self.fever(), *daily_reports(1, 5))
        assert evaluate(POLICY, f, at(5, 20)).reasons[0].streak == (5, 14)
        assert evaluate(POLICY, f, at(6, 7)).reasons[0].streak == (5, 14)  # today still due
        assert evaluate(POLICY, f, at(7, 7)).reasons[0].streak == (0, 14)  # day 6 missed

    def test_a_missed_day_restarts_the_count(self) -> None:
        reports = [r for r in daily_reports(1, 30) if r.day != day(5)]
        f = facts(self.fever(), *reports)
        assert evaluate(POLICY, f, at(18, 20)).colour is Colour.YELLOW
        assert evaluate(POLICY, f, at(19, 20)).colour is Colour.GREEN  # days 6..19

    def test_an_abnormal_report_restarts_the_count(self) -> None:
        reports = daily_reports(1, 30)
        reports[6] = report(at(7, 8), symptoms=["respiratory"])
        f = facts(self.fever(), *reports)
        assert evaluate(POLICY, f, at(20, 20)).colour is Colour.YELLOW
        assert evaluate(POLICY, f, at(21, 20)).colour is Colour.GREEN  # days 8..21

    def test_a_bad_evening_spoils_a_good_morning(self) -> None:
        reports = daily_reports(1, 14, hour=8)
        evening = report(at(10, 20), temperature=37.3)
        f = facts(self.fever(), *reports, evening)
        assert evaluate(POLICY, f, at(14, 21)).colour is Colour.YELLOW
        state = evaluate(POLICY, f, at(14, 21))
        assert state.next_change is not None
        assert state.next_change.at == start_of(day(24))

    def test_red_needs_the_same_streak(self) -> None:
        contact = declaration(at(0), exposures=[exposure("close_contact")])
        f = facts(contact, *daily_reports(1, 14))
        assert evaluate(POLICY, f, at(13, 20)).colour is Colour.RED
        assert evaluate(POLICY, f, at(14, 20)).colour is Colour.GREEN

    def test_red_and_yellow_lapse_together_when_the_streak_completes(self) -> None:
        both = declaration(at(0), trips=[trip(WUHAN, day(-2))])
        state = evaluate(POLICY, facts(both, *daily_reports(1, 2)), at(2, 20))
        assert state.colour is Colour.RED
        assert state.next_change is not None
        assert (state.next_change.colour, state.next_change.at) == (Colour.GREEN, start_of(day(14)))


class TestFraud:
    def test_confirmed_fraud_is_red_until_the_appeal_is_upheld(self) -> None:
        finding = credit(at(3, 10), revoked=at(6, 10))
        f = facts(declaration(at(0)), *daily_reports(1, 8), credit_records=[finding])
        state = evaluate(POLICY, f, at(4))
        assert (state.colour, state.rule_ids) == (Colour.RED, ("BZ-RED-FRAUD",))
        assert state.next_change is None  # no date: only an appeal ends it
        assert evaluate(POLICY, f, at(6, 11)).colour is Colour.GREEN


def test_no_declaration_means_no_code() -> None:
    assert evaluate(POLICY, facts(), NOW).colour is Colour.NONE


def test_green_explains_what_to_do() -> None:
    state = evaluate(POLICY, facts(declaration(at(0))), NOW)
    assert state.reasons == ()
    assert state.next_step == POLICY.green_next_step
    assert state.next_change is None


COVERED = {rid for *_, ids in DECLARED + RECORDS for rid in ids} | {
    "BZ-RED-FRAUD",
    "BZ-RED-RECORD-HIGH-RISK-REGION",
    "BZ-RED-HIGH-RISK-REGION",
}


def test_every_rule_of_the_policy_has_a_case() -> None:
    assert {r.id for r in POLICY.rules} == COVERED
