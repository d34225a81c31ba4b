"""The fraud case queue and a case's page (``/staff/fraud``), for officers holding
``fraud.review``: filters by status and source; the evidence; officer A proposes,
officer B (never A) approves or rejects. The same services as ``/api/v1/staff/fraud-cases``;
a case out of scope is a 404 page.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.colour import Colour
from healthcode.domain.errors import DomainError, FieldError, InvalidInput, collect
from healthcode.domain.fraud import MIN_REASON, Cause, Outcome, Source, Status, check_reason
from healthcode.domain.i18n import N_
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.errors import in_words
from healthcode.http.security import require
from healthcode.i18n import translate
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.fraud import decisions
from healthcode.services.scanning.scans import message_of
from healthcode.web.deps import FormDep
from healthcode.web.forms import FormState, decision, read_form
from healthcode.web.labels import RECORD_KINDS
from healthcode.web.pages.records.words import DEPARTMENTS
from healthcode.web.templating import render
from healthcode.web.views import region_name

router = APIRouter(include_in_schema=False)
Reviewer = Annotated[Principal, Depends(require(Permission.FRAUD_REVIEW))]
NO_STORE = {"Cache-Control": "no-store"}
HOME = "/staff/fraud"

STATUSES: Mapping[str, str] = {
    Status.OPEN: N_("Awaiting a proposal"),
    Status.PROPOSED: N_("Proposed, waiting for a second officer"),
    Status.CONFIRMED: N_("Confirmed"),
    Status.DISMISSED: N_("Dismissed"),
}
SOURCES: Mapping[str, str] = {
    Source.GATE_REPORT: N_("Gate report"),
    Source.DUPLICATE_TOKEN: N_("Duplicate code"),
    Source.CONTRADICTION: N_("Data contradiction"),
}
CAUSES: Mapping[str, str] = {
    Cause.NOT_THE_HOLDER: N_("The person at the gate was not the code's holder"),
    Cause.SAME_TOKEN_ELSEWHERE: N_("The same on-screen code was scanned at two venues"),
    Cause.DISTANT_VENUES: N_("The resident's code was scanned at distant venues within minutes"),
    Cause.UNDECLARED_TRAVEL: N_("Declared no such travel, but a travel record shows it"),
}
OUTCOMES: Mapping[str, str] = {Outcome.CONFIRM: N_("Confirm fraud"), Outcome.DISMISS: N_("Dismiss")}
CREDIT_KINDS: Mapping[str, str] = {
    "false_declaration": N_("False declaration"),
    "screenshot": N_("Screenshot of a code"),
    "another_persons_code": N_("Another person's code"),
}
DONE: Mapping[str, str] = {
    "proposed": N_("Proposed. A second officer must approve it before anything changes."),
    "confirmed": N_("Confirmed: a credit record is written, the code is red, the resident told."),
    "dismissed": N_("Dismissed: nothing changes for the resident."),
    "open": N_("Proposal rejected: the case is open again."),
}
WORDS: dict[str, Any] = {
    "statuses": STATUSES,
    "sources": SOURCES,
    "causes": CAUSES,
    "outcomes": OUTCOMES,
    "credit_kinds": CREDIT_KINDS,
    "record_kinds": RECORD_KINDS,
    "departments": DEPARTMENTS,
    "region_name": region_name,
    "colour_name": lambda value: Colour(value).label,  # what a scanned code showed
    "verdict_text": message_of,  # a scan's refusal, in words
}


@router.get(HOME)
def queue(request: Request, who: Reviewer, uow: UowDep, env: EnvDep) -> Response:
    status = request.query_params.get("status", "")
    source = request.query_params.get("source", "")
    # A filter the page does not offer is refused (as the API refuses it), not shown
    # as every case: the officer would take the list for the one asked for.
    unknown = [
        FieldError(name, "enum", N_("Choose one of the options offered"))
        for name, value, offered in (("status", status, STATUSES), ("source", source, SOURCES))
        if value and value not in offered
    ]
    if unknown:
        raise InvalidInput(*unknown)
    items = decisions.list_cases(
        uow,
        env,
        who,
        statuses=[Status(status)] if status else (),
        sources=[Source(source)] if source else (),
    )
    done = request.query_params.get("done", "")
    return render(
        request,
        "fraud/queue.html",
        headers=NO_STORE,
        items=items,
        chosen_status=status,
        chosen_source=source,
        done=translate(DONE[done]) if done in DONE else "",
        **WORDS,
    )


@router.get(HOME + "/{case_id}")
def case_page(
    request: Request, case_id: uuid.UUID, who: Reviewer, uow: UowDep, env: EnvDep
) -> Response:
    return _page(request, who, uow, env, case_id, FormState())


def _page(
    request: Request,
    who: Principal,
    uow: UowDep,
    env: EnvDep,
    case_id: uuid.UUID,
    form: FormState,
    status: int = 200,
) -> Response:
    case = decisions.show_case(uow, env, who, case_id=case_id, client=client_address(request))
    return render(
        request,
        "fraud/case.html",
        status=status,
        headers=NO_STORE,
        case=case,
        form=form,
        minimum=MIN_REASON,
        **WORDS,
    )


@router.post(HOME + "/{case_id}/proposal")
def propose(
    request: Request,
    case_id: uuid.UUID,
    who: Reviewer,
    uow: UowDep,
    env: EnvDep,
    data: FormDep,
) -> Response:
    form = read_form(data)
    reason = str(data.get("reason", ""))
    try:
        outcome = form.value("outcome")
        wrong: list[FieldError] = []  # both refused at once: one correction sends it
        if outcome not in OUTCOMES:
            wrong.append(FieldError("outcome", "required", N_("Choose confirm or dismiss")))
        collect(wrong, lambda: check_reason(reason))
        if wrong:
            raise InvalidInput(*wrong)
        decisions.propose_decision(
            uow,
            env,
            who,
            case_id=case_id,
            outcome=Outcome(outcome),
            reason=reason,
            client=client_address(request),
        )
    except DomainError as error:
        return _refused(request, who, uow, env, case_id, form, error)
    return RedirectResponse(f"{HOME}/{case_id}?done=proposed", status_code=303)


@router.post(HOME + "/{case_id}/decision")
def decide(
    request: Request,
    case_id: uuid.UUID,
    who: Reviewer,
    uow: UowDep,
    env: EnvDep,
    data: FormDep,
) -> Response:
    form = read_form(data)
    try:
        decided = decisions.decide_case(
            uow,
            env,
            who,
            case_id=case_id,
            approve=decision(form.value("decision"), "approve"),
            note=str(data.get("note", "")),
            client=client_address(request),
        )
    except DomainError as error:
        return _refused(request, who, uow, env, case_id, form, error)
    return RedirectResponse(f"{HOME}?done={decided.status.value}", status_code=303)


def _refused(
    request: Request,
    who: Principal,
    uow: UowDep,
    env: EnvDep,
    case_id: uuid.UUID,
    form: FormState,
    error: DomainError,
) -> Response:
    uow.refused(error)
    if error.status == 404:
        raise error
    for field in getattr(error, "errors", ()):
        form.add_error(field.field, translate(field.message, field.params))
    if not form.errors:
        form.general.append(in_words(error))
    return _page(request, who, uow, env, case_id, form, error.status)
