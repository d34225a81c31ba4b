"""The resident's appeal (申诉): the form from the code page, the list and the timeline.

The same services as ``/api/v1/appeals``. The form lists what is behind the code's
colour (each record's kind and source department; a manual colour) and takes a reason
and optionally one photo or PDF; the timeline shows each step as it happens. A
guardian's appeals for a family member are the same pages under
``/family/{resident_id}/…`` (``residents/family.py``).
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.datastructures import FormData, UploadFile

from healthcode.domain.errors import DomainError, InvalidInput
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.errors import in_words
from healthcode.http.security import DeclaredDep
from healthcode.i18n import translate
from healthcode.services.appeals import appeals
from healthcode.services.appeals.results import EvidenceFile
from healthcode.services.shared.env import Env
from healthcode.web.deps import FormDep, known_policy
from healthcode.web.forms import FormState, form_id
from healthcode.web.labels import (
    APPEAL_STATUSES,
    APPEAL_STEPS,
    APPEAL_TIMELINE_TO_RESIDENT,
    ICONS,
    RECORD_KINDS,
)
from healthcode.web.pages.records.words import DEPARTMENTS
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
NO_STORE = {"Cache-Control": "no-store"}
LABELS: dict[str, Any] = {
    "kinds": RECORD_KINDS,
    "departments": DEPARTMENTS,
    "steps": APPEAL_STEPS,
    "statuses": APPEAL_STATUSES,
    "icons": ICONS,
    "said": APPEAL_TIMELINE_TO_RESIDENT,
}


@router.get("/codes/{policy_id}/appeal")
def appeal_form(
    request: Request, policy_id: str, resident_id: DeclaredDep, uow: UowDep, env: EnvDep
) -> Response:
    return show_appeal_form(request, uow, env, resident_id, policy_id, FormState())


def show_appeal_form(
    request: Request,
    uow: UowDep,
    env: EnvDep,
    resident_id: uuid.UUID,
    policy_id: str,
    form: FormState,
    status: int = 200,
    *,
    code_url: str = "",
    appeals_url: str = "/appeals",
    **whose: Any,
) -> Response:
    """The form for ``resident_id`` (one's own, or a family member's: ``whose`` names
    them, ``code_url`` is their code page and ``appeals_url`` their appeals)."""
    policy = known_policy(env, policy_id)
    items = appeals.list_disputable(uow, env, resident_id=resident_id, policy_id=policy.id)
    return render(
        request,
        "appeals/new.html",
        status=status,
        headers=NO_STORE,
        policy=policy,
        items=items,
        form=form,
        minimum=appeals.MIN_REASON,
        max_mb=f"{round(env.settings.appeal_evidence_max_bytes / 1024 / 1024, 1):g}",
        max_bytes=env.settings.appeal_evidence_max_bytes,
        code_url=code_url or f"/codes/{policy.id}",
        appeals_url=appeals_url,
        **({"member": None} | whose),
        **LABELS,
    )


@router.post("/codes/{policy_id}/appeal")
def submit(
    request: Request,
    policy_id: str,
    resident_id: DeclaredDep,
    uow: UowDep,
    env: EnvDep,
    data: FormDep,
) -> Response:
    return take_appeal(request, uow, env, data, resident_id, policy_id)


def take_appeal(
    request: Request,
    uow: UowDep,
    env: EnvDep,
    data: FormData,
    resident_id: uuid.UUID,
    policy_id: str,
    *,
    appeals_url: str = "/appeals",
    actor_id: uuid.UUID | None = None,
    **whose: Any,
) -> Response:
    """Take the appeal for ``resident_id``; ``actor_id``: the guardian sending it for a
    family member (``whose``, ``appeals_url`` as for the form)."""
    subject = str(data.get("subject", ""))
    reason = str(data.get("reason", "")).strip()  # free text: kept as typed
    form = FormState(values={"subject": subject, "reason": reason})
    upload = data.get("evidence")
    file = upload if isinstance(upload, UploadFile) and upload.filename else None
    try:
        kind, _, raw_id = subject.partition(":")
        subject_id = form_id(raw_id)
        made = appeals.submit_appeal(
            uow,
            env,
            resident_id=resident_id,
            policy_id=known_policy(env, policy_id).id,
            record_id=subject_id if kind == "record" else None,
            override_id=subject_id if kind == "override" else None,
            credit_record_id=subject_id if kind == "credit" else None,
            reason=reason,
            upload=file.file if file is not None else None,
            client=client_address(request),
            actor_id=actor_id,
        )
    except appeals.AlreadyAppealed as error:  # sent twice: the one that went in
        uow.refused(error)
        open_appeal = error.params["appeal_id"]
        return RedirectResponse(f"{appeals_url}/{open_appeal}?again=1", status_code=303)
    except DomainError as error:
        uow.refused(error)
        if isinstance(error, InvalidInput):
            for field in error.errors:
                name = "subject" if field.field == "record_id" else field.field
                form.add_error(name, translate(field.message, field.params))
        else:
            form.general.append(in_words(error))
        return show_appeal_form(
            request, uow, env, resident_id, policy_id, form, error.status,
            appeals_url=appeals_url, **whose,
        )  # fmt: skip
    return RedirectResponse(f"{appeals_url}/{made.id}?sent=1", status_code=303)


@router.get("/appeals")
def my_appeals(request: Request, resident_id: DeclaredDep, uow: UowDep, env: EnvDep) -> Response:
    return show_appeals(request, uow, env, resident_id)


def show_appeals(
    request: Request,
    uow: UowDep,
    env: EnvDep,
    resident_id: uuid.UUID,
    *,
    appeals_url: str = "/appeals",
    **whose: Any,
) -> Response:
    return render(
        request,
        "appeals/mine.html",
        headers=NO_STORE,
        items=appeals.list_appeals(uow, env, resident_id=resident_id),
        policies=env.policies,
        appeals_url=appeals_url,
        **({"member": None} | whose),
        **LABELS,
    )


@router.get("/appeals/{appeal_id}")
def appeal_page(
    request: Request,
    appeal_id: uuid.UUID,
    resident_id: DeclaredDep,
    uow: UowDep,
    env: EnvDep,
    sent: bool = False,
    again: bool = False,
) -> Response:
    """``sent``: just sent; ``again``: the form was sent again (a double tap), and this
    is the appeal the first one made."""
    return show_appeal_page(request, uow, env, resident_id, appeal_id, sent=sent, again=again)


def show_appeal_page(
    request: Request,
    uow: UowDep,
    env: EnvDep,
    resident_id: uuid.UUID,
    appeal_id: uuid.UUID,
    *,
    sent: bool = False,
    again: bool = False,
    appeals_url: str = "/appeals",
    codes_url: str = "/codes",
    **whose: Any,
) -> Response:
    """One appeal of ``resident_id``'s; ``codes_url``: where their code pages are."""
    appeal = appeals.show_appeal(uow, env, resident_id=resident_id, appeal_id=appeal_id)
    policy = env.policies.get(appeal.policy_id)
    return render(
        request,
        "appeals/appeal.html",
        headers=NO_STORE,
        appeal=appeal,
        policy=policy,
        sent=sent,
        again=again,
        evidence_link=f"{appeals_url}/{appeal.id}/evidence",
        appeals_url=appeals_url,
        code_url=f"{codes_url}/{policy.id}" if policy else None,
        **({"member": None} | whose),
        **LABELS,
    )


@router.get("/appeals/{appeal_id}/evidence")
def evidence(appeal_id: uuid.UUID, resident_id: DeclaredDep, uow: UowDep, env: EnvDep) -> Response:
    found = appeals.own_evidence(uow, resident_id=resident_id, appeal_id=appeal_id)
    return send_evidence(env, found)


def send_evidence(env: Env, found: EvidenceFile) -> Response:
    """The file as a download, never rendered as a page of this site."""
    return StreamingResponse(
        env.blobs.read(found.key, 0, max(found.size - 1, 0)),
        media_type=found.content_type,
        headers={
            **NO_STORE,
            "Content-Length": str(found.size),
            "Content-Disposition": "attachment",
            "X-Content-Type-Options": "nosniff",
        },
    )
