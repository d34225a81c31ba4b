"""A built-in policy file as an administrator edits it in place: the text with one
passage replaced, read by every process started afterwards (``Policies.builtin``,
the one place policies are loaded)."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

import pytest
import yaml

from healthcode.domain.policy import Policy, parse_policy
from healthcode.policies import builtin_policy, parse_policy_text

# An edit of words every state of a feverish Binzhou resident shows (rule BZ-YELLOW-FEVER)
REWORDED = (
    "en: You reported a fever (37.3 ℃ or above).}",
    "en: You reported a fever of 37.3 ℃ or more.}",
)
OLD_WORDS, NEW_WORDS = (
    "You reported a fever (37.3 ℃ or above).",
    "You reported a fever of 37.3 ℃ or more.",
)


def policy_text(name: str) -> str:
    return resources.files("healthcode.policies").joinpath(f"{name}.yaml").read_text("utf-8")


def edited_text(name: str, *edits: tuple[str, str]) -> str:
    text = policy_text(name)
    for old, new in edits:
        assert text.count(old) == 1, f"{old!r} is not in {name}.yaml exactly once"
        text = text.replace(old, new)
    return text


def edit_policy(monkeypatch: pytest.MonkeyPatch, name: str, *edits: tuple[str, str]) -> Policy:
    """From now on, processes load `name` as its file with `edits` (old, new) made."""
    policy = parse_policy_text(edited_text(name, *edits))
    monkeypatch.setattr(
        "healthcode.services.shared.policies.builtin_policy",
        lambda wanted: policy if wanted == name else builtin_policy(wanted),
    )
    return policy


def bumped(name: str) -> tuple[str, str]:
    """The edit that moves `name`'s version on: ``2020-02-23.1`` → ``2020-02-23.2``."""
    version = builtin_policy(name).version
    stem, _, number = version.rpartition(".")
    return f'version: "{version}"', f'version: "{stem}.{int(number) + 1}"'


def rule_in(data: dict[str, Any], rule_id: str) -> dict[str, Any]:
    """The rule `rule_id` of a policy file's data, to edit in place."""
    found: dict[str, Any] = next(r for r in data["rules"] if r["id"] == rule_id)
    return found


def _set(rule_id: str, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: rule_in(data, rule_id).__setitem__(key, value)


def _remove(rule_id: str) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["rules"].remove(rule_in(data, rule_id))


def _param(name: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda data: data["params"].__setitem__(name, value)


def _first(rule_id: str) -> Callable[[dict[str, Any]], None]:
    def move(data: dict[str, Any]) -> None:
        rule = rule_in(data, rule_id)
        data["rules"].remove(rule)
        data["rules"].insert(0, rule)

    return move


def _added(data: dict[str, Any]) -> None:
    copy = {**rule_in(data, "BZ-YELLOW-RECORD-FEVER-CLINIC"), "id": "BZ-YELLOW-RECORD-ANY"}
    data["rules"].append({**copy, "when": {"!=": [{"var": "kind"}, "fever_medicine"]}})


GREEN_REWORDED = "green next step reworded"
# Edits of binzhou-code an author might make that change only rules on items: each
# with the sources of the items the changed rules are evaluated on.
RULE_EDITS: dict[str, tuple[Callable[[dict[str, Any]], None], frozenset[str]]] = {
    "close contacts red until released": (
        _set("BZ-RED-RECORD-CONTACT", "lapses", [{"at": "end"}]),
        frozenset({"records"}),
    ),
    "quarantine rule for close contacts too": (
        _set(
            "BZ-RED-RECORD-QUARANTINE",
            "when",
            {"in": [{"var": "kind"}, ["quarantine", "close_contact"]]},
        ),
        frozenset({"records"}),
    ),
    "fever clinic rule removed": (_remove("BZ-YELLOW-RECORD-FEVER-CLINIC"), frozenset({"records"})),
    "a record rule added": (_added, frozenset({"records"})),
    "fraud turns yellow": (_set("BZ-RED-FRAUD", "colour", "yellow"), frozenset({"credit_records"})),
    "Beijing a key region": (_param("key_regions", ["42", "11"]), frozenset({"trips", "records"})),
    "fever from 37.5": (_param("fever_threshold_c", 37.5), frozenset({"observations"})),
    "streaks of 7 days": (  # every rule whose lapse counts normal days
        _param("green_streak_days", 7),
        frozenset({"observations", "trips", "exposures", "records"}),
    ),
    "first two rules swapped": (  # confirmed and suspected: one of them moved
        lambda data: data.__setitem__(
            "rules", [data["rules"][1], data["rules"][0], *data["rules"][2:]]
        ),
        frozenset({"exposures"}),
    ),
    "fever clinic rule moved first": (
        _first("BZ-YELLOW-RECORD-FEVER-CLINIC"),
        frozenset({"records"}),
    ),
    GREEN_REWORDED: (  # no rule: every code renamed, with the new words where shown
        lambda data: data.__setitem__("green_next_step", {"zh": "绿码。", "en": "Green."}),
        frozenset(),
    ),
}


def edited_policy(
    edit: Callable[[dict[str, Any]], None], version: str, name: str = "binzhou-code"
) -> Policy:
    """The built-in policy with `edit` made to its file's data, as `version`."""
    data = yaml.safe_load(policy_text(name))
    edit(data)
    data["version"] = version
    return parse_policy(data)
