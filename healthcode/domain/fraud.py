"""Fraud cases (seed 003 §四.一 "不如实填报…套取截图、冒用他人健康码…予以转为红码…纳入个人
诚信体系"): where a case comes from, what it says happened, its two-officer workflow
and the contradiction between a declaration and a travel record. Pure.

A case moves ``open`` → ``proposed`` (officer A proposes confirm or dismiss, with a
reason) → ``confirmed`` or ``dismissed`` (officer B, never A, approves); B may also
reject the proposal, which puts the case back to ``open``. Confirmed, it becomes a
credit entry of the kind its cause names.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from healthcode.domain.checkpoint import Flag
from healthcode.domain.errors import Conflict, Forbidden
from healthcode.domain.i18n import N_
from healthcode.domain.reasons import written_reason

MIN_REASON = 10
MAX_REASON = 500


class Source(StrEnum):
    GATE_REPORT = "gate_report"  # an operator tapped "not the holder"
    DUPLICATE_TOKEN = "duplicate_token"  # a scan's duplicate-token or distance flag
    CONTRADICTION = "contradiction"  # a declaration against a department's record


class Cause(StrEnum):
    NOT_THE_HOLDER = "not_the_holder"
    SAME_TOKEN_ELSEWHERE = Flag.SAME_TOKEN_ELSEWHERE.value  # one display token, two venues
    DISTANT_VENUES = Flag.DISTANT_VENUES.value  # one resident, two distant venues, minutes
    UNDECLARED_TRAVEL = "undeclared_travel"  # declared no such stay; a travel record says so


class Status(StrEnum):
    OPEN = "open"
    PROPOSED = "proposed"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"

    @property
    def decided(self) -> bool:
        return self in (Status.CONFIRMED, Status.DISMISSED)


class Outcome(StrEnum):
    CONFIRM = "confirm"
    DISMISS = "dismiss"

    @property
    def status(self) -> Status:
        return Status.CONFIRMED if self is Outcome.CONFIRM else Status.DISMISSED


class CreditKind(StrEnum):
    """The seed's three kinds of dishonesty, the credit entry's ``reason``."""

    FALSE_DECLARATION = "false_declaration"  # 不如实填报
    SCREENSHOT = "screenshot"  # 套取截图
    ANOTHER_PERSONS_CODE = "another_persons_code"  # 冒用他人健康码


SOURCE_OF: Mapping[Cause, Source] = {
    Cause.NOT_THE_HOLDER: Source.GATE_REPORT,
    Cause.SAME_TOKEN_ELSEWHERE: Source.DUPLICATE_TOKEN,
    Cause.DISTANT_VENUES: Source.DUPLICATE_TOKEN,
    Cause.UNDECLARED_TRAVEL: Source.CONTRADICTION,
}
CREDIT_OF: Mapping[Cause, CreditKind] = {
    Cause.NOT_THE_HOLDER: CreditKind.ANOTHER_PERSONS_CODE,
    Cause.SAME_TOKEN_ELSEWHERE: CreditKind.SCREENSHOT,
    Cause.DISTANT_VENUES: CreditKind.ANOTHER_PERSONS_CODE,
    Cause.UNDECLARED_TRAVEL: CreditKind.FALSE_DECLARATION,
}


class OwnProposal(Forbidden):
    code = "own_proposal"


class CaseDecided(Conflict):
    code = "case_decided"


class NotProposed(Conflict):
    code = "not_proposed"


class AlreadyProposed(Conflict):
    code = "already_proposed"


class NoResident(Conflict):
    code = "no_resident"


def open_key(resident: str, cause: Cause) -> str:
    """The key one undecided case per resident and cause holds."""
    return f"{resident}:{cause.value}"


def causes_of_flags(flags: Iterable[object]) -> list[Cause]:
    """The causes a scan's flags name, once each, in their order."""
    found: list[Cause] = []
    for flag in flags:
        code = flag.get("code") if isinstance(flag, Mapping) else None
        if code in (Cause.SAME_TOKEN_ELSEWHERE, Cause.DISTANT_VENUES):
            cause = Cause(str(code))
            if cause not in found:
                found.append(cause)
    return found


def check_reason(reason: str, field: str = "reason") -> str:
    return written_reason(reason, field=field, least=MIN_REASON, most=MAX_REASON)


def check_propose(status: Status, outcome: Outcome, *, has_resident: bool) -> None:
    """Officer A may propose only on an open case; a confirmation needs a resident."""
    if status.decided:
        raise CaseDecided(N_("This case has already been decided"))
    if status is Status.PROPOSED:
        raise AlreadyProposed(N_("A decision is already proposed: a second officer decides it"))
    if outcome is Outcome.CONFIRM and not has_resident:
        raise NoResident(N_("The code named none of our residents: the case can only be dismissed"))


def check_decide(status: Status, *, proposed_by: str | None, officer: str) -> None:
    """Officer B, never the proposer, decides a proposed case once."""
    if status.decided:
        raise CaseDecided(N_("This case has already been decided"))
    if status is not Status.PROPOSED:
        raise NotProposed(N_("Nothing is proposed yet: propose a decision first"))
    if proposed_by == officer:
        raise OwnProposal(N_("A second officer must decide this: you proposed it yourself"))


# --- contradictions: "no travel" declared, a travel record says otherwise -----------


@dataclass(frozen=True)
class DeclaredTrips:
    """A confirmed declaration as the contradiction check reads it."""

    id: str
    day: date  # the day it was confirmed (Asia/Shanghai)
    trips: tuple[tuple[str, date | None, date], ...]  # (region, start, end)


@dataclass(frozen=True)
class TravelStay:
    """A department's travel record: in ``region`` from ``start`` to ``end``."""

    id: str
    region: str
    start: date | None
    end: date | None


def contradicts(
    declaration: DeclaredTrips, stay: TravelStay, *, home: str, window_days: int
) -> bool:
    """The record puts the resident outside their home county within the declaration's
    window (the days it asked about), and the declaration names no stay in that region
    (``no travel``, or travel elsewhere). A region is matched by prefix either way, so
    a trip declared to a city covers a record of one of its counties."""
    last = stay.end or stay.start
    if last is None or not stay.region or stay.region.startswith(home):
        return False
    first = stay.start or last
    since = declaration.day - timedelta(days=window_days)
    if last < since or first > declaration.day:
        return False
    return not any(_same_place(region, stay.region) for region, _s, _e in declaration.trips)


def _same_place(declared: str, recorded: str) -> bool:
    a, b = _trimmed(declared), _trimmed(recorded)
    return bool(a and b) and (a.startswith(b) or b.startswith(a))


def _trimmed(code: str) -> str:
    """A region code without its zero tail: 420000 → 42, 420100 → 4201."""
    code = code.strip()
    if len(code) == 6 and code.isdigit():
        if code.endswith("0000"):
            return code[:2]
        if code.endswith("00"):
            return code[:4]
    return code
