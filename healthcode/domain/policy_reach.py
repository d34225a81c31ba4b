"""Which codes a new policy version can change (docs/policies.md, "Versions").

A policy change used to evaluate every code of an older version again. Most of a
real change is one rule's: the health commission's close contacts observed longer, a
region added to the key regions. A rule changes a state only through the items it
holds on (``engine._Run.matches``): a rule that holds on none of a resident's items,
in its old form and in its new one, leaves the resident's state what it was, the
version's name aside. So a change confined to rules on items (not the pass's life
cycle, not the model, not a parameter the engine reads itself) reaches only the
residents some of whose items one of the changed rules holds on; the others' codes
are renamed. The order of the rules matters only among
those that hold for a resident (the first gives the next step), so a rule moved
among the others counts as changed. The green next step is the one state field
read from the policy rather than a rule: the next step of a health code no rule holds
for, so new words of it are written into the renamed states that show it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Any

from healthcode.domain import logic
from healthcode.domain.policy import READ_BY_ENGINE, Policy, Source
from healthcode.domain.policy_content import canonical_text


@dataclass(frozen=True)
class Condition:
    """A changed rule's condition, in one of the two versions, with that version's
    parameters bound (``logic.operations``)."""

    source: Source
    when: Any
    ops: logic.Operations


@dataclass(frozen=True)
class Reach:
    """The conditions of every rule the new version added, removed or changed, in
    both forms: a resident none of whose items any of them holds on gets the same
    states under both versions (``engine.holds_anywhere`` asks)."""

    conditions: tuple[Condition, ...]
    # the version in force's green next step, when it differs from the older one's:
    # a renamed state with no reason (a health code no rule holds for) takes it
    green_next_step: Mapping[str, str] | None = None

    @property
    def sources(self) -> frozenset[Source]:
        return frozenset(c.source for c in self.conditions)

    @property
    def record_kinds(self) -> frozenset[str] | None:
        """The kinds of department record the changed rules on records can hold on,
        when each of their conditions names its kinds (``kind`` equal to one, or in a
        list, as the whole condition or a part of an ``and``); None: any kind. Lets
        the screen read only the residents with such a record."""
        found: set[str] = set()
        for condition in self.conditions:
            if condition.source is Source.RECORDS:
                kinds = _kinds(condition.when)
                if kinds is None:
                    return None
                found |= kinds
        return frozenset(found)


def reach(recorded: str, policy: Policy) -> Reach | None:
    """What ``policy`` changed against an older version's recorded canonical text, or
    None when the change is not confined to rules on items (every code of that
    version is evaluated again)."""
    older, now = json.loads(recorded), json.loads(canonical_text(policy))
    green = now.pop("green_next_step", None)
    reworded = older.pop("green_next_step", None) != green
    old_rules, new_rules = older.pop("rules", []), now.pop("rules", [])
    old_params, new_params = older.pop("params", {}), now.pop("params", {})
    older.pop("version", None)
    now.pop("version", None)
    if older != now:
        return None  # the model
    params = {
        k for k in old_params.keys() | new_params.keys() if old_params.get(k) != new_params.get(k)
    }
    if params & READ_BY_ENGINE:
        return None
    # A parameter a lapse reads is in its rules already (resolved when parsed); one a
    # condition names changes the rules that name it (below); no state reads the rest
    # (the checkpoint's fever line is read at each scan).
    before = {r["id"]: r for r in old_rules}
    after = {r["id"]: r for r in new_rules}
    changed = {
        rid
        for rid in before.keys() | after.keys()
        if before.get(rid) != after.get(rid)
        or _names(before.get(rid, {}).get("when"), params)
        or _names(after.get(rid, {}).get("when"), params)
    }
    kept = (
        [rid for rid in before if rid not in changed],
        [rid for rid in after if rid not in changed],
    )
    moved = _moved(*kept)  # the same in both forms: its new one is screened
    olds = [before[rid] for rid in sorted(changed) if rid in before]
    news = [r for r in policy.rules if r.id in changed or r.id in moved]
    if any(r.get("source") is None or r.get("mechanism") is not None for r in olds):
        return None
    if any(r.source is None or r.mechanism is not None for r in news):
        return None
    if any(logic.check(r.get("when"), params=old_params, path=r["id"]) for r in olds):
        return None  # recorded in a form the engine cannot evaluate again
    old_ops = logic.operations(old_params)
    return Reach(
        (
            *(Condition(Source(r["source"]), r.get("when", True), old_ops) for r in olds),
            *(Condition(r.source, r.when, policy.ops) for r in news if r.source is not None),
        ),
        dict(policy.green_next_step) if reworded else None,
    )


def _moved(before: list[str], after: list[str]) -> set[str]:
    """The kept rules (the same ids in both, in each version's order) outside a
    common subsequence of the two orders: the rest keep their order among
    themselves, so a resident only they hold for sees their reasons in the same
    order. Any common subsequence will do; a longer one moves fewer rules."""
    blocks = SequenceMatcher(None, before, after, autojunk=False).get_matching_blocks()
    return set(before) - {rid for b in blocks for rid in before[b.a : b.a + b.size]}


def _kinds(when: Any) -> frozenset[str] | None:
    if not isinstance(when, Mapping) or len(when) != 1:
        return None
    [(op, args)] = when.items()
    if op == "and" and isinstance(args, list):
        named = [k for k in map(_kinds, args) if k is not None]
        return frozenset.intersection(*named) if named else None
    if not isinstance(args, list) or len(args) != 2 or {"var": "kind"} not in args:
        return None
    other = args[1] if args[0] == {"var": "kind"} else args[0]
    if op in ("==", "===") and isinstance(other, str):
        return frozenset({other})
    texts = isinstance(other, list) and all(isinstance(k, str) for k in other)
    if op == "in" and args[0] == {"var": "kind"} and texts:
        return frozenset(other)
    return None


def _names(condition: Any, params: set[str]) -> bool:
    found: set[str] = set()
    _collect(condition, found)
    return bool(found & params)


def _collect(node: Any, found: set[str]) -> None:
    if isinstance(node, list):
        for item in node:
            _collect(item, found)
    elif isinstance(node, Mapping):
        for op, args in node.items():
            if op == "param" and isinstance(args, str):
                found.add(args)
            else:
                _collect(args, found)
