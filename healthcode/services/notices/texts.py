"""What a notification says, in the current language, and where it leads.

Stored notifications carry a kind and its parameters, never text: the words are
chosen when shown (the page's language) or sent (the recipient's language), so a
notification reads right in either.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from healthcode.domain.clock import local
from healthcode.domain.colour import Colour
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Policy
from healthcode.domain.records import DEPARTMENT_NAMES
from healthcode.i18n import pick, translate
from healthcode.services.shared.policies import colour_label

# The issuers' review queue (its page belongs to the organisations' pages).
QUEUE_PAGE = "/staff/queue"
# The resident's appeals (a finding on no code they hold is still theirs to dispute).
APPEALS_PAGE = "/appeals"
# Where administrators give staff their roles and scopes.
STAFF_ACCOUNTS_PAGE = "/staff/accounts"
# A family member's notification, told to the guardian who holds their codes (they
# have no account): their masked name and resident id among its parameters.
MEMBER, MEMBER_ID = "member", "member_id"
# The resident's own pages that a family member's have under ``/family/{id}``.
_FAMILY_PAGES = ("/codes/", APPEALS_PAGE)


class Kind(StrEnum):
    COLOUR_CHANGED = "colour_changed"
    APPLICATIONS_WAITING = "applications_waiting"
    PASS_SIGNED = "pass_signed"
    MORE_INFORMATION = "more_information"
    PASS_LAPSING = "pass_lapsing"
    REPORT_DUE = "report_due"
    NOT_ELIGIBLE = "not_eligible"  # to an organisation's prevention contact, outbound only
    CHECKIN_FLAGGED = "checkin_flagged"  # to an employer's administrators
    APPEAL_STEP = "appeal_step"  # the resident's appeal moved on (services/appeals)
    APPEAL_WAITING = "appeal_waiting"  # to the officers who may decide a new appeal
    APPEAL_UNASSIGNED = "appeal_unassigned"  # to administrators: nobody may decide one
    FRAUD_WAITING = "fraud_waiting"  # to the officers who may review a new fraud case
    FRAUD_CONFIRMED = "fraud_confirmed"  # a credit entry against the resident (services/fraud)
    RESIDENT_RECOLOURED = "resident_recoloured"  # to the issuers of a pass data recoloured


@dataclass(frozen=True)
class Text:
    title: str
    body: str
    link: str  # a page of this site; "" for none


def colour_words(policy: Policy | None, value: object) -> str:
    """A colour kept in a notification's parameters, in its policy's words where the
    policy is still known (``colour_label``), else the generic ones."""
    try:
        colour = Colour(str(value))
    except ValueError:
        return str(value)
    return colour_label(policy, colour) if policy is not None else translate(colour.label)


def _when(value: object) -> str:
    try:
        return local(datetime.fromisoformat(str(value))).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(value)


@dataclass(frozen=True)
class _About:
    """What a text is drawn from: the parameters and the code type they name."""

    params: Mapping[str, Any]
    policy: Policy | None

    @property
    def title(self) -> str:
        return pick(self.policy.title) if self.policy is not None else ""

    @property
    def code_page(self) -> str:
        return f"/codes/{self.policy.id}" if self.policy is not None else "/"

    def colour(self, key: str) -> str:
        return colour_words(self.policy, self.params.get(key))


def _colour_changed(a: _About) -> Text:
    words = {"title": a.title, "after": a.colour("to")}
    if a.params.get("from") in (None, Colour.NONE.value):
        headline = translate(N_("{title}: you now have a {after}"), words)
    else:
        words["before"] = a.colour("from")
        headline = translate(N_("{title}: {before} changed to {after}"), words)
    return Text(headline, "", f"{a.code_page}#why")


def _waiting(a: _About) -> Text:
    count = int(a.params.get("count", 1))
    return Text(
        translate(
            N_("{count} application waiting for your review")
            if count == 1
            else N_("{count} applications waiting for your review"),
            {"count": count},
        ),
        str(a.params.get("organisation_name", "")),
        QUEUE_PAGE,
    )


def _signed(a: _About) -> Text:
    words = {"title": a.title, "colour": a.colour("colour")}
    return Text(
        translate(N_("{title}: your application was signed: {colour}"), words), "", a.code_page
    )


def _more_information(a: _About) -> Text:
    needed = "; ".join(translate(str(item)) for item in a.params.get("items", []))
    return Text(
        translate(N_("More information is needed for your application")),
        translate(N_("Needed: {items}"), {"items": needed}),
        a.code_page,
    )


def _lapsing(a: _About) -> Text:
    end = _when(a.params.get("until"))
    return Text(
        translate(N_("{title}: your pass ends at {end}"), {"title": a.title, "end": end}),
        translate(N_("Apply again in time to keep your pass.")),
        a.code_page,
    )


def _report_due(a: _About) -> Text:
    return Text(
        translate(N_("{title}: today's health report is not in yet"), {"title": a.title}),
        translate(N_("Without it your pass turns yellow at midnight.")),
        f"{a.code_page}/report",
    )


_APPEAL_STEPS = {
    "submitted": N_("Your appeal was received"),
    "assigned": N_("Your appeal was sent to the office that decides it"),
    "unassigned": N_("Your appeal is waiting for an officer to be appointed to decide it"),
    "upheld": N_("Your appeal was upheld"),
    "rejected": N_("Your appeal was rejected"),
    "restored": N_("{title}: after your appeal your code is {colour}"),
    "unchanged": N_("{title}: your code stays {colour}: other reasons keep it so"),
    "stays_green": N_("{title}: your appeal was upheld; your code was already {colour}"),
    "withdrawn": N_("The department withdrew the record you appealed: it no longer counts"),
}


def _appeal_step(a: _About) -> Text:
    step = str(a.params.get("step", ""))
    words = {"title": a.title, "colour": a.colour("colour")}
    if step == "unchanged" and a.params.get("colour") == Colour.GREEN.value:
        step = "stays_green"  # nothing keeps it so: it was green already (a rollback)
    headline = translate(_APPEAL_STEPS[step], words) if step in _APPEAL_STEPS else step
    return Text(headline, "", f"/appeals/{a.params.get('appeal', '')}")


def _appeal_waiting(a: _About) -> Text:
    return Text(
        translate(N_("A resident's appeal is waiting for your decision")),
        "",
        f"/staff/appeals/{a.params.get('appeal', '')}",
    )


def _appeal_unassigned(a: _About) -> Text:
    department = str(a.params.get("department", ""))
    words = {"region": a.params.get("region", "")}
    if department:
        words["department"] = translate(DEPARTMENT_NAMES.get(department, department))
        body = N_(
            "No data operator of {department} may decide appeals of residents in "
            "{region}: give one that department's scope for the region"
        )
    else:
        body = N_(
            "Every officer who may decide it in {region} took part in the decision "
            "appealed: give another officer the right to decide it"
        )
    return Text(
        translate(N_("A resident's appeal has nobody to decide it")),
        translate(body, words),
        STAFF_ACCOUNTS_PAGE,
    )


def _fraud_waiting(a: _About) -> Text:
    return Text(
        translate(N_("A possible fraud case is waiting for review")),
        "",
        f"/staff/fraud/{a.params.get('case', '')}",
    )


_CREDIT_KINDS = {
    "false_declaration": N_("a false declaration"),
    "screenshot": N_("use of a screenshot of a code"),
    "another_persons_code": N_("use of another person's code"),
}


def _fraud_confirmed(a: _About) -> Text:
    kind = str(a.params.get("kind", ""))
    what = translate(_CREDIT_KINDS[kind]) if kind in _CREDIT_KINDS else kind
    return Text(
        translate(N_("A fraud finding was entered in your credit record")),
        translate(N_("Confirmed by two officers: {what}. Your code is red."), {"what": what}),
        f"{a.code_page}#why" if a.policy is not None else APPEALS_PAGE,
    )


def _resident_recoloured(a: _About) -> Text:
    words = {
        "title": a.title,
        "name": a.params.get("resident", ""),
        "before": a.colour("from"),
        "after": a.colour("to"),
    }
    return Text(
        translate(N_("{title}: department data changed {name}'s {before} to {after}"), words),
        str(a.params.get("organisation_name", "")),
        f"/staff/applications/{a.params.get('application', '')}",
    )


def _not_eligible(a: _About) -> Text:
    who = {
        "organisation": a.params.get("organisation_name", ""),
        "name": a.params.get("resident", ""),
    }
    return Text(
        translate(N_("{organisation}: resident {name} was found not eligible for a pass"), who),
        translate(
            N_("Reason: {reason}. Please follow up."), {"reason": a.params.get("reason", "")}
        ),
        "",
    )


def _checkin_flagged(a: _About) -> Text:
    p = a.params
    reading = translate(N_("{temperature} ℃"), {"temperature": p.get("temperature", "")})
    if p.get("symptoms"):
        reading = translate(N_("{reading}, with symptoms"), {"reading": reading})
    words = {"organisation": p.get("organisation_name", ""), "name": p.get("name", "")}
    return Text(
        translate(N_("{organisation}: {name}'s check-in is flagged"), words),
        reading,
        f"/staff/employers/{p.get('organisation', '')}/board?only=flagged",
    )


_TEXTS: dict[str, Callable[[_About], Text]] = {
    Kind.COLOUR_CHANGED: _colour_changed,
    Kind.APPLICATIONS_WAITING: _waiting,
    Kind.PASS_SIGNED: _signed,
    Kind.MORE_INFORMATION: _more_information,
    Kind.PASS_LAPSING: _lapsing,
    Kind.REPORT_DUE: _report_due,
    Kind.NOT_ELIGIBLE: _not_eligible,
    Kind.CHECKIN_FLAGGED: _checkin_flagged,
    Kind.APPEAL_STEP: _appeal_step,
    Kind.APPEAL_WAITING: _appeal_waiting,
    Kind.APPEAL_UNASSIGNED: _appeal_unassigned,
    Kind.FRAUD_WAITING: _fraud_waiting,
    Kind.FRAUD_CONFIRMED: _fraud_confirmed,
    Kind.RESIDENT_RECOLOURED: _resident_recoloured,
}


def describe(kind: str, params: Mapping[str, Any], policies: Mapping[str, Policy]) -> Text:
    """The title, body and link of a notification, in the current language."""
    text = _TEXTS.get(kind)
    about = _About(params, policies.get(str(params.get("policy"))))
    told = text(about) if text is not None else Text(kind, "", "")
    return _of_member(told, params) if params.get(MEMBER) else told


def _of_member(text: Text, params: Mapping[str, Any]) -> Text:
    """A family member's notification, as their guardian reads it: the member named
    first (whose code it is), leading to the member's page of the guardian's."""
    title = translate(
        N_("Your family member {name} — {title}"), {"name": params[MEMBER], "title": text.title}
    )
    link = text.link
    if link.startswith(_FAMILY_PAGES):
        link = f"/family/{params.get(MEMBER_ID, '')}{link}"
    return Text(title, text.body, link)


def message_text(text: Text) -> str:
    """One line for an SMS: the title, ended as a sentence, then the body ("…尚未提交
    请…" read as one run-on sentence)."""
    title = text.title.strip()
    if title and title[-1] not in "。！？：.!?:":
        title += "。" if _wide(title[-1]) else "."
    glue = "" if title and _wide(title[-1]) else " "
    return f"{title}{glue}{text.body}".strip()


def _wide(character: str) -> bool:
    return unicodedata.east_asian_width(character) in ("W", "F")
