"""What a policy version means to the codes evaluated under it, as one canonical text
and its fingerprint (docs/policies.md, "Versions").

A code stores the ``id@version`` it was evaluated under, and its state keeps the
words the resident was told; a policy change recolours the codes of older versions
only. So a policy whose rules or words change under the same version leaves those
codes as they were, for good. The fingerprint covers exactly what the engine reads
into a state — the model, the parameters, the green next step and every field of
every rule (a field added to ``Rule`` later is covered without a change here) — and
leaves out what is read afresh wherever it is shown and is never stored: the title,
the issuing authority, the colour labels, the form and the checkpoint's words.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping
from typing import Any

from healthcode.domain.policy import Policy

# Read from the policy in force each time they are shown; no state holds them.
READ_AFRESH = frozenset({"title", "authority", "basis", "labels", "form", "checkpoint", "ops"})


def content(policy: Policy) -> dict[str, Any]:
    """The policy as plain data, less what no state depends on."""
    return {
        f.name: _plain(getattr(policy, f.name))
        for f in dataclasses.fields(policy)
        if f.name not in READ_AFRESH
    }


def canonical_text(policy: Policy) -> str:
    """``content`` as JSON with sorted keys: equal policies give equal texts, whatever
    the YAML's layout, comments, quoting or anchors."""
    return canonical(content(policy))


def canonical(data: Mapping[str, Any]) -> str:
    """A content (``content``, or one read back from a record) as its canonical text."""
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1)


def same_meaning(recorded: str, policy: Policy) -> bool:
    """Another version's recorded canonical text says what ``policy`` says, its version
    aside: the same rules over the same facts give the same states under both, so a
    code evaluated under that version needs only this version's name (a new version
    that changed the title, the form or the checkpoint's words, which no state holds)."""
    older, now = json.loads(recorded), json.loads(canonical_text(policy))
    older.pop("version", None)
    now.pop("version", None)
    return bool(older == now)


def fingerprint(text: str) -> str:
    """The SHA-256 of a canonical text, in hex."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return {"type": type(value).__name__, **fields}  # a lapse: NormalDays or DaysAfter
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)  # an enum member: its text
    if value is None or isinstance(value, int | float):
        return value
    return {type(value).__name__: str(value)}  # a YAML date in a condition, say


def differences(old: Mapping[str, Any], new: Mapping[str, Any], path: str = "") -> list[str]:
    """Where two contents differ, as paths a policy's author recognises: ``params.x``,
    ``rule BZ-YELLOW-FEVER: reason.en``, ``rule BZ-X: added``."""
    found: list[str] = []
    for key in sorted(set(old) | set(new)):
        at = f"{path}.{key}" if path else key
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if key == "rules" and not path and isinstance(before, list) and isinstance(after, list):
            found += _rule_differences(before, after)
        elif isinstance(before, Mapping) and isinstance(after, Mapping):
            found += differences(before, after, at)
        else:
            found.append(at)
    return found


def _rule_differences(old: list[Any], new: list[Any]) -> list[str]:
    before = {r["id"]: r for r in old}
    after = {r["id"]: r for r in new}
    found = [f"rule {rid}: added" for rid in after if rid not in before]
    found += [f"rule {rid}: removed" for rid in before if rid not in after]
    for rid in (r for r in after if r in before):
        found += [f"rule {rid}: {p}" for p in differences(before[rid], after[rid])]
    if [rid for rid in after if rid in before] != [rid for rid in before if rid in after]:
        found.append("rules: order")  # the first rule that fires gives the next step
    return found
