"""Which residents a policy change can reach (``policy_reach``), and that the others'
states are what the new version gives them."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import event, example, given, settings
from hypothesis import strategies as st

from healthcode.domain.engine import evaluate, holds_anywhere
from healthcode.domain.facts import Facts, RecordKind
from healthcode.domain.policy import Policy, Source
from healthcode.domain.policy_content import canonical, canonical_text
from healthcode.domain.policy_reach import Reach, reach
from healthcode.policies import builtin_policy
from tests.domain.test_engine_properties import declarations, report_days
from tests.factories.facts import at, credit, day, declaration, exposure, high_risk, record
from tests.factories.policies import GREEN_REWORDED, RULE_EDITS, edited_policy

BINZHOU = builtin_policy("binzhou-code")
OLDER = "2020-02-01.9"


def reach_from(edit: Callable[[dict[str, Any]], None], policy: Policy = BINZHOU) -> Reach | None:
    """What ``policy`` reaches after an older version that was ``edit`` of it."""
    return reach(canonical_text(edited_policy(edit, OLDER, policy.id)), policy)


@pytest.mark.parametrize("name", sorted(RULE_EDITS))
def test_a_change_of_rules_on_items_reaches_those_items(name: str) -> None:
    edit, sources = RULE_EDITS[name]
    found = reach_from(edit)
    assert found is not None
    assert found.sources == {Source(s) for s in sources}


def test_another_model_reaches_everyone() -> None:
    older = json.loads(canonical_text(BINZHOU))
    older.update(model="pass", version=OLDER)
    assert reach(canonical(older), BINZHOU) is None


def test_new_words_of_the_green_next_step_reach_no_one_and_are_written() -> None:
    found = reach_from(RULE_EDITS[GREEN_REWORDED][0])
    assert found == Reach((), dict(BINZHOU.green_next_step))
    rule_only = reach_from(RULE_EDITS["fever from 37.5"][0])
    assert rule_only is not None
    assert rule_only.green_next_step is None


def test_a_pass_validity_the_engine_reads_itself_reaches_everyone() -> None:
    pass_ = builtin_policy("shandong-pass")

    def longer(data: dict[str, Any]) -> None:
        data["params"]["pass_validity_days"] += 1

    assert reach_from(longer, pass_) is None


def test_a_version_that_means_the_same_reaches_no_one() -> None:
    assert reach(canonical_text(dataclasses.replace(BINZHOU, version=OLDER)), BINZHOU) == Reach(())


def test_a_changed_rule_reaches_residents_with_an_item_it_holds_on_in_either_form() -> None:
    found = reach_from(RULE_EDITS["quarantine rule for close contacts too"][0])
    assert found is not None

    def reached(*kinds: RecordKind) -> bool:
        facts = Facts(records=tuple(record(k, at(-1)) for k in kinds))
        return holds_anywhere(facts, found.conditions, {})

    assert reached(RecordKind.QUARANTINE)  # both forms
    assert reached(RecordKind.TRAVEL, RecordKind.CLOSE_CONTACT)  # the old form only
    assert not reached(RecordKind.TRAVEL, RecordKind.FEVER_CLINIC)
    assert not reached()


def test_rules_swapped_reach_residents_with_an_item_one_of_them_holds_on() -> None:
    """Confirmed and suspected swapped: a resident who declared both is told them in
    the other order under the new version, and is reached; one who declared only a
    close contact (a rule that kept its place) is not."""
    older = edited_policy(RULE_EDITS["first two rules swapped"][0], OLDER)
    found = reach(canonical_text(older), BINZHOU)
    assert found is not None

    def declared(*kinds: str) -> Facts:
        return Facts(observations=(declaration(at(-1), exposures=[exposure(k) for k in kinds]),))

    both = declared("confirmed", "suspected")
    assert holds_anywhere(both, found.conditions, {})
    before, after = evaluate(older, both, at(0)), evaluate(BINZHOU, both, at(0))
    assert before.rule_ids == tuple(reversed(after.rule_ids))
    assert not holds_anywhere(declared("close_contact"), found.conditions, {})


def test_a_region_is_taken_as_high_risk_and_not_whatever_is_listed_now() -> None:
    """Whether a region was high-risk depends on what was listed at the instant the
    engine looks; the screen answers for every instant."""
    risky = {"==": [{"var": "high_risk"}, True]}
    stays = Facts(records=(record("travel", at(-2), end=day(-3), region="110101"),))
    for listed in ((), (high_risk("11", day(-5), received=at(-4)),)):
        facts = dataclasses.replace(stays, high_risk_periods=listed)
        conditions = reach_from(_rule_when("BZ-RED-RECORD-HIGH-RISK-REGION", risky))
        assert conditions is not None
        assert holds_anywhere(facts, conditions.conditions, {})
    everything = reach_from(_rule_when("BZ-RED-RECORD-HIGH-RISK-REGION", {"!": risky}))
    assert everything is not None
    assert holds_anywhere(stays, everything.conditions, {})


def test_a_credit_record_revoked_since_still_counts() -> None:
    found = reach_from(RULE_EDITS["fraud turns yellow"][0])
    assert found is not None
    revoked = Facts(credit_records=(credit(at(-3), revoked=at(-1)),))
    assert holds_anywhere(revoked, found.conditions, {})


def _rule_when(rule_id: str, when: Any) -> Callable[[dict[str, Any]], None]:
    def edit(data: dict[str, Any]) -> None:
        next(r for r in data["rules"] if r["id"] == rule_id)["when"] = when

    return edit


kinds = st.sampled_from(list(RecordKind))
records = st.lists(
    st.builds(
        lambda kind, received, start, end, region: record(
            kind, at(received), start=day(start), end=day(end), region=region
        ),
        kinds,
        st.integers(-20, 10),
        st.integers(-25, 0),
        st.integers(-10, 10),
        st.sampled_from([None, "420102", "110101", "371602"]),
    ),
    max_size=2,
)


@settings(max_examples=60, deadline=None)
@given(
    st.sampled_from(sorted(RULE_EDITS)),
    declarations(),
    report_days(),
    records,
    st.lists(st.integers(-10, 10).map(lambda n: credit(at(n))), max_size=1),
    st.integers(0, 30),
    st.integers(0, 23),
)
@example(GREEN_REWORDED, declaration(at(-1)), [], [], [], 0, 10)  # green: new words
def test_a_resident_it_does_not_reach_has_the_same_state_under_both_versions(
    name: str, decl: Any, reports: Any, recs: Any, credits: Any, days: int, hour: int
) -> None:
    """Under the older version and the new one, at any instant, a resident none of
    whose items a changed rule holds on has the same state, its version's name aside."""
    older = edited_policy(RULE_EDITS[name][0], OLDER)
    found = reach(canonical_text(older), BINZHOU)
    assert found is not None
    facts = Facts(
        observations=(decl, *reports),
        records=tuple(recs),
        credit_records=tuple(credits),
        high_risk_periods=(high_risk("4201", day(-30), received=at(-40)),),
    )
    now = at(days, hour)
    reached = holds_anywhere(facts, found.conditions, {})
    event(f"{name}: {'reached' if reached else 'renamed'}")
    if not reached:
        before = dataclasses.replace(evaluate(older, facts, now), policy=BINZHOU.ref)
        if found.green_next_step is not None and not before.reasons and before.next_step:
            before = dataclasses.replace(before, next_step=found.green_next_step)  # the rename's
            event("green next step rewritten")
        assert before == evaluate(BINZHOU, facts, now)


@pytest.mark.parametrize(
    ("name", "kinds"),
    [
        ("close contacts red until released", {"close_contact"}),
        ("quarantine rule for close contacts too", {"quarantine", "close_contact"}),
        ("fever clinic rule removed", {"fever_clinic"}),
        ("Beijing a key region", {"travel"}),  # kind == travel, and a region
        ("a record rule added", None),  # kind != fever_medicine: any kind
        ("fever clinic rule moved first", {"fever_clinic"}),
    ],
)
def test_the_screen_reads_residents_with_records_of_the_kinds_the_rules_name(
    name: str, kinds: set[str] | None
) -> None:
    found = reach_from(RULE_EDITS[name][0])
    assert found is not None
    assert found.record_kinds == (None if kinds is None else frozenset(kinds))
