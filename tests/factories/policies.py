"""A built-in policy file as an administrator edits it in place: the text with one
passage replaced, read by every process started afterwards (``Policies.builtin``,
the one place policies are loaded)."""

from __future__ import annotations

from importlib import resources

import pytest

from healthcode.domain.policy import Policy
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
