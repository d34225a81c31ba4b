"""A pass application's code as the application's own organisation may see it.

The code a staff member is shown beside an application is the resident's state now,
which may rest on another organisation's work: an application the resident sent
elsewhere since, the signature another organisation's issuer made, a manual colour
its officers approved. An issuer learns of none of it (docs/review.md, "What an
issuer sees of another organisation"): what belongs to another organisation is left
out, never its application's id, its issuer's note or its officers' reason. Until
stop 43 an issuer who opened an old application read the id of the one the resident
sent to another community since, the colour its issuer signed and the override's
reason (an outside probe).
"""

from __future__ import annotations

import uuid
from dataclasses import replace

from healthcode.domain import overrides
from healthcode.domain.colour import Colour
from healthcode.domain.policy import Mechanism, Policy
from healthcode.domain.state import Evidence, EvidenceKind, Reason, State
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork


def seen_from(uow: UnitOfWork, policy: Policy, state: State, application: t.Declaration) -> State:
    """``state`` with only what belongs to ``application``'s organisation:

    * the code stands on this application, or another of the same organisation: as it
      is, a new application sent elsewhere (``under_review``) left out;
    * this application waits beside another organisation's signed pass: the
      application as waiting, with the rules' findings and suggestion only;
    * otherwise the resident's code is now another organisation's: no colour, no
      reason (``Colour.NONE``)."""
    own = _Own(uow, application)
    if own.holds(state.application_id):
        seen = replace(state, reasons=tuple(_override_seen(own, r) for r in state.reasons))
        if own.holds(state.under_review):
            return seen
        hidden = {state.under_review}
        return replace(
            seen,
            under_review=None,
            suggested=None,  # the rules' suggestion for the hidden application
            reasons=tuple(_without(r, hidden) for r in seen.reasons),
        )
    if state.awaiting_signature == str(application.id):
        life = {r.id for r in policy.rules if r.mechanism is not None}
        hidden = {state.application_id}
        findings = tuple(
            _without(r, hidden)
            for r in state.reasons
            if r.rule_id not in life and r.rule_id != overrides.RULE_ID
        )
        return replace(
            state,
            colour=Colour.PENDING,
            reasons=findings,
            next_step=policy.mechanism(Mechanism.AWAITING_SIGNATURE).next_step,
            next_change=None,
            valid_until=None,
            application_id=str(application.id),
            report_due=None,
            under_review=None,
        )
    return State(state.policy, Colour.NONE, state.evaluated_at)


class _Own:
    """What belongs to the application's organisation: its applications, its officers'
    manual colours (remembered, each looked up once)."""

    def __init__(self, uow: UnitOfWork, application: t.Declaration) -> None:
        self.uow, self.application = uow, application
        self.organisation_id = application.organisation_id

    def holds(self, application_id: str | None) -> bool:
        if application_id is None or application_id == str(self.application.id):
            return True
        other = self.uow.declarations.by_id(_uuid(application_id))
        return (
            other is not None
            and self.organisation_id is not None
            and other.organisation_id == self.organisation_id
        )

    def made(self, override_id: str) -> bool:
        row = self.uow.overrides.by_id(_uuid(override_id))
        return row is not None and row.organisation_id == self.organisation_id


def _override_seen(own: _Own, reason: Reason) -> Reason:
    """A manual colour another organisation's officers approved paints this pass: its
    colour shows, their reason and the override's id do not."""
    if reason.rule_id != overrides.RULE_ID:
        return reason
    if all(own.made(e.id) for e in reason.evidence if e.kind is EvidenceKind.OVERRIDE):
        return reason
    return replace(reason, detail="", evidence=())


def _without(reason: Reason, hidden: set[str | None]) -> Reason:
    """The reason without the evidence that names a hidden application."""
    kept: tuple[Evidence, ...] = tuple(e for e in reason.evidence if e.id not in hidden)
    return reason if kept == reason.evidence else replace(reason, evidence=kept)


def _uuid(text: str) -> uuid.UUID:
    try:
        return uuid.UUID(text)
    except ValueError:
        return uuid.UUID(int=0)  # names nothing
