"""A manual colour override (DESIGN.md §6 "No single hand can paint a code"): pure.

One officer proposes a colour with a reason, a different officer approves it; the
approved override is a fact. It paints the code from its approval until the first of:

* its stated end (``ends_at``), or
* a change in the rules' own view: the colour, the rule ids, or the application the
  code stands on and its signature differ from what the engine gave without the
  override at the approval instant (a new finding, a lapse, a missed daily report, a
  new signature). The officers decided over what was known then; anything the rules
  weigh that changes hands the code back to the rules. A normal daily report that
  changes nothing keeps it. Until stop 43 only the colour and the rule ids were
  compared, and a new signature gives the same ones (``SD-SIGNED``): an override
  approved over one pass painted the next one, signed red by its issuer, yellow.

A pending pass painted by hand still waits for its signature: the application stays
in the issuers' queue (``under_review``), and the signature ends the override.

The state keeps the rules' reasons beneath the override's, so the resident and any
officer still see what the rules say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from healthcode.domain.clock import day_of
from healthcode.domain.colour import Colour
from healthcode.domain.facts import Override
from healthcode.domain.state import Change, Evidence, EvidenceKind, Reason, State

RULE_ID = "manual_override"
TEXT = {
    "zh": "经两名工作人员审核批准的人工调整",
    "en": "A manual change approved by two officers",
}
NEXT_STEP = {
    "zh": "如有异议，请联系所在社区或拨打12345热线。",
    "en": "If you disagree, contact your community or call the 12345 hotline.",
}
BASIS = "DESIGN.md §6: 任何人工调整需两名工作人员（一人提出并说明理由，另一人批准）"


def latest(found: Sequence[Override], now: datetime) -> Override | None:
    """The latest approved override known at `now`, unless its stated end has come."""
    if not found:
        return None
    last = max(found, key=lambda o: o.at)
    return last if last.ends_at is None or now < last.ends_at else None


def same_view(before: State, now: State) -> bool:
    """The rules say what they said: the same colour for the same rules, over the same
    application and signature (a pass's application, and its end, which the signing
    day sets). A new signature is a new view even in the same colour and rules."""
    return (
        before.colour is now.colour
        and set(before.rule_ids) == set(now.rule_ids)
        and (before.application_id, before.valid_until) == (now.application_id, now.valid_until)
    )


def apply(state: State, override: Override) -> State:
    reason = Reason(
        rule_id=RULE_ID,
        colour=override.colour,
        text=TEXT,
        next_step=NEXT_STEP,
        basis=BASIS,
        evidence=(Evidence(EvidenceKind.OVERRIDE, override.id, day_of(override.at)),),
        lapses_at=override.ends_at,
        detail=override.reason,
    )
    change = state.next_change
    if override.ends_at is not None and (change is None or override.ends_at < change.at):
        change = Change(override.ends_at, state.colour, False)
    return replace(
        state,
        colour=override.colour,
        reasons=(reason, *state.reasons),
        next_step=NEXT_STEP,
        next_change=change,
        # a pending pass painted by hand is still unsigned: it stays in the issuers'
        # queue and may be signed (which ends the override); it left the queue, and no
        # issuer could sign it until the override ended
        under_review=state.application_id if state.colour is Colour.PENDING else state.under_review,
    )
