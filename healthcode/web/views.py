"""What the pages show, shaped from the API's views and the services' results.

The JSON views (``healthcode.http.views``) already localise a code's state; the
helpers here only add what a page needs on top: the streak counter, the last valid
day of a pass, region names, notification texts and FAQ answer blocks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from healthcode.domain.clock import day_of
from healthcode.domain.colour import Colour
from healthcode.domain.facts import ExposureKind, Symptom
from healthcode.domain.identity import lookup_region
from healthcode.domain.policy import Policy
from healthcode.domain.state import State
from healthcode.http.views import colour_label
from healthcode.i18n import gettext, pick
from healthcode.services.residents.binding import DeclaredIdentity
from healthcode.services.residents.inputs import Purpose
from healthcode.services.residents.results import DeclarationDetail, Notification
from healthcode.web.labels import EXPOSURE_DATES, EXPOSURES, PURPOSES, SEXES, SYMPTOMS


@dataclass(frozen=True)
class Streak:
    done: int
    needed: int


def streak(state: State) -> Streak | None:
    """ "Day 5 of 14" while a red or yellow code waits for normal daily reports: the
    run that ends last binds."""
    found = [r.streak for r in state.reasons if r.streak is not None]
    if not found:
        return None
    done, needed = min(found)
    return Streak(done, needed)


def last_valid_day(valid_until: datetime | None) -> date | None:
    """A pass is valid until the *start* of ``valid_until``: show the last whole day."""
    return day_of(valid_until - timedelta(microseconds=1)) if valid_until else None


def region_name(code: str | None) -> str:
    region = lookup_region(code) if code else None
    return f"{region.full_name} ({code})" if region else (code or "")


@dataclass(frozen=True)
class Declared:
    """The second-confirmation screen: what was declared, personal numbers masked."""

    name_masked: str
    id_masked: str
    birth_date: str
    sex: str
    region: str
    temperature: float | None
    symptoms: list[str]
    exposures: list[str]
    trips: list[str]
    destination: str
    purpose: str


def declared(row: DeclarationDetail, who: DeclaredIdentity) -> Declared:
    return Declared(
        name_masked=who.name_masked,
        id_masked=who.id_masked,
        birth_date=who.birth_date.isoformat(),
        sex=gettext(SEXES[who.sex]),
        region=region_name(who.region_code),
        temperature=row.temperature,
        symptoms=[gettext(SYMPTOMS[Symptom(s)]) for s in row.symptoms],
        exposures=[_exposure(e) for e in row.exposures],
        trips=[_trip(trip) for trip in row.trips],
        destination=region_name(row.destination),
        purpose=gettext(PURPOSES[Purpose(row.purpose)]) if row.purpose else "",
    )


def _exposure(item: Mapping[str, Any]) -> str:
    kind = ExposureKind(item["kind"])
    labels = EXPOSURE_DATES[kind]
    keys = ("start", "end")
    dates = [
        f"{gettext(lab)} {item[k]}" for lab, k in zip(labels, keys, strict=True) if item.get(k)
    ]
    return "；".join([gettext(EXPOSURES[kind]), *dates])


def _trip(item: Mapping[str, Any]) -> str:
    span = " – ".join(d for d in (item.get("start"), item.get("end")) if d)
    return f"{region_name(item.get('region'))} {span}".strip()


@dataclass(frozen=True)
class Notice:
    at: datetime
    unread: bool
    title: str
    before: str  # empty for a first code
    after: str
    reasons: list[str]
    policy: str


def notices(rows: Sequence[Notification], policies: Mapping[str, Policy]) -> list[Notice]:
    out = []
    for row in rows:
        payload = row.payload
        policy = policies.get(str(payload.get("policy")))
        if row.kind != "colour_changed" or policy is None:
            continue
        rules = {r.id: r for r in policy.rules}
        before = payload.get("from")
        out.append(
            Notice(
                at=row.at,
                unread=row.read_at is None,
                title=pick(policy.title),
                before="" if before in (None, Colour.NONE.value) else _label(policy, before),
                after=_label(policy, payload.get("to")),
                reasons=[pick(rules[r].reason) for r in payload.get("rule_ids", []) if r in rules],
                policy=policy.id,
            )
        )
    return out


def _label(policy: Policy, value: object) -> str:
    try:
        return colour_label(policy, Colour(str(value)))
    except ValueError:
        return str(value)


@dataclass(frozen=True)
class Block:
    kind: str  # "p", "ul" or "ol"
    lines: list[str]


def answer_blocks(text: str) -> list[Block]:
    """FAQ answers are plain text with "- " and "1. " lists: paragraphs and lists."""
    blocks: list[Block] = []
    for paragraph in (p.strip() for p in text.split("\n\n")):
        for line in paragraph.splitlines():
            kind, body = _line_kind(line.strip())
            if blocks and blocks[-1].kind == kind and kind != "p":
                blocks[-1].lines.append(body)
            else:
                blocks.append(Block(kind, [body]))
    return blocks


def _line_kind(line: str) -> tuple[str, str]:
    if line.startswith("- "):
        return "ul", line[2:]
    head, _, rest = line.partition(". ")
    if head.isdigit() and rest:
        return "ol", rest
    return "p", line
