"""The states ahead a code keeps for the rollover (``recolour.steps_ahead``) stop before
a state that keeps the colour for other rules: the history names a later change's
causes from the rules of the state the code holds, which depend on whether the code
was looked at on that state's night (docs/batches.md, "States ahead")."""

from __future__ import annotations

from healthcode.domain.colour import Colour
from healthcode.domain.engine import evaluate
from healthcode.domain.facts import Facts
from healthcode.domain.timeline import ahead
from healthcode.policies import builtin_policy
from healthcode.services.codes.recolour import steps_ahead
from healthcode.store.state_json import micros
from tests.factories.facts import at, day, declaration, report, signature, trip

PASS = builtin_policy("shandong-pass")


def test_the_steps_stop_where_a_rule_lapses_and_another_keeps_the_colour() -> None:
    """A green pass turned red by a feverish report and a declared trip to Hubei
    (found by a search over random facts, as the rollover property test found it):
    the trip's exclusion lapses on 9 March while the symptom keeps the pass red."""
    application = declaration(at(0, 7), trips=[trip("420102", day(0))], residence_since=day(-30))
    facts = Facts(
        observations=(application, report(at(1, 8), temperature=37.6)),
        signatures=(signature(application, at(0, 7), Colour.GREEN),),
    )
    state = evaluate(PASS, facts, at(4, 0))
    both = ("SD-SYMPTOMS", "SD-EXCL-4-OUT-OF-PROVINCE")
    assert (state.colour, state.colour_rule_ids) == (Colour.RED, both)
    coming = ahead(PASS, facts, state)
    assert [s.colour_rule_ids for s in coming] == [both, both, ("SD-SYMPTOMS",)]
    steps = steps_ahead(PASS, facts, state, state.colour_rule_ids, None, None)
    assert [s.get("colour") for s in steps] == ["red", "red", None]  # not the third: other rules
    assert steps[-1] == {"end": micros(coming[2].evaluated_at)}  # where the engine must look
