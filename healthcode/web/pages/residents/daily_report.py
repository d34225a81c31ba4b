"""The daily health report (健康上报 → 每日健康上报): one screen, two taps if normal.

Tap a temperature chip and the big button; symptoms start unticked. Contacts and
trips since the declaration are folded away below, for the day they matter.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import FormData

from healthcode.domain.errors import DomainError
from healthcode.domain.policy import Model, Policy
from healthcode.domain.state import State
from healthcode.http.deps import EnvDep, UowDep
from healthcode.http.security import ResidentDep
from healthcode.http.views import CodeView, code_view
from healthcode.services.codes import health_codes as codes
from healthcode.services.residents import daily_reports as reports
from healthcode.services.residents.inputs import DailyReportInput
from healthcode.services.shared.env import Env
from healthcode.web import stash
from healthcode.web.deps import FormDep, known_policy
from healthcode.web.forms import FormState, health_payload, parse, read_form, reject
from healthcode.web.pages.residents.declare import LISTS, health_fields
from healthcode.web.templating import render
from healthcode.web.views import streak

router = APIRouter(include_in_schema=False)


def _page(
    request: Request,
    env: Env,
    policy: Policy,
    state: State,
    form: FormState,
    *,
    status: int = 200,
    code_url: str = "",
    **whose: Any,
) -> Response:
    view: CodeView = code_view(policy, state)
    return render(
        request,
        "residents/report.html",
        status=status,
        headers={"Cache-Control": "no-store"},
        code_url=code_url or f"/codes/{policy.id}",
        **({"member": None, "counter": None} | whose),
        policy=policy,
        code=view,
        form=form,
        is_pass=policy.model is Model.PASS,
        streak=streak(state),
        **health_fields(env, policy),
    )


@router.get("/codes/{policy_id}/report")
def report_form(
    request: Request, policy_id: str, principal: ResidentDep, uow: UowDep, env: EnvDep
) -> Response:
    return show_report_form(request, uow, env, principal.resident_id, policy_id)


def show_report_form(
    request: Request,
    uow: UowDep,
    env: EnvDep,
    resident_id: uuid.UUID | None,
    policy_id: str,
    *,
    code_url: str = "",
    **whose: Any,
) -> Response:
    """The form for ``resident_id`` (one's own, or a family member's: ``whose`` names
    them and ``code_url`` is their code page)."""
    policy = known_policy(env, policy_id)
    code_url = code_url or f"/codes/{policy.id}"
    try:
        state = codes.read_code_state(uow, env, resident_id=resident_id, policy_id=policy.id)
    except codes.NoCode:
        return RedirectResponse(f"/declare/{policy.id}", status_code=303)
    if not state.takes_reports:  # pending, or a lapsed pass: its page says what is next
        return RedirectResponse(code_url, status_code=303)
    kept = stash.restore(request)  # typed before a language switch or a sign-in
    form = read_form(kept.form, list_fields=LISTS) if kept else FormState(trip_rows=1)
    return _page(request, env, policy, state, form, code_url=code_url, **whose)


@router.post("/codes/{policy_id}/report")
def submit_report(
    request: Request,
    policy_id: str,
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
    data: FormDep,
) -> Response:
    return take_report(request, uow, env, data, principal.resident_id, policy_id)


def take_report(
    request: Request,
    uow: UowDep,
    env: EnvDep,
    data: FormData,
    resident_id: uuid.UUID | None,
    policy_id: str,
    *,
    code_url: str = "",
    submit: Callable[[DailyReportInput], object] | None = None,
    **whose: Any,
) -> Response:
    """Take the report for ``resident_id``; ``submit`` sends it another way than the
    resident's own (an officer's, scoped and audited)."""
    policy = known_policy(env, policy_id)
    code_url = code_url or f"/codes/{policy.id}"
    form = read_form(data, list_fields=LISTS)
    payload, layout = health_payload(form, policy.form.exposures)
    try:
        report = parse(DailyReportInput, payload)
        if submit is None:
            reports.submit_daily_report(
                uow, env, resident_id=resident_id, policy_id=policy.id, data=report
            )
        else:
            submit(report)
    except reports.DeclareFirst:
        return RedirectResponse(f"/declare/{policy.id}", status_code=303)
    except reports.NotSignedYet:
        return RedirectResponse(code_url, status_code=303)
    except DomainError as error:
        uow.refused(error)
        reject(form, layout, error)
        state = codes.read_code_state(uow, env, resident_id=resident_id, policy_id=policy.id)
        return _page(
            request, env, policy, state, form, status=error.status, code_url=code_url, **whose
        )
    return RedirectResponse(f"{code_url}?reported=1", status_code=303)
