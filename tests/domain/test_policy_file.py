"""Policy files are data: a bad edit is refused with every problem named."""

from __future__ import annotations

import copy
from importlib import resources
from typing import Any

import pytest
import yaml

from healthcode.domain.colour import Colour
from healthcode.domain.engine import evaluate
from healthcode.domain.policy import PolicyError, parse_policy
from healthcode.policies import BUILTIN, builtin_policy, parse_policy_text
from tests.factories.facts import at, day, declaration, facts, trip


def raw(name: str = "binzhou-code") -> dict[str, Any]:
    text = resources.files("healthcode.policies").joinpath(f"{name}.yaml").read_text("utf-8")
    data: dict[str, Any] = yaml.safe_load(text)
    return data


@pytest.mark.parametrize("name", BUILTIN)
def test_builtin_policies_parse(name: str) -> None:
    policy = builtin_policy(name)
    assert policy.ref.startswith(f"{name}@")
    assert all(r.reason["zh"] and r.reason["en"] and r.basis for r in policy.rules)


def problems_of(data: dict[str, Any]) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse_policy(data)
    return caught.value.problems


def edited(path: str, value: object, name: str = "binzhou-code") -> dict[str, Any]:
    data = copy.deepcopy(raw(name))
    *parents, last = path.split(".")
    node: Any = data
    for key in parents:
        node = node[int(key)] if isinstance(node, list) else node[key]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
    return data


BAD_EDITS = [
    ("a forbidden operation", "rules.0.when", {"log": "x"}, "operation 'log' is not allowed"),
    (
        "an unknown parameter",
        "rules.0.when",
        {"param": "fever_line"},
        "unknown parameter 'fever_line'",
    ),
    ("a colour that is not one", "rules.0.colour", "purple", "'purple' is not one of"),
    ("green as a rule colour", "rules.0.colour", "green", "can only raise the colour"),
    ("a missing English reason", "rules.0.reason", {"zh": "确诊"}, "needs non-empty 'zh' and 'en'"),
    (
        "an English reason cut at its comma by YAML",
        "rules.0.reason",
        {"zh": "确诊", "en": "You had a fever", "a cough or fatigue.": None},
        "only 'zh' and 'en' (quote a text holding a comma): a cough or fatigue.",
    ),
    (
        "a lapse on a field the source lacks",
        "rules.0.lapses",
        {"days": 14, "after": "released"},
        "'released' is not a date field of exposures",
    ),
    ("negative days", "rules.0.lapses", {"normal_days": -1}, "days must be a whole number"),
    ("a source that does not exist", "rules.0.source", "rumours", "'rumours' is not one of"),
    ("an unknown form field", "form.requires", ["blood_type"], "unknown field 'blood_type'"),
    ("an unknown symptom", "form.symptoms", ["sneezing"], "'sneezing' is not one of"),
    ("a missing version", "version", None, "version: required text"),
]


@pytest.mark.parametrize(
    ("path", "value", "expected"), [c[1:] for c in BAD_EDITS], ids=[c[0] for c in BAD_EDITS]
)
def test_bad_edit_is_named(path: str, value: object, expected: str) -> None:
    assert any(expected in p for p in problems_of(edited(path, value))), problems_of(
        edited(path, value)
    )


def test_all_problems_are_reported_at_once() -> None:
    data = edited("rules.0.colour", "purple")
    data["rules"][1]["when"] = {"eval": "rm -rf /"}
    data["rules"][2]["id"] = data["rules"][3]["id"]
    assert len(problems_of(data)) >= 3


def test_a_pass_policy_needs_every_mechanism() -> None:
    data = raw("shandong-pass")
    data["rules"] = [r for r in data["rules"] if r.get("mechanism") != "expired"]
    assert any("missing ['expired']" in p for p in problems_of(data))


def test_a_top_level_that_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(ValueError, match="mapping"):
        parse_policy_text("- just\n- a list\n")


def test_a_threshold_change_is_data_only() -> None:
    stricter = parse_policy(edited("params.fever_threshold_c", 37.5))
    f = facts(declaration(at(0), temperature=37.4))
    assert evaluate(builtin_policy("binzhou-code"), f, at(0, 12)).colour is Colour.YELLOW
    assert evaluate(stricter, f, at(0, 12)).colour is Colour.GREEN


def test_a_new_key_region_is_data_only() -> None:
    wider = parse_policy(edited("params.key_regions", ["42", "3301"]))  # + Hangzhou
    f = facts(declaration(at(0), trips=[trip("330106", day(-3))]))
    assert evaluate(wider, f, at(0, 12)).rule_ids == (
        "BZ-RED-KEY-REGION",
        "BZ-YELLOW-OUT-OF-PROVINCE",
    )


@pytest.mark.parametrize(
    ("name", "authority"),
    [("binzhou-code", "滨州市新冠肺炎疫情处置工作领导小组（指挥部）"),
     ("shandong-pass", "山东省新冠肺炎疫情处置工作领导小组（指挥部）")],
)  # fmt: skip
def test_each_policy_names_its_issuing_authority(name: str, authority: str) -> None:
    assert builtin_policy(name).authority["zh"] == authority
    data = raw(name)
    del data["authority"]
    assert any(p.startswith("authority: needs") for p in problems_of(data))


def test_the_pass_names_its_colours_as_the_annex_does() -> None:
    labels = builtin_policy("shandong-pass").labels
    assert {c: text["zh"] for c, text in labels.items()} == {
        Colour.GREEN: "绿色健康通行卡（通行）",
        Colour.YELLOW: "黄色健康通行卡（待行）",
        Colour.RED: "红色健康通行卡（禁行）",
    }
    assert builtin_policy("binzhou-code").labels == {}
    bad = edited(
        "labels", {"purple": {"zh": "紫", "en": "Purple"}, "red": {"zh": "红"}}, "shandong-pass"
    )
    found = problems_of(bad)
    assert any("'purple' is not one of" in p for p in found), found
    assert any(p.startswith("labels.red: needs") for p in found), found
