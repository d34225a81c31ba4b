"""A resident's evaluated state: the colour and everything needed to explain it.

Users of deployed health codes could not learn why they were red or how to become
green (DESIGN.md §6), so a state never travels without its reasons, the next step
and the date it can change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from healthcode.domain.clock import day_of, start_of
from healthcode.domain.colour import Colour
from healthcode.domain.policy import LocalText


class EvidenceKind(StrEnum):
    OBSERVATION = "observation"
    RECORD = "record"
    CREDIT_RECORD = "credit_record"
    SIGNATURE = "signature"
    OVERRIDE = "override"


_DISPUTABLE = frozenset({EvidenceKind.RECORD, EvidenceKind.OVERRIDE, EvidenceKind.CREDIT_RECORD})


@dataclass(frozen=True)
class Evidence:
    """A fact behind a reason, by reference: the resident or an officer can look it up."""

    kind: EvidenceKind
    id: str
    day: date


@dataclass(frozen=True)
class Reason:
    rule_id: str
    colour: Colour
    text: LocalText
    next_step: LocalText
    basis: str
    evidence: tuple[Evidence, ...] = ()
    lapses_at: datetime | None = None  # when it stops applying if reports stay normal
    needs_reports: bool = False  # the lapse depends on normal daily reports
    detail: str = ""  # free text, e.g. the issuer's note
    streak: tuple[int, int] | None = None  # normal days so far of those needed ("5/14")


@dataclass(frozen=True)
class Change:
    """The next colour change that would happen if nothing new is learnt."""

    at: datetime
    colour: Colour
    needs_reports: bool  # "if daily reports stay normal"
    # it happens only if the day before ``at`` has no daily report: a pass's next
    # missed report, which a report that day prevents
    if_report_missed: bool = False


@dataclass(frozen=True)
class State:
    policy: str  # id@version
    colour: Colour
    evaluated_at: datetime
    reasons: tuple[Reason, ...] = ()
    next_step: LocalText | None = None
    next_change: Change | None = None
    valid_until: datetime | None = None  # a signed pass's end of validity
    suggested: Colour | None = None  # for an application awaiting a signature: what the rules say
    application_id: str | None = None
    report_due: date | None = None  # today's daily report is still missing
    under_review: str | None = None  # a new application waiting while the signed pass stands

    @property
    def policy_id(self) -> str:
        return self.policy.split("@", 1)[0]

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return tuple(r.rule_id for r in self.reasons)

    @property
    def colour_rule_ids(self) -> tuple[str, ...]:
        """The rules behind its colour (of the reasons, those of that colour)."""
        return tuple(r.rule_id for r in self.reasons if r.colour is self.colour)

    @property
    def lapsed(self) -> bool:
        """A pass past its validity: applying again is what helps; a daily report no
        longer keeps it (seed 000: 健康通行卡已过期、需重新申报)."""
        return self.valid_until is not None and self.valid_until <= self.evaluated_at

    @property
    def takes_reports(self) -> bool:
        """Daily reports count: a signed colour (not while pending) that has not lapsed."""
        return self.colour.signed and not self.lapsed

    @property
    def appealable(self) -> bool:
        """A department's record, a manual colour or a fraud finding (a credit record)
        is behind the colour: what an appeal disputes (``services/appeals``). Not a
        signature or the resident's own answers: nothing there for anyone to withdraw."""
        return self.colour.signed and any(
            e.kind in _DISPUTABLE for r in self.reasons for e in r.evidence
        )

    @property
    def awaiting_signature(self) -> str | None:
        """The application an issuer may sign now: the pending one, or the new one
        under review beside a signed pass that still stands."""
        return self.application_id if self.colour is Colour.PENDING else self.under_review


def recheck_at(state: State) -> datetime | None:
    """The first instant the state could change with no new facts: a projected
    change, a lapse, an expiry, or the next midnight for anything counted in days."""
    now = state.evaluated_at
    candidates = [r.lapses_at for r in state.reasons if r.lapses_at is not None]
    if state.next_change is not None:
        candidates.append(state.next_change.at)
    if state.valid_until is not None:
        candidates.append(state.valid_until)
    daily = state.report_due is not None or any(r.needs_reports for r in state.reasons)
    in_validity = state.valid_until is not None and now < state.valid_until
    if daily or in_validity:
        candidates.append(start_of(day_of(now) + timedelta(days=1)))
    future = [c for c in candidates if c > now]
    return min(future) if future else None
