"""When will the colour change next, if nothing new is learnt?

Each active reason (and, for a pass, its validity) is a component with a colour and
a time window; stepping through the instants where windows open or close finds the
first one at which the overall colour differs. Nothing new means no new report
either, so a pass's next missed report is a change like any other (the engine adds
it as a component); the result says when the change happens only if that report is
missed, so that a resident reads it as a condition, not a certainty. Only a lapse that
needs normal reports, such as seed 003's streak, assumes they keep coming, and the
result says so too.
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
    if_report_missed: bool = False  # starts only if the day before has no report


def next_change(components: Sequence[Component], now: datetime, current: Colour) -> Change | None:
    instants = sorted(
        {c.until for c in components if c.until is not None and c.until >= now}
        | {c.start for c in components if c.start is not None and c.start >= now}
    )
    for at in instants:
        in_force = [c for c in components if _in_force(c, at)]
        colour = worst(*(c.colour for c in in_force))
        if colour is not current:
            needs = any(
                c.needs_reports for c in components if c.until is not None and c.until <= at
            )
            certain = worst(*(c.colour for c in in_force if not c.if_report_missed))
            return Change(at, colour, needs, if_report_missed=certain is current)
    return None


def _in_force(component: Component, at: datetime) -> bool:
    started = component.start is None or component.start <= at
    return started and (component.until is None or component.until > at)
