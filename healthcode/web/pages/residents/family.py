"""Family members' codes (代领 / 亲友码): the code of a dependant the account holds.

The page names whose code it is at the top, in words, so a parent showing a child's
code at a gate never shows their own by mistake; the QR is the dependant's own
short-lived token, refreshed like one's own (``/live``). Below it, why the colour, as
on one's own code page, and the appeal of what is behind it: the resident's appeal
pages (``appeals/resident.py``) under ``/family/{resident_id}/…``, sent by the guardian.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.security import ResidentDep
from healthcode.http.views import code_view
from healthcode.services.appeals import appeals
from healthcode.services.codes import health_codes as codes
from healthcode.services.organisations import routing
from healthcode.services.residents.dependants import (
    RELATIONSHIPS,
    DependantSummary,
    dependant_of,
    remove_dependant,
)
from healthcode.web.deps import FormDep, known_policy
from healthcode.web.forms import FormState
from healthcode.web.labels import EVIDENCE, ICONS
from healthcode.web.pages.appeals import resident as appeal_pages
from healthcode.web.pages.codes.code import live_qr, qr_fragment
from healthcode.web.pages.residents import daily_report
from healthcode.web.templating import render
from healthcode.web.views import last_valid_day, streak

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}


@router.get("/family/{resident_id}/codes/{policy_id}")
def family_code(
    request: Request,
    resident_id: uuid.UUID,
    policy_id: str,
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
    welcome: bool = False,
    reported: bool = False,
) -> Response:
    policy = known_policy(env, policy_id)
    member = dependant_of(uow, account_id=principal.account_id, resident_id=resident_id)
    try:
        shown = codes.display_code(
            uow, env, resident_id=member.resident_id, policy_id=policy.id,
            session_id=principal.session_id,
        )  # fmt: skip
    except codes.NoCode:
        return RedirectResponse(f"/declare/{policy.id}?for=dependant", status_code=303)
    return render(
        request,
        "residents/family_code.html",
        headers=NO_STORE,
        policy=policy,
        member=member,
        relationship=RELATIONSHIPS[member.relationship],
        code=code_view(
            policy, shown.state, unrouted=routing.unrouted(uow, shown.state.awaiting_signature)
        ),
        claims=shown.claims,
        qr=live_qr(shown),
        icon=ICONS[shown.state.colour],
        last_day=last_valid_day(shown.state.valid_until),
        now=env.clock.now(),
        welcome=welcome,
        reported=reported,
        streak=streak(shown.state),
        evidence_kinds=EVIDENCE,
    )


@router.get("/family/{resident_id}/codes/{policy_id}/live")
def family_live(
    request: Request,
    resident_id: uuid.UUID,
    policy_id: str,
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
) -> Response:
    """A fresh QR of the family member's code for the page's script to swap in."""
    policy = known_policy(env, policy_id)
    member = dependant_of(uow, account_id=principal.account_id, resident_id=resident_id)
    shown = codes.display_code(
        uow, env, resident_id=member.resident_id, policy_id=policy.id,
        session_id=principal.session_id,
    )  # fmt: skip
    return qr_fragment(request, env, policy, shown)


@router.post("/family/{resident_id}/remove")
def family_remove(
    request: Request,
    resident_id: uuid.UUID,
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
) -> Response:
    """Stop holding the family member's codes: the link ends, their record stays (a
    form with the CSRF token, as every form; ``web/csrf.py`` checks it)."""
    remove_dependant(
        uow, env, account_id=principal.account_id, resident_id=resident_id,
        client=client_address(request),
    )  # fmt: skip
    return RedirectResponse("/#family-title", status_code=303)


@router.get("/family/{resident_id}/codes/{policy_id}/report")
def family_report_form(
    request: Request,
    resident_id: uuid.UUID,
    policy_id: str,
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
) -> Response:
    """The family member's daily report, made by the account holder for them."""
    member = dependant_of(uow, account_id=principal.account_id, resident_id=resident_id)
    return daily_report.show_report_form(
        request, uow, env, member.resident_id, policy_id, **_whose(member, policy_id)
    )


@router.post("/family/{resident_id}/codes/{policy_id}/report")
def family_report(
    request: Request,
    resident_id: uuid.UUID,
    policy_id: str,
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
    data: FormDep,
) -> Response:
    member = dependant_of(uow, account_id=principal.account_id, resident_id=resident_id)
    return daily_report.take_report(
        request, uow, env, data, member.resident_id, policy_id, **_whose(member, policy_id)
    )


@router.get("/family/{resident_id}/codes/{policy_id}/appeal")
def family_appeal_form(
    request: Request,
    resident_id: uuid.UUID,
    policy_id: str,
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
) -> Response:
    """The appeal of what is behind the family member's colour, sent by the guardian."""
    member = dependant_of(uow, account_id=principal.account_id, resident_id=resident_id)
    return appeal_pages.show_appeal_form(
        request, uow, env, member.resident_id, policy_id, FormState(),
        **_whose(member, policy_id), appeals_url=_appeals_url(member),
    )  # fmt: skip


@router.post("/family/{resident_id}/codes/{policy_id}/appeal")
def family_appeal(
    request: Request,
    resident_id: uuid.UUID,
    policy_id: str,
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
    data: FormDep,
) -> Response:
    member = dependant_of(uow, account_id=principal.account_id, resident_id=resident_id)
    return appeal_pages.take_appeal(
        request, uow, env, data, member.resident_id, policy_id,
        actor_id=principal.account_id, appeals_url=_appeals_url(member),
        **_whose(member, policy_id),
    )  # fmt: skip


@router.get("/family/{resident_id}/appeals")
def family_appeals(
    request: Request, resident_id: uuid.UUID, principal: ResidentDep, uow: UowDep, env: EnvDep
) -> Response:
    member = dependant_of(uow, account_id=principal.account_id, resident_id=resident_id)
    return appeal_pages.show_appeals(
        request, uow, env, member.resident_id, appeals_url=_appeals_url(member), **_named(member)
    )


@router.get("/family/{resident_id}/appeals/{appeal_id}")
def family_appeal_page(
    request: Request,
    resident_id: uuid.UUID,
    appeal_id: uuid.UUID,
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
    sent: bool = False,
    again: bool = False,
) -> Response:
    member = dependant_of(uow, account_id=principal.account_id, resident_id=resident_id)
    return appeal_pages.show_appeal_page(
        request, uow, env, member.resident_id, appeal_id, sent=sent, again=again,
        appeals_url=_appeals_url(member), codes_url=f"/family/{member.resident_id}/codes",
        **_named(member),
    )  # fmt: skip


@router.get("/family/{resident_id}/appeals/{appeal_id}/evidence")
def family_appeal_evidence(
    resident_id: uuid.UUID, appeal_id: uuid.UUID, principal: ResidentDep, uow: UowDep, env: EnvDep
) -> Response:
    member = dependant_of(uow, account_id=principal.account_id, resident_id=resident_id)
    found = appeals.own_evidence(uow, resident_id=member.resident_id, appeal_id=appeal_id)
    return appeal_pages.send_evidence(env, found)


def _whose(member: DependantSummary, policy_id: str) -> dict[str, Any]:
    return {"code_url": f"/family/{member.resident_id}/codes/{policy_id}", **_named(member)}


def _named(member: DependantSummary) -> dict[str, Any]:
    return {"member": member, "relationship": RELATIONSHIPS[member.relationship]}


def _appeals_url(member: DependantSummary) -> str:
    return f"/family/{member.resident_id}/appeals"
