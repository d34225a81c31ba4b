"""The issuer prints and revokes paper passes (seed 000 §四.二 纸质通行卡).

For a resident without a phone, an issuer of the application's organisation prints
the signed pass on paper: a long-lived paper token (until the pass ends) in a PDF.
Each print is recorded (who, when, which token id); a new print revokes the cards
printed before for the same code (one card in a person's hand); the issuer may
revoke one, with a reason, and the code's own changes revoke it automatically
(``services/codes/paper_passes.py``). Out of the issuer's scope: not found.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from pydantic_core import PydanticCustomError

from healthcode.domain.colour import Colour
from healthcode.domain.errors import Conflict, InvalidInput, NotFound
from healthcode.domain.i18n import N_
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.codes import paper_passes as paper
from healthcode.services.codes.paper_pdf import PaperContent, render_paper_pass
from healthcode.services.codes.recolour import current_state
from healthcode.services.organisations.applications import reviewable
from healthcode.services.shared import audit
from healthcode.services.shared.bounds import check_text
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

REASON_MAX = 200


class NotSigned(Conflict):
    code = "pass_not_signed"


class AlreadyRevoked(Conflict):
    code = "paper_pass_revoked"


@dataclass(frozen=True)
class PrintedPass:
    paper_pass_id: uuid.UUID
    token_ref: str
    pdf: bytes
    token: str
    colour: Colour
    valid_until: datetime


@dataclass(frozen=True)
class PaperPassRecord:
    """One printed paper pass, as the application's staff page lists it."""

    paper_pass_id: uuid.UUID
    token_ref: str
    colour: Colour
    valid_until: datetime
    issued_at: datetime
    issued_by: str
    revoked_at: datetime | None
    revoke_reason: str | None

    def standing(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.valid_until


def issue_paper_pass(
    uow: UnitOfWork, env: Env, who: Principal, *, application_id: uuid.UUID, client: str = ""
) -> PrintedPass:
    """Print the signed pass of ``application_id`` on paper, in its current colour."""
    found = uow.declarations.by_id(application_id)
    if found is not None and found.resident_id is not None:
        uow.residents.lock(found.resident_id)  # as a recolour would, before reading the state
    application, resident, policy = reviewable(
        uow, env, who, application_id, permission=Permission.PASS_SIGN
    )
    state = current_state(uow, env, resident_id=resident.id, policy=policy)
    now = env.clock.now()
    until = paper.standing_until(state, now)
    if state.application_id != str(application.id) or until is None or not state.colour.signed:
        raise NotSigned(
            N_("Only a signed pass that has not ended can be printed; this application's has not")
        )
    for earlier in uow.paper_passes.standing(resident.id, policy.id, now):
        # one card in a person's hand: a reprint (a lost card, a double click) revokes
        # the cards printed before, which stayed valid beside it
        paper.revoke(
            uow, env, earlier, code=paper.SUPERSEDED, reason="reprinted",
            actor_id=who.account_id, client=client,
        )  # fmt: skip
    signed = paper.sign_paper_token(uow, env, resident=resident, policy_id=policy.id, state=state)
    organisation = (
        uow.organisations.by_id(application.organisation_id)
        if application.organisation_id is not None
        else None
    )
    row = t.PaperPass(
        id=uuid.uuid4(),
        token_id=signed.claims.token_id,
        kid=signed.kid,
        application_id=application.id,
        resident_id=resident.id,
        policy_id=policy.id,
        colour=state.colour.value,
        valid_until=until,
        issued_by=who.account_id,
        issued_at=now,
        organisation_id=application.organisation_id,
    )
    uow.add(row)
    uow.flush()
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="paper_pass.issued",
        resident_id=resident.id,
        detail={
            "application": str(application.id),
            "paper_pass": str(row.id),
            "token_id": row.token_id.hex(),
            "colour": row.colour,
        },
        client=client,
    )
    pdf = render_paper_pass(
        PaperContent(
            token=signed.text,
            policy=policy,
            colour=state.colour,
            name_masked=resident.name_masked,
            id_masked=resident.id_masked,
            valid_until=until,
            issued_at=now,
            organisation=organisation.name if organisation is not None else "",
            token_ref=token_ref(row.token_id),
        )
    )
    return PrintedPass(row.id, token_ref(row.token_id), pdf, signed.text, state.colour, until)


def revoke_paper_pass(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    paper_pass_id: uuid.UUID,
    reason: str,
    client: str = "",
) -> PaperPassRecord:
    """Withdraw a printed pass (lost, given to someone else…); the reason is required."""
    row = _paper_pass(uow, env, who, paper_pass_id, Permission.PASS_SIGN, lock=True)
    reason = _reason(reason)
    if row.revoked_at is not None:
        raise AlreadyRevoked(N_("This paper pass has already been revoked"))
    paper.revoke(
        uow, env, row, code=paper.BY_ISSUER, reason=reason, actor_id=who.account_id, client=client
    )
    return _record(uow, row)


def application_of(
    uow: UnitOfWork, env: Env, who: Principal, *, paper_pass_id: uuid.UUID
) -> uuid.UUID:
    """The application a paper pass the caller may read was printed for."""
    return _paper_pass(uow, env, who, paper_pass_id, Permission.APPLICATION_READ).application_id


def _paper_pass(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    paper_pass_id: uuid.UUID,
    permission: Permission,
    *,
    lock: bool = False,
) -> t.PaperPass:
    """A paper pass of an application the caller may act on, else the same "not found"
    whether it exists or not. Until stop 43 another organisation's pass answered "no
    such application" and a made-up id "no such paper pass" (an outside probe)."""
    missing = NotFound(N_("No such paper pass"))
    row = uow.paper_passes.by_id(paper_pass_id, lock=lock)
    if row is None:
        raise missing
    try:
        reviewable(uow, env, who, row.application_id, permission=permission)
    except NotFound:
        raise missing from None
    return row


def list_paper_passes(
    uow: UnitOfWork, env: Env, who: Principal, *, application_id: uuid.UUID
) -> list[PaperPassRecord]:
    """The paper passes printed for an application the caller may read, newest first."""
    reviewable(uow, env, who, application_id)
    return [_record(uow, row) for row in uow.paper_passes.of_application(application_id)]


def token_ref(token_id: bytes) -> str:
    """How a paper pass is named to people: its token id's first 8 hex digits."""
    return token_id.hex()[:8].upper()


def _reason(reason: str) -> str:
    text = reason.strip()
    try:
        check_text(text)
    except PydanticCustomError:
        raise InvalidInput.single(
            "reason", "control_character", N_("Use ordinary text, without control characters")
        ) from None
    if not text:
        raise InvalidInput.single(
            "reason", "required", N_("Say why the paper pass is revoked (lost, stolen…)")
        )
    if len(text) > REASON_MAX:
        raise InvalidInput.single(
            "reason", "too_long", N_("At most {max} characters"), max=REASON_MAX
        )
    return text


def _record(uow: UnitOfWork, row: t.PaperPass) -> PaperPassRecord:
    issuer = uow.accounts.by_id(row.issued_by)
    return PaperPassRecord(
        paper_pass_id=row.id,
        token_ref=token_ref(row.token_id),
        colour=Colour(row.colour),
        valid_until=row.valid_until,
        issued_at=row.issued_at,
        issued_by=(issuer.display_name or issuer.username or "") if issuer is not None else "",
        revoked_at=row.revoked_at,
        revoke_reason=row.revoke_reason,
    )
