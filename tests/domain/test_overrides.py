"""A manual override paints the code until its stated end or until the rules' own view
changes (``domain/overrides.py``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime

import pytest

from healthcode.domain.colour import Colour
from healthcode.domain.engine import evaluate
from healthcode.domain.facts import ExposureKind, Facts, Observation, Override, Signature
from healthcode.domain.state import recheck_at
from healthcode.policies import builtin_policy
from tests.factories.facts import at, daily_reports, declaration, exposure, report, signature

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


PASS = builtin_policy("shandong-pass")
SINCE = date(2019, 12, 1)


def _painted(*signatures: Signature, later: Observation | None = None) -> Facts:
    """A pass signed red on day 0, painted yellow by two officers at noon on day 1, and
    (``later``) applied for again since."""
    first = declaration(at(0, 9), residence_since=SINCE)
    return Facts(
        observations=(first, *daily_reports(1, 3), *((later,) if later else ())),
        signatures=(signature(first, at(0, 15), Colour.RED), *signatures),
        overrides=(Override("o-2", at(1, 12), Colour.YELLOW, "复核后改为黄码，待补充材料"),),
    )


class TestANewSignatureEndsIt:
    """Until stop 43 the view compared only the colour and the rule ids, which a new
    signature in the same colour repeats (SD-SIGNED): the override painted the new pass."""

    def test_a_new_application_signed_in_the_same_colour(self) -> None:
        again = declaration(at(2, 9), residence_since=SINCE)
        waiting = evaluate(PASS, _painted(later=again), at(2, 10))
        assert (waiting.colour, waiting.under_review) == (Colour.YELLOW, again.id)
        signed = _painted(signature(again, at(2, 11), Colour.RED), later=again)
        state = evaluate(PASS, signed, at(2, 12))
        assert (state.colour, state.application_id) == (Colour.RED, again.id)
        assert "manual_override" not in state.rule_ids

    def test_a_green_signature_of_a_new_application(self) -> None:
        first, again = declaration(at(0, 9)), declaration(at(2, 9))
        f = Facts(
            observations=(first, *daily_reports(1, 3), again),
            signatures=(signature(first, at(0, 15)), signature(again, at(2, 11))),
            overrides=(Override("o-3", at(1, 12), Colour.YELLOW, "核实中，暂定黄码待查"),),
        )
        assert evaluate(PASS, f, at(2, 10)).colour is Colour.YELLOW
        assert evaluate(PASS, f, at(2, 12)).colour is Colour.GREEN


def test_a_painted_pending_pass_still_waits_for_its_signature() -> None:
    """The application stays in the queue (``awaiting_signature``), and the signature
    ends the override: it left the queue and could not be signed."""
    application = declaration(at(0, 9), residence_since=SINCE)
    painted = Facts(
        observations=(application,),
        overrides=(Override("o-4", at(0, 12), Colour.GREEN, "视频核实体温正常，误填", at(5, 0)),),
    )
    state = evaluate(PASS, painted, at(0, 13))
    assert (state.colour, state.awaiting_signature) == (Colour.GREEN, application.id)
    assert state.suggested is Colour.GREEN
    signed = replace(painted, signatures=(signature(application, at(0, 14), Colour.YELLOW),))
    after = evaluate(PASS, signed, at(0, 15))
    assert (after.colour, after.awaiting_signature) == (Colour.YELLOW, None)
