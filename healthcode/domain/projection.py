"""When will the colour change next, if nothing new is learnt?

Each active reason (and, for a pass, its validity) is a component with a colour and
a time window; stepping through the instants where windows open or close finds the
first one at which the overall colour differs. Assumes daily reports stay normal,
and says so in the result when the change depends on them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from healthcode.domain.colour import Colour, worst
from healthcode.domain.state import Change


@dataclass(frozen=True)
class Component:
    colour: Colour
    start: datetime | None  # None = already in force
    until: datetime | None  # None = open-ended
    needs_reports: bool


def next_change(components: Sequence[Component], now: datetime, current: Colour) -> Change | None:
    instants = sorted(
        {c.until for c in components if c.until is not None and c.until >= now}
        | {c.start for c in components if c.start is not None and c.start >= now}
    )
    for at in instants:
        colour = worst(*(c.colour for c in components if _in_force(c, at)))
        if colour is not current:
            needs = any(
                c.needs_reports for c in components if c.until is not None and c.until <= at
            )
            return Change(at, colour, needs)
    return None


def _in_force(component: Component, at: datetime) -> bool:
    started = component.start is None or component.start <= at
    return started and (component.until is None or component.until > at)
