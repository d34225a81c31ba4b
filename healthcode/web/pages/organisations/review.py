"""The issuer's queue and the application/sign screen (seed 000 §二.二.2 签发).

Made for a community worker signing from the street, one-handed on a phone: the
counts and the oldest wait first, a few filters, big cards; on the application
screen the findings and the declaration, then the decision at the bottom within
thumb reach. The same services as ``/api/v1/applications``.
"""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.colour import SIGNED_COLOURS, Colour
from healthcode.domain.errors import DomainError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.records import DEPARTMENT_NAMES
from healthcode.domain.signing import INFO_NEEDED, InfoNeeded
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.errors import in_words
from healthcode.i18n import translate
from healthcode.services.accounts.permissions import Permission
from healthcode.services.organisations import applications, paper_passes, signing, videos
from healthcode.services.organisations.applications import QueueFilter
from healthcode.services.residents.inputs import Purpose
from healthcode.services.shared.bounds import MAX_OFFSET
from healthcode.services.shared.policies import colour_label
from healthcode.web.deps import FormDep
from healthcode.web.forms import FormState, read_form, whole_number
from healthcode.web.labels import ICONS, PURPOSES, SYMPTOMS
from healthcode.web.pages.organisations.access import Reader, Signer
from healthcode.web.pages.organisations.words import DECISIONS, SIGNED, SOURCES
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
WAITING = (2, 8, 24, 72)  # the "waiting longer than" choices, in hours


def _filters(request: Request) -> tuple[QueueFilter, FormState]:
    """The queue's filters from the query string; a value that is not offered is ignored."""
    q = request.query_params
    form = FormState(
        values={k: q.get(k, "") for k in ("suggested", "region", "purpose", "waiting")}
    )
    suggested = q.get("suggested", "")
    waiting = whole_number(q.get("waiting", ""))
    region = q.get("region", "").strip()
    return (
        QueueFilter(
            suggested=Colour(suggested) if suggested in {c.value for c in SIGNED_COLOURS} else None,
            region=region if whole_number(region) is not None and 2 <= len(region) <= 6 else None,
            purpose=q.get("purpose") if q.get("purpose") in {p.value for p in Purpose} else None,
            waiting_hours=waiting if waiting in WAITING else None,
        ),
        form,
    )


QUEUE_PAGE = 50


@router.get("/staff/queue")
def queue(request: Request, who: Reader, uow: UowDep, env: EnvDep) -> Response:
    filters, form = _filters(request)
    offset = min(whole_number(request.query_params.get("offset", "")) or 0, MAX_OFFSET)
    total, items = applications.list_pending_applications(
        uow, env, who, filters=filters, limit=QUEUE_PAGE, offset=offset
    )
    summary = applications.summarise_queue(uow, env, who)
    done = request.query_params.get("signed", "")
    return render(
        request,
        "organisations/queue.html",
        headers=NO_STORE,
        total=total,
        items=items,
        offset=offset,
        more=urlencode({**form.values, "offset": offset + QUEUE_PAGE}),
        summary=summary,
        form=form,
        filtered=filters != QueueFilter(),
        now=env.clock.now(),
        colours=(Colour.RED, Colour.YELLOW, Colour.GREEN),
        icons=ICONS,
        purposes=PURPOSES,
        waiting=WAITING,
        departments=DEPARTMENT_NAMES,
        signed=translate(SIGNED[done]) if done in SIGNED else "",
        label=colour_label,
    )


def application_page(
    request: Request,
    who: Any,
    uow: UowDep,
    env: EnvDep,
    application_id: uuid.UUID,
    form: FormState,
    *,
    paper_form: FormState | None = None,
    revoking: uuid.UUID | None = None,
    status: int = 200,
) -> Response:
    detail = applications.open_application(
        uow, env, who, application_id=application_id, client=client_address(request)
    )
    printed = paper_passes.list_paper_passes(uow, env, who, application_id=application_id)
    return render(
        request,
        "organisations/application.html",
        status=status,
        application_id=application_id,
        video=videos.summary(uow, env, who, application_id),
        headers=NO_STORE,
        d=detail,
        item=detail.item,
        form=form,
        now=env.clock.now(),
        icons=ICONS,
        purposes=PURPOSES,
        symptoms=SYMPTOMS,
        sources=SOURCES,
        departments=DEPARTMENT_NAMES,
        decisions=DECISIONS,
        info_needed=INFO_NEEDED,
        label=colour_label,
        waiting=item_waiting(detail.item.submitted_at, env.clock.now()),
        paper_passes=printed,
        paper_form=paper_form or FormState(),
        revoking=revoking,
        can_print=who.can(Permission.PASS_SIGN),
        reported=request.query_params.get("reported") == "1",
    )


def item_waiting(since: Any, now: Any) -> int:
    return max(0, int((now - since).total_seconds() // 3600))


@router.get("/staff/applications/{application_id}")
def application(
    request: Request, application_id: uuid.UUID, who: Reader, uow: UowDep, env: EnvDep
) -> Response:
    return application_page(request, who, uow, env, application_id, FormState())


@router.post("/staff/applications/{application_id}/sign")
def sign(
    request: Request,
    application_id: uuid.UUID,
    who: Signer,
    uow: UowDep,
    env: EnvDep,
    data: FormDep,
) -> Response:
    form = read_form(data, list_fields=("requested",))
    try:
        colour = _colour(form.value("colour"))
        state = signing.sign_pass(
            uow,
            env,
            who,
            application_id=application_id,
            colour=colour,
            note=form.value("note"),
            requested=[InfoNeeded(r) for r in form.ticked.get("requested", []) if r in INFO_NEEDED],
            client=client_address(request),
        )
    except DomainError as error:
        uow.refused(error)
        show_error(form, error)
        return application_page(request, who, uow, env, application_id, form, status=error.status)
    return RedirectResponse(f"/staff/queue?signed={state.colour.value}", status_code=303)


def _colour(value: str) -> Colour:
    if value not in {c.value for c in SIGNED_COLOURS}:
        raise InvalidInput.single("colour", "required", N_("Choose green, yellow or red"))
    return Colour(value)


def show_error(form: FormState, error: DomainError) -> None:
    if isinstance(error, InvalidInput):
        for e in error.errors:
            form.add_error(e.field, translate(e.message, e.params))
    else:
        form.general.append(in_words(error))
