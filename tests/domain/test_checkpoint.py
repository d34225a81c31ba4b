"""What a checkpoint does with a code, table-driven over the policy data: the decision,
the policy's words, gate mode, the fever line, and the anti-fraud flags."""

from __future__ import annotations

import copy
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from healthcode.domain.checkpoint import (
    Decision,
    FlagRule,
    Place,
    Sighting,
    decide,
    decide_colour,
    decide_foreign,
    distance_km,
    fraud_flags,
    is_fever,
    on_screen_code,
)
from healthcode.domain.colour import Colour
from healthcode.domain.policy import Policy, PolicyError, parse_policy
from healthcode.domain.tokens import Purpose, Refusal, Verification
from healthcode.domain.tokens.federation import region_from_json
from healthcode.domain.tokens.foreign import ForeignVerification, plain_claims
from healthcode.policies import builtin_policy
from tests.domain.test_policy_file import raw
from tests.domain.tokens import foreign_factory as ff
from tests.domain.tokens.factory import claims

BINZHOU = builtin_policy("binzhou-code")
PASS = builtin_policy("shandong-pass")
NOW = datetime(2020, 2, 23, 1, 0, tzinfo=UTC)
RULE = FlagRule(window=timedelta(minutes=10), distance_km=30)


def code(colour: Colour, reason: Refusal | None = None) -> Verification:
    return Verification(reason, claims(Purpose.DISPLAY, colour=colour), b"k")


@pytest.mark.parametrize(
    ("colour", "gate_mode", "decision", "verdict", "words"),
    [
        (Colour.GREEN, False, Decision.RELEASE, None, "进行健康检查后，点击确认放行"),
        (Colour.GREEN, True, Decision.RELEASE, None, "进行健康检查后，点击确认放行"),
        (Colour.YELLOW, False, Decision.STOP, None, "居家或在单位隔离观察14天"),
        (Colour.RED, False, Decision.STOP, None, "集中隔离"),
        (Colour.YELLOW, True, Decision.REFUSED, "gate_mode", "居家或在单位隔离观察14天"),
        (Colour.RED, True, Decision.REFUSED, "gate_mode", "集中隔离"),
        (Colour.PENDING, False, Decision.STOP, None, "尚未生成"),
    ],
)
def test_the_decision_and_the_policys_words(
    colour: Colour, gate_mode: bool, decision: Decision, verdict: str | None, words: str
) -> None:
    outcome = decide(code(colour), BINZHOU, gate_mode=gate_mode)
    assert (outcome.decision, outcome.verdict) == (decision, verdict)
    assert outcome.action is not None
    assert words in outcome.action["zh"]
    assert decide_colour(colour, BINZHOU, gate_mode=gate_mode) == outcome


@pytest.mark.parametrize(
    ("colour", "words"),
    [  # seed 000 §二.3: red 禁行, yellow 待行; neither sends the holder into quarantine
        (Colour.RED, "不满足出行条件，请其向所在社区（村）或单位报告，必要时通报当地疫情防控部门"),
        (Colour.YELLOW, "信息进一步完善核实后通行（如测量体温）；通行卡已过期的，请其重新申报"),
    ],
)
def test_the_pass_policy_tells_the_operator_what_seed_000_says(colour: Colour, words: str) -> None:
    action = decide(code(colour), PASS, gate_mode=False).action
    assert action is not None
    assert words in action["zh"]
    assert "隔离" not in action["zh"]
    assert "quarantine" not in action["en"]


