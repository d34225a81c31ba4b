"""The counter application (现场办理): an issuer enters the declaration of a person
without a phone, ID card seen, pledge signed on paper, and signs it at once; the
signed pass is shown for printing. Their daily reports are entered the same way
(现场上报), on the resident's own report form."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

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
from healthcode.services.residents.inputs import DailyReportInput
from healthcode.web.deps import FormDep
from healthcode.web.forms import FormState, Layout, declaration_payload, parse, read_form
from healthcode.web.labels import ICONS, PURPOSES
from healthcode.web.pages.organisations.access import Signer
from healthcode.web.pages.organisations.words import DECISIONS
from healthcode.web.pages.residents import daily_report
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


@router.post("/staff/counter/find")
def find(request: Request, who: Signer, uow: UowDep, env: EnvDep, data: FormDep) -> Response:
    """A card holder back on a later day: to their pass's application, by ID number."""
    form = read_form(data)
    try:
        found = counter.find_current(uow, env, who, id_number=form.value("find_id_number"))
    except DomainError as error:
        uow.refused(error)
        message = (
            translate(error.errors[0].message, error.errors[0].params)
            if isinstance(error, InvalidInput)
            else in_words(error)
        )
        form.add_error("find_id_number", message)
        return _page(request, who, uow, env, form, status=error.status)
    return RedirectResponse(f"/staff/applications/{found}", status_code=303)


@router.get("/staff/applications/{application_id}/report")
def report_form(
    request: Request, application_id: uuid.UUID, who: Signer, uow: UowDep, env: EnvDep
) -> Response:
    person = counter.reporter(uow, env, who, application_id=application_id)
    return daily_report.show_report_form(
        request, uow, env, person.resident_id, person.policy.id, **_reporting(person)
    )


@router.post("/staff/applications/{application_id}/report")
def report(
    request: Request,
    application_id: uuid.UUID,
    who: Signer,
    uow: UowDep,
    env: EnvDep,
    data: FormDep,
) -> Response:
    person = counter.reporter(uow, env, who, application_id=application_id)

    def submit(report: DailyReportInput) -> object:
        return counter.report_at_counter(
            uow,
            env,
            who,
            application_id=application_id,
            data=report,
            client=client_address(request),
        )

    return daily_report.take_report(
        request,
        uow,
        env,
        data,
        person.resident_id,
        person.policy.id,
        submit=submit,
        **_reporting(person),
    )


def _reporting(person: counter.Reporter) -> dict[str, Any]:
    return {"code_url": f"/staff/applications/{person.application_id}", "counter": person}


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
