"""A manual override paints the code until its stated end or until the rules' own view
changes (``domain/overrides.py``)."""

from __future__ import annotations

from datetime import datetime

import pytest

from healthcode.domain.colour import Colour
from healthcode.domain.engine import evaluate
from healthcode.domain.facts import ExposureKind, Facts, Observation, Override
from healthcode.domain.state import recheck_at
from healthcode.policies import builtin_policy
from tests.factories.facts import at, declaration, exposure, report

POLICY = builtin_policy("binzhou-code")
FEVER = declaration(at(0, 9), temperature=38.0)


def with_override(*observations: Observation, ends_at: datetime | None = None) -> Facts:
    return Facts(
        observations=observations,
        overrides=(Override("o-1", at(0, 12), Colour.GREEN, "体温计故障，复测36.5℃", ends_at),),
    )


def test_before_its_approval_the_rules_decide() -> None:
    assert evaluate(POLICY, with_override(FEVER), at(0, 11)).colour is Colour.YELLOW


def test_it_paints_the_code_and_says_why() -> None:
    state = evaluate(POLICY, with_override(FEVER), at(0, 13))
    assert state.colour is Colour.GREEN
    top = state.reasons[0]
    assert (top.rule_id, top.detail) == ("manual_override", "体温计故障，复测36.5℃")
    assert "BZ-YELLOW-FEVER" in state.rule_ids  # the rules' view stays visible


def test_a_normal_report_keeps_it() -> None:
    facts = with_override(FEVER, report(at(1, 8), temperature=36.4))
    assert evaluate(POLICY, facts, at(1, 9)).colour is Colour.GREEN


@pytest.mark.parametrize(
    "news",
    [
        report(at(1, 8), exposures=[exposure(ExposureKind.CLOSE_CONTACT)]),
        report(at(1, 8), symptoms=["shortness_of_breath"]),
    ],
    ids=["a red finding", "another yellow finding"],
)
def test_a_change_the_rules_weigh_ends_it(news: Observation) -> None:
    state = evaluate(POLICY, with_override(FEVER, news), at(1, 9))
    assert state.colour is not Colour.GREEN
    assert "manual_override" not in state.rule_ids


def test_its_stated_end_ends_it_and_is_when_to_look_again() -> None:
    facts = with_override(FEVER, ends_at=at(2, 0))
    during = evaluate(POLICY, facts, at(1, 9))
    assert during.colour is Colour.GREEN
    again = recheck_at(during)
    assert again is not None
    assert again <= at(2, 0)
    assert evaluate(POLICY, facts, at(2, 0)).colour is Colour.YELLOW