@pytest.mark.parametrize(
    ("policy", "headline", "action"),
    [  # seed 000 §二.4: 对出示"绿色健康通行卡"的出行人直接放行; the details only as needed
        (PASS, "放行", "直接放行。根据当地疫情防控需要，可查看其详细信息。"),
        # seed 003 §二.(一)四: 若为绿码……在进行健康检查后，点击确认放行
        (BINZHOU, "健康检查后放行", "进行健康检查后，点击确认放行。"),
    ],
)
def test_a_green_code_is_released_in_its_policys_words(
    policy: Policy, headline: str, action: str
) -> None:
    outcome = decide(code(Colour.GREEN), policy, gate_mode=False)
    assert outcome.decision is Decision.RELEASE
    assert outcome.headline is not None
    assert outcome.action is not None
    assert (outcome.headline["zh"], outcome.action["zh"]) == (headline, action)
    assert "测温" not in outcome.headline["zh"] + outcome.action["zh"]  # a reading is optional


@pytest.mark.parametrize("reason", [Refusal.EXPIRED, Refusal.REVOKED, Refusal.WRONG_PERSON])
def test_a_refused_code_is_refused_with_its_reason_whatever_its_colour(reason: Refusal) -> None:
    outcome = decide(code(Colour.GREEN, reason), BINZHOU, gate_mode=False)
    assert (outcome.decision, outcome.verdict, outcome.action) == (
        Decision.REFUSED,
        reason.value,
        None,
    )


def test_nobody_with_no_code_is_refused_as_such() -> None:
    outcome = decide_colour(Colour.NONE, BINZHOU, gate_mode=False)
    assert (outcome.decision, outcome.verdict) == (Decision.REFUSED, "no_code")


@pytest.mark.parametrize(
    ("temperature", "fever"), [(None, False), (36.5, False), (37.2, False), (37.3, True)]
)
def test_the_fever_line_is_the_policys(temperature: float | None, fever: bool) -> None:
    assert is_fever(temperature, BINZHOU) is fever


def test_a_policy_without_all_three_actions_is_refused_by_name() -> None:
    data = copy.deepcopy(raw())
    del data["checkpoint"]["actions"]["red"]
    data["checkpoint"]["fever"] = {"zh": "发热"}
    with pytest.raises(PolicyError) as caught:
        parse_policy(data)
    assert caught.value.problems == [
        "checkpoint.actions: needs the action for red",
        "checkpoint.fever: needs non-empty 'zh' and 'en' texts",
    ]


# --- flags --------------------------------------------------------------------------

HERE = Place(uuid.uuid4(), "东门卡口", "371602", 37.3835, 117.9708)
NEXT_DOOR = Place(uuid.uuid4(), "西门卡口", "371602", 37.3840, 117.9710)
JINAN = Place(uuid.uuid4(), "历下卡口", "370102", 36.6512, 117.1201)
NO_COORDS_SAME_COUNTY = Place(uuid.uuid4(), "菜市场", "371602")
NO_COORDS_OTHER_COUNTY = Place(uuid.uuid4(), "药店", "371621")


def seen(place: Place, minutes: float, *, token: bool = False, resident: bool = True) -> Sighting:
    return Sighting(place, NOW - timedelta(minutes=minutes), token, resident)


@pytest.mark.parametrize(
    ("sighting", "purpose", "expected"),
    [
        (seen(NEXT_DOOR, 1, token=True), Purpose.DISPLAY, ["same_token_elsewhere"]),
        (seen(NEXT_DOOR, 1, token=True), Purpose.PAPER, []),  # a paper pass travels
        (seen(NEXT_DOOR, 1), Purpose.DISPLAY, []),  # the same person next door
        (seen(JINAN, 5), Purpose.DISPLAY, ["distant_venues"]),
        (seen(JINAN, 5, token=True), Purpose.DISPLAY, ["same_token_elsewhere", "distant_venues"]),
        (seen(JINAN, 11), Purpose.DISPLAY, []),  # outside the window
        (seen(NO_COORDS_SAME_COUNTY, 2), Purpose.DISPLAY, []),
        (seen(NO_COORDS_OTHER_COUNTY, 2), Purpose.DISPLAY, ["distant_venues"]),
        # the same venue a moment ago: the code (or the person) handed back in the queue
        (seen(HERE, 1, token=True), Purpose.DISPLAY, ["same_token_here"]),
        (seen(HERE, 1), Purpose.DISPLAY, ["same_person_here"]),  # another code of theirs
        (seen(HERE, 1, token=True), Purpose.PAPER, ["same_person_here"]),
        (seen(HERE, 11, token=True), Purpose.DISPLAY, []),  # outside the window
        (seen(HERE, -1, token=True), Purpose.DISPLAY, []),  # uploaded later, scanned after
    ],
)
def test_flags(sighting: Sighting, purpose: Purpose, expected: list[str]) -> None:
    on_screen = purpose is Purpose.DISPLAY
    assert [f["code"] for f in fraud_flags(HERE, NOW, on_screen, [sighting], RULE)] == expected


