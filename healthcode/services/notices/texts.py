"""What a notification says, in the current language, and where it leads.

Stored notifications carry a kind and its parameters, never text: the words are
chosen when shown (the page's language) or sent (the recipient's language), so a
notification reads right in either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from healthcode.domain.clock import local
from healthcode.domain.colour import Colour
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Policy
from healthcode.i18n import pick, translate

# The issuers' review queue (its page belongs to the organisations' pages).
QUEUE_PAGE = "/issuer/queue"


class Kind(StrEnum):
    COLOUR_CHANGED = "colour_changed"
    APPLICATIONS_WAITING = "applications_waiting"
    PASS_SIGNED = "pass_signed"
    MORE_INFORMATION = "more_information"
    PASS_LAPSING = "pass_lapsing"
    REPORT_DUE = "report_due"
    NOT_ELIGIBLE = "not_eligible"  # to an organisation's prevention contact, outbound only


@dataclass(frozen=True)
class Text:
    title: str
    body: str
    link: str  # a page of this site; "" for none


def colour_words(policy: Policy | None, value: object) -> str:
    try:
        colour = Colour(str(value))
    except ValueError:
        return str(value)
    own = policy.labels.get(colour) if policy is not None else None
    return pick(own) if own else translate(colour.label)


def _when(value: object) -> str:
    try:
        return local(datetime.fromisoformat(str(value))).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(value)


def describe(kind: str, params: Mapping[str, Any], policies: Mapping[str, Policy]) -> Text:
    policy = policies.get(str(params.get("policy")))
    title = pick(policy.title) if policy is not None else ""
    code_page = f"/codes/{policy.id}" if policy is not None else "/"
    if kind == Kind.COLOUR_CHANGED:
        words = {"title": title, "after": colour_words(policy, params.get("to"))}
        before = params.get("from")
        if before in (None, Colour.NONE.value):
            headline = translate(N_("{title}: you now have a {after}"), words)
        else:
            words["before"] = colour_words(policy, before)
            headline = translate(N_("{title}: {before} changed to {after}"), words)
        return Text(headline, "", f"{code_page}#why")
    if kind == Kind.APPLICATIONS_WAITING:
        count = int(params.get("count", 1))
        return Text(
            translate(N_("{count} applications waiting for your review"), {"count": count}),
            str(params.get("organisation_name", "")),
            QUEUE_PAGE,
        )
    if kind == Kind.PASS_SIGNED:
        words = {"title": title, "colour": colour_words(policy, params.get("colour"))}
        return Text(
            translate(N_("{title}: your application was signed: {colour}"), words),
            str(params.get("note", "")),
            code_page,
        )
    if kind == Kind.MORE_INFORMATION:
        needed = "; ".join(str(item) for item in params.get("items", []))
        return Text(
            translate(N_("More information is needed for your application")),
            translate(N_("Needed: {items}"), {"items": needed}),
            code_page,
        )
    if kind == Kind.PASS_LAPSING:
        return Text(
            translate(
                N_("{title}: your pass ends at {end}"),
                {"title": title, "end": _when(params.get("until"))},
            ),
            translate(N_("Apply again in time to keep your pass.")),
            code_page,
        )
    if kind == Kind.REPORT_DUE:
        return Text(
            translate(N_("{title}: today's health report is not in yet"), {"title": title}),
            translate(N_("Without it your pass turns yellow at midnight.")),
            f"{code_page}/report",
        )
    if kind == Kind.NOT_ELIGIBLE:
        return Text(
            translate(
                N_("{organisation}: resident {name} was found not eligible for a pass"),
                {
                    "organisation": params.get("organisation_name", ""),
                    "name": params.get("resident", ""),
                },
            ),
            translate(
                N_("Reason: {reason}. Please follow up."), {"reason": params.get("reason", "")}
            ),
            "",
        )
    return Text(kind, "", "")


def message_text(text: Text) -> str:
    """One line for an SMS: the title, then the body."""
    return f"{text.title} {text.body}".strip()
