"""The resident's appeal (申诉): the form from the code page, the list and the timeline.

The same services as ``/api/v1/appeals``. The form lists what is behind the code's
colour (each record's kind and source department; a manual colour) and takes a reason
and optionally one photo or PDF; the timeline shows each step as it happens.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response, StreamingResponse
from starlette.datastructures import UploadFile

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
from healthcode.web.labels import APPEAL_STATUSES, APPEAL_STEPS, ICONS, RECORD_KINDS
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
}


@router.get("/codes/{policy_id}/appeal")
def appeal_form(
    request: Request, policy_id: str, resident_id: DeclaredDep, uow: UowDep, env: EnvDep
) -> Response:
    return _form(request, uow, env, resident_id, policy_id, FormState())


def _form(
    request: Request,
    uow: UowDep,
    env: EnvDep,
    resident_id: uuid.UUID,
    policy_id: str,
    form: FormState,
    status: int = 200,
) -> Response:
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
        )
    except appeals.AlreadyAppealed as error:  # sent twice: the one that went in
        uow.refused(error)
        return RedirectResponse(f"/appeals/{error.params['appeal_id']}?again=1", status_code=303)
    except DomainError as error:
        uow.refused(error)
        if isinstance(error, InvalidInput):
            for field in error.errors:
                name = "subject" if field.field == "record_id" else field.field
                form.add_error(name, translate(field.message, field.params))
        else:
            form.general.append(in_words(error))
        return _form(request, uow, env, resident_id, policy_id, form, error.status)
    return RedirectResponse(f"/appeals/{made.id}?sent=1", status_code=303)


@router.get("/appeals")
def my_appeals(request: Request, resident_id: DeclaredDep, uow: UowDep, env: EnvDep) -> Response:
    return render(
        request,
        "appeals/mine.html",
        headers=NO_STORE,
        items=appeals.list_appeals(uow, env, resident_id=resident_id),
        policies=env.policies,
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
    appeal = appeals.show_appeal(uow, env, resident_id=resident_id, appeal_id=appeal_id)
    return render(
        request,
        "appeals/appeal.html",
        headers=NO_STORE,
        appeal=appeal,
        policy=env.policies.get(appeal.policy_id),
        sent=sent,
        again=again,
        evidence_link=f"/appeals/{appeal.id}/evidence",
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
