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
from healthcode.domain.facts import ExposureKind, Symptom
from healthcode.domain.identity import lookup_region
from healthcode.domain.policy import Policy
from healthcode.domain.state import State
from healthcode.i18n import gettext, pick
from healthcode.services.notices.centre import Notification
from healthcode.services.notices.texts import Kind, describe
from healthcode.services.residents.binding import DeclaredIdentity
from healthcode.services.residents.inputs import Purpose
from healthcode.services.residents.results import DeclarationDetail
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
    id: str
    at: datetime
    unread: bool
    title: str
    body: str
    link: str
    reasons: list[str]


def notices(rows: Sequence[Notification], policies: Mapping[str, Policy]) -> list[Notice]:
    """The notification centre's items in the page's language; a colour change also
    lists the rules behind it."""
    out = []
    for row in rows:
        text = describe(row.kind, row.payload, policies)
        policy = policies.get(str(row.payload.get("policy")))
        reasons: list[str] = []
        if row.kind == Kind.COLOUR_CHANGED and policy is not None:
            rules = {r.id: r for r in policy.rules}
            reasons = [pick(rules[r].reason) for r in row.payload.get("rule_ids", []) if r in rules]
        out.append(
            Notice(
                id=str(row.id),
                at=row.at,
                unread=row.read_at is None,
                title=text.title,
                body=text.body,
                link=text.link,
                reasons=reasons,
            )
        )
    return out


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
