"""shandong-pass (seed 000): eligibility, the pass life cycle, and their boundaries."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from healthcode.domain.clock import start_of
from healthcode.domain.colour import Colour
from healthcode.domain.engine import evaluate
from healthcode.domain.facts import Facts, Observation
from healthcode.domain.state import State, recheck_at
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
    signature,
    trip,
)

POLICY = builtin_policy("shandong-pass")
LONG_AGO = date(2019, 12, 1)


def apply(n: int = 0, /, **fields: object) -> Observation:
    fields.setdefault("residence_since", LONG_AGO)
    return declaration(at(n), **fields)


# (case, application fields, day evaluated, suggested colour, rule ids)
ELIGIBILITY = [
    ("eligible", {}, 0, Colour.GREEN, ()),
    ("37.2 ℃", {"temperature": 37.2}, 0, Colour.GREEN, ()),
    ("37.3 ℃", {"temperature": 37.3}, 0, Colour.RED, ("SD-SYMPTOMS",)),
    ("dry cough", {"symptoms": ["dry_cough"]}, 0, Colour.RED, ("SD-SYMPTOMS",)),
    ("fatigue", {"symptoms": ["fatigue"]}, 0, Colour.RED, ("SD-SYMPTOMS",)),
    ("no temperature", {"temperature": None}, 0, Colour.YELLOW, ("SD-INFO-TEMPERATURE",)),
    (
        "lived here 13 full days",
        {"residence_since": day(-14)},
        0,
        Colour.RED,
        ("SD-SCOPE-RESIDENCE",),
    ),
    ("lived here 14 full days", {"residence_since": day(-15)}, 0, Colour.GREEN, ()),
    (
        "discharged, observed 13 days",
        {"exposures": [exposure("confirmed", day(-40), day(-14))]},
        0,
        Colour.RED,
        ("SD-EXCL-1-DISCHARGED",),
    ),
    (
        "discharged, observed 14 days",
        {"exposures": [exposure("confirmed", day(-40), day(-15))]},
        0,
        Colour.GREEN,
        (),
    ),
    (
        "confirmed, not discharged",
        {"exposures": [exposure("confirmed", day(-40))]},
        0,
        Colour.RED,
        ("SD-EXCL-1-DISCHARGED",),
    ),
    (
        "suspected, not cured",
        {"exposures": [exposure("suspected", day(-30))]},
        0,
        Colour.RED,
        ("SD-EXCL-2-SUSPECTED-POSITIVE",),
    ),
    (
        "positive, cured but isolated 13 days",
        {"exposures": [exposure("positive", day(-14), day(-2))]},
        0,
        Colour.RED,
        ("SD-EXCL-2-SUSPECTED-POSITIVE",),
    ),
    (
        "positive, cured and isolated 14 days",
        {"exposures": [exposure("positive", day(-15), day(-2))]},
        0,
        Colour.GREEN,
        (),
    ),
    (
        "close contact under observation",
        {"exposures": [exposure("close_contact", day(-5), day(1))]},
        0,
        Colour.RED,
        ("SD-EXCL-3-CLOSE-CONTACT",),
    ),
    (
        "close contact released today",
        {"exposures": [exposure("close_contact", day(-14), day(0))]},
        0,
        Colour.GREEN,
        (),
    ),
    (
        "back from Beijing 13 days",
        {"trips": [trip("110101", day(-13))]},
        0,
        Colour.RED,
        ("SD-EXCL-4-OUT-OF-PROVINCE",),
    ),
    (
        "back from Beijing 14 days",
        {"trips": [trip("110101", day(-14))]},
        0,
        Colour.RED,
        ("SD-EXCL-4-OUT-OF-PROVINCE",),
    ),
    ("back from Beijing 15 days", {"trips": [trip("110101", day(-15))]}, 0, Colour.GREEN, ()),
    ("trip to Qingdao", {"trips": [trip("370202", day(-2))]}, 0, Colour.GREEN, ()),
    (
        "contact with Hubei people, 14 days",
        {"exposures": [exposure("high_risk_contact", None, day(-14))]},
        0,
        Colour.RED,
        ("SD-EXCL-5-HIGH-RISK-CONTACT",),
    ),
    (
        "contact with Hubei people, 15 days",
        {"exposures": [exposure("high_risk_contact", None, day(-15))]},
        0,
        Colour.GREEN,
        (),
    ),
]


@pytest.mark.parametrize(
    ("fields", "n", "suggested", "rule_ids"),
    [c[1:] for c in ELIGIBILITY],
    ids=[c[0] for c in ELIGIBILITY],
)
def test_pending_code_carries_the_suggested_colour(
    fields: dict[str, object], n: int, suggested: Colour, rule_ids: tuple[str, ...]
) -> None:
    state = evaluate(POLICY, facts(apply(**fields)), at(n, 12))
    assert state.colour is Colour.PENDING
    assert state.suggested is suggested
    assert state.rule_ids == ("SD-PENDING", *rule_ids)


DATA_CHECK = [
    ("case record", {"kind": "confirmed", "start": day(-3)}, ("SD-DATA-CONFIRMED",)),
    (
        "positive record",
        {"kind": "positive", "start": day(1)},
        ("SD-DATA-SUSPECTED-POSITIVE",),
    ),
    ("contact record", {"kind": "close_contact", "end": day(9)}, ("SD-DATA-CONTACT",)),
    (
        "home quarantine record",
        {"kind": "quarantine", "setting": "home", "end": day(9)},
        ("SD-DATA-QUARANTINE",),
    ),
    (
        "travel record",
        {"kind": "travel", "region": "310101", "end": day(-1)},
        ("SD-DATA-OUT-OF-PROVINCE",),
    ),
]


@pytest.mark.parametrize(
    ("fields", "rule_ids"), [c[1:] for c in DATA_CHECK], ids=[c[0] for c in DATA_CHECK]
)
def test_new_data_turns_a_green_pass_red_during_its_validity(
    fields: dict[str, object], rule_ids: tuple[str, ...]
) -> None:
    app = apply()
    kind = str(fields.pop("kind"))
    rec = record(kind, at(2, 11), **fields)  # type: ignore[arg-type]
    f = facts(app, *daily_reports(1, 3), records=[rec], signatures=[signature(app, at(0, 15))])
    assert evaluate(POLICY, f, at(2, 10)).colour is Colour.GREEN
    state = evaluate(POLICY, f, at(2, 11))
    assert state.colour is Colour.RED
    assert state.rule_ids == (*rule_ids, "SD-SIGNED")


DATA_NEEDS_CHECKING = [
    ("fever-clinic visit", {"kind": "fever_clinic", "start": day(1)}, ("SD-DATA-FEVER-CLINIC",)),
    (
        "fever medicine bought",
        {"kind": "fever_medicine", "start": day(2)},
        ("SD-DATA-FEVER-MEDICINE",),
    ),
    (
        "possible exposure found by tracing from scans",
        {"kind": "exposure", "start": day(2)},
        ("SD-DATA-EXPOSURE",),
    ),
]


@pytest.mark.parametrize(
    ("fields", "rule_ids"),
    [c[1:] for c in DATA_NEEDS_CHECKING],
    ids=[c[0] for c in DATA_NEEDS_CHECKING],
)
def test_a_sign_of_fever_in_the_data_turns_the_pass_yellow_until_checked(
    fields: dict[str, object], rule_ids: tuple[str, ...]
) -> None:
    app = apply()
    kind = str(fields.pop("kind"))
    rec = record(kind, at(2, 11), **fields)  # type: ignore[arg-type]
    f = facts(app, *daily_reports(1, 3), records=[rec], signatures=[signature(app, at(0, 15))])
    state = evaluate(POLICY, f, at(2, 11))
    assert (state.colour, state.rule_ids) == (Colour.YELLOW, (*rule_ids, "SD-SIGNED"))


def test_a_stay_in_a_region_while_it_was_high_risk_turns_the_pass_red() -> None:
    app = apply()
    stay = record("travel", at(1, 11), region="370102", start=day(-3), end=day(-1))
    listed = high_risk("3701", day(-2), received=at(2, 11))
    f = facts(
        app,
        *daily_reports(1, 3),
        records=[stay],
        signatures=[signature(app, at(0, 15))],
        high_risk_periods=[listed],
    )
    assert evaluate(POLICY, f, at(2, 10)).colour is Colour.GREEN
    state = evaluate(POLICY, f, at(2, 11))
    assert state.rule_ids == ("SD-DATA-HIGH-RISK-REGION", "SD-SIGNED")


def test_information_arrives_later() -> None:
    app = apply(temperature=None)
    later = report(at(0, 18), temperature=36.6)
    assert evaluate(POLICY, facts(app, later), at(0, 17)).suggested is Colour.YELLOW
    assert evaluate(POLICY, facts(app, later), at(0, 18)).suggested is Colour.GREEN


class TestValidity:
    """自办理之日起5天内有效: five days after the signing day."""

    def state_on(self, n: int, hour: int = 12, colour: Colour = Colour.GREEN) -> State:
        app = apply()
        f = facts(app, *daily_reports(1, 10), signatures=[signature(app, at(0, 15), colour)])
        return evaluate(POLICY, f, at(n, hour))

    def test_green_through_the_fifth_day(self) -> None:
        state = self.state_on(5, 23)
        assert state.colour is Colour.GREEN
        assert state.valid_until == start_of(day(6))

    def test_yellow_on_the_sixth_day(self) -> None:
        state = self.state_on(6, 0)
        assert (state.colour, state.rule_ids) == (Colour.YELLOW, ("SD-EXPIRED",))

    def test_expiry_is_announced(self) -> None:
        state = self.state_on(5)  # every day of validity reported
        assert state.next_change is not None
        assert (state.next_change.at, state.next_change.colour) == (start_of(day(6)), Colour.YELLOW)
        assert not state.next_change.needs_reports

    def test_a_yellow_signature_stays_yellow(self) -> None:
        state = self.state_on(2, colour=Colour.YELLOW)
        assert (state.colour, state.rule_ids) == (Colour.YELLOW, ("SD-SIGNED",))
        # daily reports do not help it: the next step is to apply again (it said
        # "submit the daily report to keep the pass green")
        assert (state.next_step or {}).get("zh", "").startswith("请按签发人的要求补充信息")

    def test_a_red_signature_says_whom_to_report_to(self) -> None:
        state = self.state_on(2, colour=Colour.RED)
        assert "向所在社区（村）或单位报告" in (state.next_step or {}).get("zh", "")

    def test_a_green_signature_is_kept_by_daily_reports(self) -> None:
        assert "每日提交健康上报" in (self.state_on(2).next_step or {}).get("zh", "")

    def test_re_application_after_expiry_is_pending_again(self) -> None:
        app = apply()
        again = apply(7)
        f = facts(app, *daily_reports(1, 6), again, signatures=[signature(app, at(0, 15))])
        state = evaluate(POLICY, f, at(7, 10))
        assert (state.colour, state.application_id) == (Colour.PENDING, again.id)


class TestDailyReport:
    """有效期内出行人需每日……提交，以保持电子健康通行卡为绿色."""

    def pass_with(self, *reports: Observation) -> Facts:
        app = apply()
        return facts(app, *reports, signatures=[signature(app, at(0, 15))])

    def test_today_is_due_but_still_green(self) -> None:
        f = self.pass_with(report(at(1)))
        state = evaluate(POLICY, f, at(2, 22))
        assert (state.colour, state.report_due) == (Colour.GREEN, day(2))

    def test_missing_yesterdays_report_turns_yellow_at_midnight(self) -> None:
        f = self.pass_with(report(at(1)))
        state = evaluate(POLICY, f, at(3, 0))
        assert (state.colour, state.rule_ids) == (Colour.YELLOW, ("SD-MISSED-REPORT", "SD-SIGNED"))
        assert state.reasons[0].detail == day(2).isoformat()

    def test_todays_report_restores_green(self) -> None:
        f = self.pass_with(report(at(1)), report(at(3, 9)))
        assert evaluate(POLICY, f, at(3, 10)).colour is Colour.GREEN

    def test_the_signing_day_needs_no_report(self) -> None:
        f = self.pass_with()
        assert evaluate(POLICY, f, at(1, 0, 1)).colour is Colour.GREEN

    def test_a_report_with_fever_turns_the_pass_red(self) -> None:
        f = self.pass_with(report(at(1), temperature=37.4))
        state = evaluate(POLICY, f, at(1, 10))
        assert (state.colour, state.rule_ids) == (Colour.RED, ("SD-SYMPTOMS", "SD-SIGNED"))


# (case, signed colour, days reported, evaluated (day, hour), next change (day, colour,
# only if the day before it has no report))
FORECAST = [
    ("due today: yellow at midnight", Colour.GREEN, (1,), (2, 22), (3, Colour.YELLOW, True)),
    (
        "signing day: tomorrow's report is the first",
        Colour.GREEN,
        (),
        (0, 16),
        (2, Colour.YELLOW, True),
    ),
    (
        "reported today: tomorrow's is next",
        Colour.GREEN,
        (1, 2),
        (2, 10),
        (4, Colour.YELLOW, True),
    ),
    ("all reported: the lapse", Colour.GREEN, (1, 2, 3, 4, 5), (5, 10), (6, Colour.YELLOW, False)),
    (
        "last day due: midnight is the lapse",
        Colour.GREEN,
        (1, 2, 3, 4),
        (5, 10),
        (6, Colour.YELLOW, False),
    ),
    ("red is not made milder by a miss", Colour.RED, (1,), (2, 10), (6, Colour.YELLOW, False)),
    ("yellow stays yellow", Colour.YELLOW, (1,), (2, 10), None),
    ("already yellow for a miss", Colour.GREEN, (1,), (3, 10), None),
]


@pytest.mark.parametrize(
    ("signed", "reported", "evaluated", "change"),
    [c[1:] for c in FORECAST],
    ids=[c[0] for c in FORECAST],
)
def test_the_forecast_names_the_earliest_change_if_nothing_new_is_learnt(
    signed: Colour,
    reported: tuple[int, ...],
    evaluated: tuple[int, int],
    change: tuple[int, Colour, bool] | None,
) -> None:
    """A change that a report would prevent says so: the pass turned "yellow from
    02-26" for certain, though a report today keeps it green."""
    app = apply()
    reports = [report(at(n, 8)) for n in reported]
    state = evaluate(
        POLICY, facts(app, *reports, signatures=[signature(app, at(0, 15), signed)]), at(*evaluated)
    )
    if change is None:
        assert state.next_change is None
        return
    assert state.next_change is not None
    when, colour, if_missed = change
    assert (state.next_change.at, state.next_change.colour) == (start_of(day(when)), colour)
    assert state.next_change.if_report_missed is if_missed
    assert not state.next_change.needs_reports  # it happens unless a report comes in
    recheck = recheck_at(state)
    assert recheck is not None
    assert recheck <= state.next_change.at  # the rollover looks by then


def test_fraud_is_red() -> None:
    app = apply()
    f = facts(app, credit_records=[credit(at(0, 11))])
    assert evaluate(POLICY, f, at(0, 12)).suggested is Colour.RED


def test_a_signed_day_boundary_is_a_shanghai_day() -> None:
    # Signed at 23:30 Shanghai time (15:30 UTC) still counts as that Shanghai day.
    app = apply()
    f = facts(app, signatures=[signature(app, at(0, 23, 30))])
    assert evaluate(POLICY, f, at(0, 23, 45)).valid_until == start_of(day(0) + timedelta(days=6))


COVERED = {rid for *_, ids in ELIGIBILITY + DATA_CHECK + DATA_NEEDS_CHECKING for rid in ids} | {
    "SD-DATA-HIGH-RISK-REGION",
    "SD-PENDING",
    "SD-SIGNED",
    "SD-EXPIRED",
    "SD-MISSED-REPORT",
    "SD-FRAUD",
}


def test_every_rule_of_the_policy_has_a_case() -> None:
    assert {r.id for r in POLICY.rules} == COVERED
