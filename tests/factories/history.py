"""The one property every colour history has, whatever happened: it chains."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from healthcode.store import tables as t


def assert_history_chains(changes: Sequence[t.ColourChange | Mapping[str, Any]]) -> None:
    """Newest first, as `codes.history` and the API give it: the first change starts
    from no code, each later one from the colour the one before ended in, and no
    change is dated before the one it follows."""
    steps = [_step(c) for c in reversed(changes)]
    froms = [f for f, _, _ in steps]
    tos = ["none"] + [to for _, to, _ in steps[:-1]]
    assert froms == tos, f"the history does not chain: {[(f, to) for f, to, _ in steps]}"
    times = [at for _, _, at in steps]
    assert times == sorted(times), f"the history goes back in time: {times}"


def _step(change: t.ColourChange | Mapping[str, Any]) -> tuple[str, str, datetime]:
    if isinstance(change, t.ColourChange):
        return change.from_colour or "none", change.to_colour, change.at
    at = datetime.fromisoformat(change["at"])
    return change["from_colour"] or "none", change["to_colour"], at
