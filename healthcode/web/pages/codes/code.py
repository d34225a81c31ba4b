"""The code page (展码页), its live QR fragment, and the history of colour changes.

The page shows a QR of a fresh short-lived token (so a screenshot goes stale), the
colour in words and as a shape, the reasons and the next step. With JavaScript the
QR is replaced by a fresh one from ``/live`` before it expires; without, the page
itself always shows a current one and offers a refresh link.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup

from healthcode.domain.colour import Colour
from healthcode.domain.policy import Model, Policy
from healthcode.domain.qr import QR_DARK, qr_svg
from healthcode.domain.records import DEPARTMENT_NAMES, KIND_NAMES
from healthcode.domain.signing import INFO_NEEDED
from healthcode.http.deps import EnvDep, UnitsDep, UowDep
from healthcode.http.security import ResidentDep, TokenDep, signed_in
from healthcode.http.views import code_view, colour_change_view
from healthcode.services.codes import code_page as code_page_service
from healthcode.services.codes import health_codes as codes
from healthcode.services.organisations import outcomes, routing
from healthcode.web.deps import known_policy
from healthcode.web.labels import CAUSES, EVIDENCE, ICONS, PLACES
from healthcode.web.templating import render
from healthcode.web.views import last_valid_day, streak

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(frozen=True)
class LiveQr:
    svg: Markup
    colour: Colour
    issued_at: datetime
    expires_in: int  # seconds left: the page marks the code stale after them
    refresh_in: int


def live_qr(shown: codes.DisplayCode) -> LiveQr:
    claims = shown.claims
    svg = Markup(qr_svg(shown.token, dark=QR_DARK[claims.colour]))  # segno's own markup
    return LiveQr(svg, claims.colour, claims.issued_at, shown.expires_in, shown.refresh_in)


@router.get("/codes/{policy_id}")
def code_page(
    request: Request,
    policy_id: str,
    token: TokenDep,
    units: UnitsDep,
    env: EnvDep,
    welcome: bool = False,
    reported: bool = False,
) -> Response:
    """The hot path (issue 14): one read for a health code; a pass adds its decision."""
    policy = known_policy(env, policy_id)
    try:
        principal, shown = code_page_service.display(
            units, env, token=signed_in(token), policy_id=policy.id
        )
    except codes.NoCode:
        return RedirectResponse(f"/declare/{policy.id}", status_code=303)
    return render(
        request,
        "codes/code.html",
        headers=NO_STORE,
        policy=policy,
        code=code_view(policy, shown.state, unrouted=routing.waits_unrouted(units, shown.state)),
        claims=shown.claims,
        qr=live_qr(shown),
        icon=ICONS[shown.state.colour],
        streak=streak(shown.state),
        last_day=last_valid_day(shown.state.valid_until),
        now=env.clock.now(),
        welcome=welcome,
        reported=reported,
        places=PLACES,
        evidence_kinds=EVIDENCE,
        decision=_decision(units, env, principal.resident_id, policy),
        info_needed=INFO_NEEDED,
        may_ring=shown.state.awaiting_signature is not None,
    )


def _decision(
    units: UnitsDep, env: EnvDep, resident_id: uuid.UUID | None, policy: Policy
) -> outcomes.Decision | None:
    """A yellow pass: what to supply; a red one: whom to report to (the issuer's words)."""
    if resident_id is None or policy.model is not Model.PASS:
        return None
    with units() as uow:
        return outcomes.decision_of(uow, env, resident_id=resident_id, policy=policy)


@router.get("/codes/{policy_id}/live")
def live_fragment(
    request: Request, policy_id: str, token: TokenDep, units: UnitsDep, env: EnvDep
) -> Response:
    """A fresh QR for the page's script to swap in."""
    policy = known_policy(env, policy_id)
    _, shown = code_page_service.display(units, env, token=signed_in(token), policy_id=policy.id)
    return qr_fragment(request, env, policy, shown)


def qr_fragment(
    request: Request, env: EnvDep, policy: Policy, shown: codes.DisplayCode
) -> Response:
    """The live QR's fragment (``codes/_qr.html``), for a page's script to swap in."""
    return render(
        request,
        "codes/_qr.html",
        headers=NO_STORE,
        qr=live_qr(shown),
        label=code_view(policy, shown.state).colour_label,
        now=env.clock.now(),
    )


@router.get("/codes/{policy_id}/history")
def history_page(
    request: Request, policy_id: str, principal: ResidentDep, uow: UowDep, env: EnvDep
) -> Response:
    policy = known_policy(env, policy_id)
    changes = codes.list_colour_changes(
        uow, env, resident_id=principal.resident_id, policy_id=policy.id
    )
    return render(
        request,
        "codes/history.html",
        headers=NO_STORE,
        policy=policy,
        changes=[colour_change_view(c, policy) for c in changes],
        causes=CAUSES,
        departments=DEPARTMENT_NAMES,
        kinds=KIND_NAMES,
        icons=ICONS,
    )
