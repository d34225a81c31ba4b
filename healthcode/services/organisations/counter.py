"""A counter application (现场办理, seed 000 §四.二): for a person without a phone.

An issuer enters the declaration at the counter of their organisation, having seen
the person's ID card, and records that the pledge was signed on paper (who, when);
the application is checked by the rules and signed at once, and the signed pass is
shown for printing (the PDF comes with the scanning issue). The person's record has
no account; an account they open later binds to it by the ID number as usual.

The pass stays green only by a daily report (seed 000 §四.一), which such a person
cannot send: they give it at the counter or by telephone, and the officer enters it
(现场上报, ``report_at_counter``). Without it the pass turned yellow on the second day
and the printed card was revoked as ``paper_colour_worse``.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from pydantic import Field

from healthcode.domain.clock import day_of
from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.domain.identity.id_number import parse_id_number
from healthcode.domain.policy import Model, Policy
from healthcode.domain.signing import InfoNeeded
from healthcode.domain.state import State
from healthcode.services.accounts.permissions import Permission, Principal, Role
from healthcode.services.codes.recolour import Cause, recolour
from healthcode.services.organisations.applications import reviewable
from healthcode.services.organisations.signing import sign_pass
from healthcode.services.residents.binding import refuse_other_name, resident_at_counter
from healthcode.services.residents.daily_reports import submit_daily_report
from healthcode.services.residents.declarations import declared_columns, refuse_while_green
from healthcode.services.residents.inputs import DailyReportInput, DeclarationInput
from healthcode.services.residents.validation import ValidDeclaration, validate_declaration
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

_STILL_GREEN = N_(
    "This person's pass is green and valid until {until}: find it above by their ID "
    "number to print the card again; a new application is taken from {again}"
)


class CounterInput(DeclarationInput):
    """The declaration as the officer enters it; ``pledge`` is the paper pledge, signed."""

    id_card_checked: bool = Field(description="the officer has seen the ID card (身份证已核验)")
    organisation_id: uuid.UUID | None = Field(None, description="the counter's organisation")
    colour: Colour
    note: str = Field("", max_length=500)
    requested: list[InfoNeeded] = Field(default_factory=list, max_length=5)


@dataclass(frozen=True)
class Counter:
    """Where an officer may take counter applications."""

    id: uuid.UUID
    name: str


@dataclass(frozen=True)
class CounterPass:
    """The signed pass, to show and print."""

    application_id: uuid.UUID
    policy: Policy
    name_masked: str
    id_masked: str
    state: State


def counters_of(uow: UnitOfWork, who: Principal) -> Sequence[Counter]:
    rows = uow.authorisations.organisations_of(who.account_id, Role.ISSUER.value)
    return [Counter(o.id, o.name) for o in rows]


def enter_counter_application(
    uow: UnitOfWork, env: Env, who: Principal, *, data: CounterInput, client: str = ""
) -> CounterPass:
    policy = env.policies.find(data.policy)
    if policy.model is not Model.PASS:
        raise InvalidInput.single("policy", "not_a_pass", N_("Choose a pass to apply for"))
    organisation_id = _counter(uow, who, data.organisation_id)
    now = env.clock.now()
    valid = validate_declaration(data, policy, day_of(now))
    if not data.id_card_checked:
        raise InvalidInput.single(
            "id_card_checked", "required", N_("Check the ID card before entering the application")
        )
    _same_name(uow, env, valid)
    resident = resident_at_counter(uow, env, valid)
    uow.residents.lock(resident.id)
    now = env.clock.now()  # after the lock: later than a signature made while waiting
    refuse_while_green(uow, env, resident.id, policy, _STILL_GREEN)
    row = t.Declaration(
        id=uuid.uuid4(),
        resident_id=resident.id,
        policy_id=policy.id,
        policy_version=policy.version,
        submitted_at=now,
        confirmed_at=now,
        **declared_columns(valid.data),  # place names now codes
        organisation_id=organisation_id,
        entered_by=who.account_id,
        paper_pledge_at=now,
    )
    uow.add(row)
    uow.flush()
    recolour(uow, env, resident_id=resident.id, policy=policy, cause=Cause.DECLARATION)
    row.checked_at = env.clock.now()  # the data check, as for an application from the app
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="application.counter",
        resident_id=resident.id,
        detail={"application": str(row.id), "id_card_checked": True, "paper_pledge": True},
        client=client,
    )
    state = sign_pass(
        uow,
        env,
        who,
        application_id=row.id,
        colour=data.colour,
        note=data.note,
        requested=data.requested,
        client=client,
    )
    return CounterPass(row.id, policy, resident.name_masked, resident.id_masked, state)


def _same_name(uow: UnitOfWork, env: Env, valid: ValidDeclaration) -> None:
    """A person already registered under this ID number is entered under their own
    name: a different one is refused by name (the card is someone else's, or the name
    was mistyped), never written over theirs. Until stop 43 a counter application
    with a resident's ID number and any name renamed the resident (an outside probe)."""
    id_hash = env.protector.keyed_hash(valid.id_number.value, kind="id_number")
    refuse_other_name(
        uow.residents.by_id_hash(id_hash, lock=True),
        valid.name,
        N_(
            "This ID number is registered under another name: check the name on the "
            "ID card; a registered name is not changed at the counter"
        ),
    )


