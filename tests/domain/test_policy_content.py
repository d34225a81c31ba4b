"""A policy version's fingerprint: what the states evaluated under it depend on, and
nothing a page reads afresh (docs/policies.md, Versions)."""

from __future__ import annotations

import dataclasses
import json

import pytest

from healthcode.domain.policy import DaysAfter, NormalDays, Rule, parse_policy
from healthcode.domain.policy_content import canonical_text, content, differences, fingerprint
from healthcode.policies import BUILTIN, builtin_policy, parse_policy_text
from tests.domain.test_policy_file import edited, raw
from tests.factories.policies import edited_text


def print_of(data: dict[str, object]) -> str:
    return fingerprint(canonical_text(parse_policy(data)))


SHIPPED = print_of(raw())

# edits a state shows: (path in the file, new value, the difference named)
FEVER = "rule BZ-YELLOW-FEVER"
IN_STATES = [
    ("rules.5.reason", {"zh": "您申报有发热。", "en": "A fever."}, f"{FEVER}: reason.en"),
    ("rules.5.next_step", {"zh": "请就诊。", "en": "See a doctor."}, f"{FEVER}: next_step.en"),
    ("rules.5.basis", "发热", f"{FEVER}: basis"),
    ("rules.5.colour", "red", f"{FEVER}: colour"),
    ("rules.5.lapses", {"normal_days": 7}, f"{FEVER}: lapses"),
    ("rules.5.when", {"in": ["fever", {"var": "symptoms"}]}, f"{FEVER}: when.or"),
    ("params.fever_threshold_c", 37.5, "params.fever_threshold_c"),
    ("green_next_step", {"zh": "绿码。", "en": "Green."}, "green_next_step.en"),
]

# edits read afresh wherever they are shown, never kept in a state
READ_AFRESH = [
    ("checkpoint.actions.green", {"zh": "放行。", "en": "Release."}),
    ("checkpoint.release", {"zh": "放行", "en": "Release"}),
    ("title", {"zh": "滨州码", "en": "Binzhou code"}),
    ("authority", {"zh": "滨州市", "en": "Binzhou"}),
    ("labels", {"green": {"zh": "绿", "en": "Green"}}),
    ("form.reports_per_day", 2),
    ("basis", "滨州"),
]


@pytest.mark.parametrize(("path", "value", "named"), IN_STATES, ids=[e[0] for e in IN_STATES])
def named(data: dict[str, object]) -> list[str]:
    """What ``differences`` names between the shipped file and `data`."""
    return differences(content(parse_policy(raw())), content(parse_policy(data)))


@pytest.mark.parametrize(("path", "value", "where"), IN_STATES, ids=[e[0] for e in IN_STATES])
def test_an_edit_a_state_shows_changes_the_fingerprint_and_is_named(
    path: str, value: object, where: str
) -> None:
    assert print_of(edited(path, value)) != SHIPPED
    assert where in named(edited(path, value))


@pytest.mark.parametrize(("path", "value"), READ_AFRESH, ids=[e[0] for e in READ_AFRESH])
def test_words_no_state_keeps_leave_the_fingerprint(path: str, value: object) -> None:
    assert print_of(edited(path, value)) == SHIPPED


def test_the_files_layout_comments_and_quoting_leave_the_fingerprint() -> None:
    relaid = edited_text(
        "binzhou-code",
        ("en: You reported shortness of breath.}", 'en: "You reported shortness of breath."}'),
        ("# ---- red: declared ---", "# red, as declared ---"),
    )
    assert fingerprint(canonical_text(parse_policy_text(relaid))) == SHIPPED


def test_rules_added_removed_and_reordered_are_named() -> None:
    rules = raw()["rules"]
    assert named(edited("rules", rules[1:])) == ["rule BZ-RED-CONFIRMED: removed"]
    assert named(edited("rules", [*rules, {**rules[0], "id": "BZ-NEW"}])) == ["rule BZ-NEW: added"]
    swapped = [rules[1], rules[0], *rules[2:]]
    assert named(edited("rules", swapped)) == ["rules: order"]  # the first rule found speaks


def test_every_field_of_a_rule_is_covered() -> None:
    """A field added to Rule later is fingerprinted without anyone remembering to."""
    for rule in content(builtin_policy("shandong-pass"))["rules"]:
        assert set(rule) == {"type", *(f.name for f in dataclasses.fields(Rule))}


def test_a_lapse_keeps_its_kind() -> None:
    """{normal_days: 14, after: end} and {days: 14, after: end} hold the same numbers."""
    policy = builtin_policy("binzhou-code")
    rule = policy.rules[0]
    streak = dataclasses.replace(rule, lapses=(NormalDays(14, "end"),))
    days = dataclasses.replace(rule, lapses=(DaysAfter(14, "end"),))
    texts = {canonical_text(dataclasses.replace(policy, rules=(r,))) for r in (streak, days)}
    assert len(texts) == 2


@pytest.mark.parametrize("name", BUILTIN)
def test_the_canonical_text_reads_back_as_the_content(name: str) -> None:
    policy = builtin_policy(name)
    assert json.loads(canonical_text(policy)) == content(policy)
    assert len(fingerprint(canonical_text(policy))) == 64


# Each policy version shipped here and the fingerprint of its text. A file edited
# without a new version fails below, in CI, before any server refuses it at start:
# give it a new version and add the line the failure prints. (The `.1` versions are
# not listed: they were shipped with several texts, stop 28 to stop 33.)
RELEASED = {
    "binzhou-code@2020-02-23.2": (
        "4f7dce16e9f2994d24fe963292a4de7c0c26444e7f390073e393531d40454d9a"
    ),
    "shandong-pass@2020-02-22.2": (
        "16d74bccbc3bc202b944b48acea85de0893f9d2a910d9901d6ff1e7eb7e88fe8"
    ),
}


@pytest.mark.parametrize("name", BUILTIN)
def test_each_shipped_file_is_the_text_its_version_was_released_with(name: str) -> None:
    policy = builtin_policy(name)
    now = fingerprint(canonical_text(policy))
    assert RELEASED.get(policy.ref) == now, (
        f"{policy.ref} is not the text released under that version: bump the version in "
        f"{name}.yaml (docs/policies.md, Versions) and add {policy.ref!r}: {now!r} to RELEASED"
    )
