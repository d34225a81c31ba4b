"""The counter application (现场办理): an issuer enters the declaration of a person
without a phone, ID card seen, pledge signed on paper, and signs it at once; the
signed pass is shown for printing (the PDF comes with the scanning issue)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from healthcode.domain.colour import SIGNED_COLOURS
from healthcode.domain.errors import DomainError, InvalidInput
from healthcode.domain.policy import Model, Policy
from healthcode.domain.signing import INFO_NEEDED
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.errors import in_words
from healthcode.http.views import code_view
from healthcode.i18n import translate
from healthcode.services.organisations import counter
from healthcode.services.organisations.counter import CounterInput
from healthcode.web.deps import FormDep
from healthcode.web.forms import FormState, Layout, declaration_payload, parse, read_form
from healthcode.web.labels import ICONS, PURPOSES
from healthcode.web.pages.organisations.access import Signer
from healthcode.web.pages.organisations.words import DECISIONS
from healthcode.web.pages.residents.declare import LISTS, health_fields
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
OWN_FIELDS = ("id_card_checked", "colour", "requested", "note", "organisation_id")


def _pass(env: EnvDep) -> Policy:
    return next(p for p in env.policies.values() if p.model is Model.PASS)


def _page(
    request: Request, who: Signer, uow: UowDep, env: EnvDep, form: FormState, status: int = 200
) -> Response:
    policy = _pass(env)
    return render(
        request,
        "organisations/counter.html",
        status=status,
        headers=NO_STORE,
        form=form,
        policy=policy,
        counters=counter.counters_of(uow, who),
        purposes=[(p.value, label) for p, label in PURPOSES.items()],
        decisions=DECISIONS,
        info_needed=INFO_NEEDED,
        icons=ICONS,
        **health_fields(env, policy),
    )


@router.get("/staff/counter")
def counter_form(request: Request, who: Signer, uow: UowDep, env: EnvDep) -> Response:
    return _page(request, who, uow, env, FormState())


@router.post("/staff/counter")
def enter(request: Request, who: Signer, uow: UowDep, env: EnvDep, data: FormDep) -> Response:
    form = read_form(data, list_fields=(*LISTS, "requested"))
    policy = _pass(env)
    payload, layout = declaration_payload(form, policy.id, policy.form.exposures)
    payload |= _own_fields(form)
    try:
        signed = counter.enter_counter_application(
            uow, env, who, data=parse(CounterInput, payload), client=client_address(request)
        )
    except DomainError as error:
        uow.refused(error)
        _show(form, layout, error)
        return _page(request, who, uow, env, form, status=error.status)
    return render(
        request,
        "organisations/counter_done.html",
        headers=NO_STORE,
        signed=signed,
        code=code_view(signed.policy, signed.state),
        icons=ICONS,
    )


def _own_fields(form: FormState) -> dict[str, Any]:
    colour = form.value("colour")
    fields: dict[str, Any] = {
        "id_card_checked": form.value("id_card_checked") == "yes",
        "colour": colour if colour in {c.value for c in SIGNED_COLOURS} else None,
        "note": form.value("note"),
        "requested": [r for r in form.ticked.get("requested", []) if r in INFO_NEEDED],
    }
    if form.value("organisation_id"):
        fields["organisation_id"] = form.value("organisation_id")
    return fields


def _show(form: FormState, layout: Layout, error: DomainError) -> None:
    if not isinstance(error, InvalidInput):
        form.general.append(in_words(error))
        return
    for e in error.errors:
        message = translate(e.message, e.params)
        name = layout.input_name(e.field) or (e.field if e.field in OWN_FIELDS else None)
        if name is None:
            form.general.append(message)
        else:
            form.add_error(name, message)
