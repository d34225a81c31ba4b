"""The lives a generated resident can have lived, each evaluated once by the engine.

A large population cannot run every resident through the services (the story
demo does that for a few hundred). Instead each *profile* (green, a close contact,
back from outside the province, ...) at each offset in days is built as facts with
placeholder ids, replayed through the real engine the way ``recolour`` would have
met them (each fact at the instant it was learnt, the passing of time in between),
and its state and history kept as templates. A generated resident copies one,
with its own ids in place of the placeholders: its stored colour, reasons, recheck
time and history are what the engine gives for its facts (tests/services/demo
checks a sample against ``recolour``).
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from healthcode.domain.clock import start_of
from healthcode.domain.colour import Colour
from healthcode.domain.engine import evaluate
from healthcode.domain.facts import (
    DataRecord,
    Facts,
    Observation,
    ObservationKind,
    RecordKind,
    Trip,
)
from healthcode.domain.policy import Policy
from healthcode.domain.state import State, recheck_at
from healthcode.domain.timeline import replay
from healthcode.services.codes.recolour import change_causes, steps_ahead
from healthcode.store.state_json import state_to_json

DECLARED_HOUR, REPORT_HOUR, RECEIVED_HOUR = 9, 8, 15
STREAK = 14


@dataclass(frozen=True)
class RecordSpec:
    kind: RecordKind
    department: str
    received: int  # days before today
    start: int  # days before today
    end: int | None = None
    region: str | None = None


@dataclass(frozen=True)
class Life:
    """What a profile's resident did, in days before today."""

    declared: int
    trip: tuple[str, int] | None = None  # (region, days ago they left it)
    reports: tuple[int, ...] = ()  # days before today with a normal daily report
    records: tuple[RecordSpec, ...] = ()


@dataclass(frozen=True)
class Change:
    at: datetime
    from_colour: str
    to_colour: str
    rule_ids: tuple[str, ...]
    cause: str


@dataclass(frozen=True)
class Template:
    profile: str
    life: Life
    version: str  # the policy's
    colour: Colour
    state_json: str  # placeholders @D@, @P<i>@, @R<i>@ for the resident's own ids
    recheck_at: datetime | None
    ahead_json: str  # the states time alone brings next (codes.ahead), placeholders too
    changes: tuple[Change, ...]
    placeholders: tuple[str, ...] = field(default=())


# Profiles and their shares of the population (about what a Shandong city saw in
# February 2020); each draws its offsets in days from the generator.
SHARES: Mapping[str, float] = {
    "green": 0.80,
    "green_travel": 0.06,  # a carrier's record of a stay inside the province
    "out_of_province": 0.05,  # declared a trip: yellow, counting normal days
    "recovered": 0.02,  # yellow after a trip, green after 14 normal days
    "close_contact": 0.04,  # green, then a health-commission record: red
    "fever_clinic": 0.025,  # a medical-insurance record: yellow
    "confirmed": 0.005,  # a confirmed case: red
}
OUTSIDE = ("110105", "310115", "440305")
INSIDE = ("370202", "371302")


def life_of(profile: str, rng: random.Random) -> Life:
    """A random life of the profile (its offsets), drawn from ``rng``."""
    declared = rng.choice((16, 20))  # few distinct lives: each is evaluated once
    if profile == "green":
        return Life(declared)
    if profile == "green_travel":
        ago = rng.randint(1, 12)
        stay = RecordSpec(RecordKind.TRAVEL, "carrier", ago, ago + 2, ago, rng.choice(INSIDE))
        return Life(declared, records=(stay,))
    if profile == "out_of_province":
        left = rng.randint(1, 10)
        return Life(left, (rng.choice(OUTSIDE), left), tuple(range(left - 1, 0, -1)))
    if profile == "recovered":
        left = rng.randint(STREAK + 1, STREAK + 4)
        return Life(left, (rng.choice(OUTSIDE), left), tuple(range(left - 1, 0, -1)))
    kind, department = {
        "close_contact": (RecordKind.CLOSE_CONTACT, "health"),
        "fever_clinic": (RecordKind.FEVER_CLINIC, "medical_insurance"),
        "confirmed": (RecordKind.CONFIRMED, "health"),
    }[profile]
    ago = rng.randint(1, 10)
    return Life(declared, records=(RecordSpec(kind, department, ago, ago + 1),))


def template_of(policy: Policy, profile: str, life: Life, now: datetime, today: date) -> Template:
    facts, events = _facts(life, today)
    changes: list[Change] = []
    colour, recheck, rules = Colour.NONE, None, tuple[str, ...]()
    for at, cause in [*events, (now, "time")]:
        missed, _ = replay(policy, facts, colour=colour, recheck=recheck, now=at)
        for state, why in [*((m, "time") for m in missed), (evaluate(policy, facts, at), cause)]:
            if state.colour is not colour:
                changes.append(_change(colour, rules, state, why))
            colour, recheck, rules = state.colour, recheck_at(state), state.colour_rule_ids
    final = evaluate(policy, facts, now)
    text = _json(state_to_json(final))
    ahead = _json(steps_ahead(policy, facts, final, final.colour_rule_ids, None, None))
    marks = tuple(m for m in _marks(life) if m in text or m in ahead)
    return Template(
        profile,
        life,
        policy.version,
        final.colour,
        text,
        recheck_at(final),
        ahead,
        tuple(changes),
        marks,
    )


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _marks(life: Life) -> list[str]:
    return ["@D@", *(f"@P{i}@" for i in range(len(life.reports)))] + [
        f"@R{i}@" for i in range(len(life.records))
    ]


def _facts(life: Life, today: date) -> tuple[Facts, list[tuple[datetime, str]]]:
    def at(days: int, hour: int) -> datetime:
        return start_of(today - timedelta(days=days)) + timedelta(hours=hour)

    trips: tuple[Trip, ...] = ()
    if life.trip is not None:
        region, left = life.trip
        trips = (Trip(region, today - timedelta(days=left), today - timedelta(days=left + 3)),)
    declared = at(life.declared, DECLARED_HOUR)
    observations = [Observation("@D@", ObservationKind.DECLARATION, declared, 36.5, trips=trips)]
    observations += [
        Observation(f"@P{i}@", ObservationKind.DAILY_REPORT, at(d, REPORT_HOUR), 36.4)
        for i, d in enumerate(life.reports)
    ]
    records = [
        DataRecord(
            f"@R{i}@",
            r.kind,
            at(r.received, RECEIVED_HOUR),
            today - timedelta(days=r.start),
            None if r.end is None else today - timedelta(days=r.end),
            r.region,
            r.department,
        )
        for i, r in enumerate(life.records)
    ]
    events = [(declared, "declaration")]
    events += [(o.at, "daily_report") for o in observations[1:]]
    events += [(r.received_at, "data") for r in records]
    events.sort()
    return Facts(observations=tuple(observations), records=tuple(records)), events


def _change(previous: Colour, previous_rules: Sequence[str], state: State, cause: str) -> Change:
    """As ``services.codes.recolour`` records it (``change_causes``)."""
    rules = change_causes(previous.value, previous_rules, state)
    return Change(state.evaluated_at, previous.value, state.colour.value, tuple(rules), cause)
