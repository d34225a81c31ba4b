"""The officer's side of appeals: the queue and the decision page (``/staff/appeals``).

Open to staff holding ``appeals.decide`` (a department's data operators) or
``colour.override`` (appeals of a manual colour); which appeals each sees is the
services' question, and one out of scope is not found.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.errors import DomainError
from healthcode.domain.i18n import N_
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.errors import in_words
from healthcode.http.security import require_any
from healthcode.i18n import translate
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.appeals import decisions
from healthcode.services.appeals.results import RECORD, REJECTED, UNCHANGED, AppealView
from healthcode.web.deps import FormDep
from healthcode.web.forms import FormState, decision
from healthcode.web.labels import APPEAL_TIMELINE_TO_OFFICER
from healthcode.web.pages.appeals.resident import LABELS, send_evidence
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
TO_OFFICER = {**LABELS, "said": APPEAL_TIMELINE_TO_OFFICER}
# What the officer is told after a decision: true of the appeal's subject (a record, a
# manual colour, a fraud finding) and of its outcome. Upheld, the code may keep its
# colour (step ``unchanged``: the department's rollback already recoloured it, or other
# reasons hold it), and "recoloured" would not be true.
DONE = {
    "upheld": N_("Upheld: the record is withdrawn and the resident's code recoloured."),
    "upheld_unchanged": N_(
        "Upheld: the record is withdrawn; the resident's code keeps its colour (already "
        "recoloured, or other reasons hold it)."
    ),
    "upheld_override": N_(
        "Upheld: the manual colour is set aside and the resident's code recoloured."
    ),
    "upheld_override_unchanged": N_(
        "Upheld: the manual colour is set aside; the resident's code keeps its colour "
        "(other reasons hold it)."
    ),
    "upheld_credit": N_("Upheld: the fraud finding is revoked and the resident's code recoloured."),
    "upheld_credit_unchanged": N_(
        "Upheld: the fraud finding is revoked; the resident's code keeps its colour "
        "(other reasons hold it)."
    ),
    "rejected": N_("Rejected: the record stands; the resident has been told why."),
    # the department's rollback withdrew the record while the appeal was open: it does
    # not stand, and "the record stands" told the officer the opposite of the truth
    "rejected_withdrawn": N_(
        "Rejected: the record was already withdrawn by the department's rollback; a "
        "re-sent record will count again. The resident has been told why."
    ),
    "rejected_override": N_("Rejected: the manual colour stands; the resident has been told why."),
    "rejected_credit": N_("Rejected: the fraud finding stands; the resident has been told why."),
}


def done_key(decided: AppealView) -> str:
    """Which confirmation the queue shows after a decision (a key of ``DONE``)."""
    if decided.status == REJECTED:
        if decided.subject == RECORD:
            return "rejected_withdrawn" if decided.record_withdrawn else "rejected"
        return f"rejected_{decided.subject}"
    key = "upheld" if decided.subject == RECORD else f"upheld_{decided.subject}"
    unchanged = any(step.step == UNCHANGED for step in decided.steps)
    return f"{key}_unchanged" if unchanged else key


Decider = Annotated[
    Principal, Depends(require_any(Permission.APPEALS_DECIDE, Permission.COLOUR_OVERRIDE))
]


@router.get("/staff/appeals")
def queue(request: Request, who: Decider, uow: UowDep, env: EnvDep) -> Response:
    done = request.query_params.get("done", "")
    return render(
        request,
        "appeals/queue.html",
        headers=NO_STORE,
        items=decisions.list_waiting_appeals(uow, env, who),
        done=translate(DONE[done]) if done in DONE else "",
        **TO_OFFICER,
    )


@router.get("/staff/appeals/{appeal_id}")
def appeal_page(
    request: Request, appeal_id: uuid.UUID, who: Decider, uow: UowDep, env: EnvDep
) -> Response:
    return _page(request, who, uow, env, appeal_id, FormState())


def _page(
    request: Request,
    who: Principal,
    uow: UowDep,
    env: EnvDep,
    appeal_id: uuid.UUID,
    form: FormState,
    status: int = 200,
) -> Response:
    appeal = decisions.show_appeal_to_officer(
        uow, env, who, appeal_id=appeal_id, client=client_address(request)
    )
    return render(
        request,
        "appeals/decide.html",
        status=status,
        headers=NO_STORE,
        appeal=appeal,
        policy=env.policies.get(appeal.policy_id),
        form=form,
        minimum=decisions.MIN_NOTE,
        evidence_link=f"/staff/appeals/{appeal.id}/evidence",
        **TO_OFFICER,
    )


@router.post("/staff/appeals/{appeal_id}/decision")
def decide(
    request: Request,
    appeal_id: uuid.UUID,
    who: Decider,
    uow: UowDep,
    env: EnvDep,
    data: FormDep,
) -> Response:
    note = str(data.get("note", "")).strip()  # free text: kept as typed
    form = FormState(values={"note": note})
    try:
        decided = decisions.decide_appeal(
            uow,
            env,
            who,
            appeal_id=appeal_id,
            uphold=decision(data.get("decision"), "uphold"),
            note=note,
            client=client_address(request),
        )
    except DomainError as error:
        uow.refused(error)
        if error.status == 404:
            raise
        for field in getattr(error, "errors", ()):
            form.add_error(field.field, translate(field.message, field.params))
        if not form.errors:
            form.general.append(in_words(error))
        return _page(request, who, uow, env, appeal_id, form, error.status)
    done = done_key(decided)
    return RedirectResponse(f"/staff/appeals?done={done}", status_code=303)


@router.get("/staff/appeals/{appeal_id}/evidence")
def evidence(
    request: Request, appeal_id: uuid.UUID, who: Decider, uow: UowDep, env: EnvDep
) -> Response:
    found = decisions.evidence_for_officer(
        uow, env, who, appeal_id=appeal_id, client=client_address(request)
    )
    return send_evidence(env, found)