@dataclass(frozen=True)
class Reporter:
    """Whose daily report an officer enters: the pass of one application."""

    application_id: uuid.UUID
    resident_id: uuid.UUID
    policy: Policy
    name_masked: str
    id_masked: str


def reporter(
    uow: UnitOfWork, env: Env, who: Principal, *, application_id: uuid.UUID, lock: bool = False
) -> Reporter:
    """The applicant, if the officer may sign for the application's organisation and
    it is the one the person's pass stands on now (else 404): an old application must
    not let its issuer report for a person whose pass another organisation signed
    since. ``lock``: the person locked first, so the pass cannot move meanwhile."""
    _, resident, policy = reviewable(uow, env, who, application_id, permission=Permission.PASS_SIGN)
    if lock:
        uow.residents.lock(resident.id)
    code = uow.codes.of_resident(resident.id, policy.id, lock=lock)
    if code is None or code.application_id != application_id:
        raise NotFound(N_("This is not the person's current application; open their current one"))
    return Reporter(application_id, resident.id, policy, resident.name_masked, resident.id_masked)


def find_current(uow: UnitOfWork, env: Env, who: Principal, *, id_number: str) -> uuid.UUID:
    """The application a person's pass stands on, by their ID number: a card holder
    back on a later day to report or for a new card (no queue lists a signed pass).
    Only within the officer's organisations (else not found); audit-logged."""
    card = parse_id_number(id_number, today=day_of(env.clock.now()), field="id_number")
    resident = uow.residents.by_id_hash(env.protector.keyed_hash(card.value, kind="id_number"))
    codes = [] if resident is None else uow.codes.all_of_resident(resident.id)
    current = next(
        (
            c.application_id
            for c in codes
            if c.application_id is not None and c.policy_id in env.policies
            if env.policies.find(c.policy_id).model is Model.PASS
        ),
        None,
    )
    if resident is None or current is None:
        raise NotFound(N_("No pass of this person within your organisations"))
    try:
        reviewable(uow, env, who, current, permission=Permission.PASS_SIGN)
    except NotFound:
        raise NotFound(N_("No pass of this person within your organisations")) from None
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="application.found",
        resident_id=resident.id,
        detail={"application": str(current)},
    )
    return current


def report_at_counter(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    application_id: uuid.UUID,
    data: DailyReportInput,
    client: str = "",
) -> State:
    """The daily report, entered by the officer; the same rules as one sent from the app."""
    person = reporter(uow, env, who, application_id=application_id, lock=True)
    state = submit_daily_report(
        uow, env, resident_id=person.resident_id, policy_id=person.policy.id, data=data
    )
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="daily_report.counter",
        resident_id=person.resident_id,
        detail={"application": str(application_id)},
        client=client,
    )
    return state


def _counter(uow: UnitOfWork, who: Principal, chosen: uuid.UUID | None) -> uuid.UUID:
    """The organisation must be one the officer signs for (routed there, and scoped)."""
    held = {c.id for c in counters_of(uow, who)}
    if chosen is None and len(held) == 1:
        return next(iter(held))
    if chosen is None:
        raise InvalidInput.single(
            "organisation_id", "required", N_("Choose the organisation of this counter")
        )
    if chosen not in held:  # out of scope reads as not found, as everywhere
        raise NotFound(N_("No such organisation"))
    return chosen
