"""What follows a signature: the resident is told what the colour means for them.

* yellow, "more information needed" (待行): exactly what the issuer asked for, as a
  message and on the code page; the resident supplements it by applying again;
* red, "not eligible" (禁行): report to your community, in the policy's own words
  (the next step of the red finding, else of the policy's first red rule), and the
  community's prevention contact is told (``prevention.tell_prevention_contact``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from healthcode.domain.colour import Colour
from healthcode.domain.policy import LocalText, Policy
from healthcode.domain.signing import INFO_NEEDED, InfoNeeded
from healthcode.domain.state import State
from healthcode.services.codes.recolour import current_state
from healthcode.services.notices import events
from healthcode.services.organisations.prevention import tell_prevention_contact
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

REPORT_TO_COMMUNITY: LocalText = {
    "zh": "请向所在社区（村）报告。",
    "en": "Report to your community (village).",
}


@dataclass(frozen=True)
class Decision:
    """The issuer's decision on the pass the resident holds, in the resident's terms."""

    colour: Colour
    signed_at: datetime
    requested: tuple[InfoNeeded, ...]  # yellow: what to supply
    note: str
    next_step: LocalText | None  # red: report to the community


def tell_outcome(
    uow: UnitOfWork,
    env: Env,
    *,
    application: t.Declaration,
    policy: Policy,
    state: State,
    colour: Colour,
    requested: Sequence[InfoNeeded],
    note: str,
) -> None:
    assert application.resident_id is not None
    if colour is Colour.YELLOW:
        items = [INFO_NEEDED[r] for r in requested if r is not InfoNeeded.OTHER]
        events.notify_more_information(
            uow,
            env,
            application.resident_id,
            [*items, note] if note else items,
            policy_id=policy.id,
        )
    elif colour is Colour.RED:
        community = _community_of(uow, application.organisation_id)
        if community is not None:
            reason = ", ".join(r.rule_id for r in state.reasons if r.colour is Colour.RED)
            tell_prevention_contact(uow, env, community, application.resident_id, note or reason)
            events.notify_prevention_contact(
                uow, env, community.id, application.resident_id, note or reason
            )


def red_next_step(policy: Policy, state: State) -> LocalText:
    """The policy's words for someone found not eligible."""
    for reason in state.reasons:
        rule = next((r for r in policy.rules if r.id == reason.rule_id), None)
        if rule is not None and rule.mechanism is None and reason.colour is Colour.RED:
            return dict(rule.next_step)
    for rule in policy.rules:
        if rule.mechanism is None and rule.colour is Colour.RED and rule.next_step:
            return dict(rule.next_step)
    return dict(REPORT_TO_COMMUNITY)


def decision_of(
    uow: UnitOfWork, env: Env, *, resident_id: uuid.UUID, policy: Policy
) -> Decision | None:
    """The yellow or red decision behind the resident's current pass, if that is what
    they hold: what to supply, or whom to report to."""
    state = current_state(uow, env, resident_id=resident_id, policy=policy)
    if state.application_id is None or state.valid_until is None:
        return None
    signatures = uow.signatures.for_declarations([uuid.UUID(state.application_id)])
    if not signatures:
        return None
    last = signatures[-1]
    colour = Colour(last.colour)
    if colour is Colour.GREEN or state.colour is not colour:
        return None
    return Decision(
        colour=colour,
        signed_at=last.signed_at,
        requested=tuple(InfoNeeded(r) for r in last.requested or ()),
        note=last.note,
        next_step=red_next_step(policy, state) if colour is Colour.RED else None,
    )


def _community_of(uow: UnitOfWork, organisation_id: uuid.UUID | None) -> t.Organisation | None:
    """The community or village the application went to; an employer's own."""
    organisation = uow.organisations.by_id(organisation_id) if organisation_id else None
    if organisation is not None and organisation.kind == "employer" and organisation.parent_id:
        return uow.organisations.by_id(organisation.parent_id)
    return organisation
