"""Manual colour changes by two officers: propose with a reason, another approves.

The same services as ``/api/v1/overrides``; the proposer sees their own proposals
waiting, never an approve button for them.
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.colour import SIGNED_COLOURS, Colour
from healthcode.domain.errors import DomainError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.errors import in_words
from healthcode.i18n import translate
from healthcode.services.organisations import overrides
from healthcode.services.shared.policies import colour_label
from healthcode.web.deps import FormDep
from healthcode.web.forms import FormState, decision, form_id, read_form
from healthcode.web.labels import ICONS
from healthcode.web.pages.organisations.access import Officer
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
DONE = {
    "proposed": N_("Proposed. Another officer must approve it before the colour changes."),
    "approved": N_("Approved: the colour has changed and the resident can see why."),
    "rejected": N_("Rejected: nothing has changed."),
}


@router.get("/staff/overrides")
def proposals(request: Request, who: Officer, uow: UowDep, env: EnvDep) -> Response:
    return _list(request, who, uow, env, FormState())


def _list(
    request: Request,
    who: Officer,
    uow: UowDep,
    env: EnvDep,
    form: FormState,
    status: int = 200,
    refused: uuid.UUID | None = None,
) -> Response:
    done = request.query_params.get("done", "")
    return render(
        request,
        "organisations/overrides.html",
        status=status,
        headers=NO_STORE,
        items=overrides.list_proposals(uow, env, who),
        form=form,
        refused=refused,  # the proposal whose decision was refused: its fields' errors
        done=translate(DONE[done]) if done in DONE else "",
        icons=ICONS,
        label=colour_label,
    )


@router.post("/staff/overrides/{override_id}/decision")
def decide(
    request: Request,
    override_id: uuid.UUID,
    who: Officer,
    uow: UowDep,
    env: EnvDep,
    data: FormDep,
) -> Response:
    form = read_form(data)
    try:
        decided = overrides.decide_override(
            uow,
            env,
            who,
            override_id=override_id,
            approve=decision(form.value("decision"), "approve"),
            note=form.value("note"),
            client=client_address(request),
        )
    except DomainError as error:
        uow.refused(error)
        notes = (
            [e for e in error.errors if e.field == "note"]
            if isinstance(error, InvalidInput)
            else []
        )
        for e in notes:  # beside the note of that proposal; anything else above the list
            form.add_error(e.field, translate(e.message, e.params))
        if not notes:
            form.general.append(in_words(error))
        return _list(request, who, uow, env, form, status=error.status, refused=override_id)
    return RedirectResponse(f"/staff/overrides?done={decided.status}", status_code=303)


@router.get("/staff/overrides/new")
def new_proposal(
    request: Request, who: Officer, resident: uuid.UUID, policy: str, env: EnvDep
) -> Response:
    form = FormState(values={"resident": str(resident), "policy": policy})
    return _form(request, env, form)


def _form(request: Request, env: EnvDep, form: FormState, status: int = 200) -> Response:
    return render(
        request,
        "organisations/override_new.html",
        status=status,
        form=form,
        colours=SIGNED_COLOURS,
        icons=ICONS,
        minimum=overrides.MIN_REASON,
        policy=env.policies.get(form.value("policy")),
        label=colour_label,
    )


@router.post("/staff/overrides")
def propose(request: Request, who: Officer, uow: UowDep, env: EnvDep, data: FormDep) -> Response:
    form = read_form(data)
    try:
        colour = form.value("colour")
        if colour not in {c.value for c in SIGNED_COLOURS}:
            raise InvalidInput.single("colour", "required", N_("Choose green, yellow or red"))
        overrides.propose_override(
            uow,
            env,
            who,
            resident_id=_resident(form.value("resident")),
            policy_id=form.value("policy"),
            colour=Colour(colour),
            reason=form.value("reason"),
            client=client_address(request),
        )
    except DomainError as error:
        uow.refused(error)
        if isinstance(error, InvalidInput):
            for e in error.errors:
                form.add_error(e.field, translate(e.message, e.params))
        else:
            form.general.append(in_words(error))
        return _form(request, env, form, status=error.status)
    return RedirectResponse("/staff/overrides?done=proposed", status_code=303)


def _resident(value: str) -> uuid.UUID:
    found = form_id(value)
    if found is None:
        raise InvalidInput.single("resident", "invalid", N_("No such resident"))
    return found