def test_one_flag_for_this_venue_the_same_tokens_first_and_none_at_a_check_in() -> None:
    sightings = [seen(HERE, 1), seen(HERE, 3, token=True), seen(JINAN, 5)]
    flags = fraud_flags(HERE, NOW, True, sightings, RULE)
    assert [f["code"] for f in flags] == ["same_token_here", "distant_venues"]
    assert flags[0]["at"] == (NOW - timedelta(minutes=3)).isoformat()
    own = fraud_flags(HERE, NOW, True, sightings, RULE, here_too=False)
    assert [f["code"] for f in own] == ["distant_venues"]


def test_distances_are_great_circle_kilometres() -> None:
    km = distance_km(HERE, JINAN)
    assert km is not None
    assert 100 < km < 120
    assert distance_km(HERE, NO_COORDS_SAME_COUNTY) is None


# --- another region's code (docs/federation.md) -------------------------------------

HUBEI = region_from_json(ff.HUBEI)


@pytest.mark.parametrize(
    ("colour", "reason", "gate_mode", "decision", "verdict"),
    [
        (Colour.GREEN, None, False, Decision.RELEASE, None),
        (Colour.GREEN, None, True, Decision.RELEASE, None),
        (Colour.YELLOW, None, False, Decision.STOP, None),
        (Colour.RED, None, True, Decision.REFUSED, "gate_mode"),
        (None, None, False, Decision.STOP, None),  # genuine, its colour not read
        (None, None, True, Decision.REFUSED, "gate_mode"),
        (Colour.GREEN, Refusal.EXPIRED, False, Decision.REFUSED, "expired"),
        (None, Refusal.UNKNOWN_KEY, False, Decision.REFUSED, "unknown_key"),
    ],
)
def test_a_foreign_code_is_decided_by_the_colour_its_region_gives_with_generic_words(
    colour: Colour | None,
    reason: Refusal | None,
    gate_mode: bool,
    decision: Decision,
    verdict: str | None,
) -> None:
    result = ForeignVerification(HUBEI, reason, colour=colour)
    outcome = decide_foreign(result, gate_mode=gate_mode)
    assert (outcome.decision, outcome.verdict, outcome.action) == (decision, verdict, None)


@pytest.mark.parametrize(
    ("minutes", "on_screen"), [(1, True), (10, True), (11, False), (60 * 24, False)]
)
def test_a_foreign_code_as_short_lived_as_our_display_token_counts_as_on_screen(
    minutes: int, on_screen: bool
) -> None:
    sent = ff.foreign_claims(NOW, minutes=minutes)
    result = ForeignVerification(HUBEI, None, claims=sent, colour=Colour.GREEN)
    assert on_screen_code(result.lifetime_seconds) is on_screen
    assert on_screen_code(ForeignVerification(HUBEI, None, claims={}).lifetime_seconds) is False


def test_foreign_claims_are_kept_as_sent_with_text_keys_and_hex_bytes() -> None:
    sent = {**ff.foreign_claims(NOW), -70000: [b"\xab", 1.5, None]}
    plain = plain_claims(sent)
    assert plain["-260"] == {"1": {"c": 0, "n": "李*", "t": "健康码"}}
    assert (plain["7"], plain["-70000"]) == ("h'" + "01" * 16 + "'", ["h'ab'", 1.5, None])
