"""Help (FAQ and the question box) and notifications.

Seed 003 §四.四: questions go to the online assistant first; what it cannot answer
goes to the 12345 hotline, so a question the FAQ does not cover shows the number
rather than a wrong answer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.http.deps import EnvDep, UowDep
from healthcode.http.security import ResidentDep
from healthcode.i18n import language
from healthcode.services.residents import notifications
from healthcode.services.shared.bounds import SafeText
from healthcode.support.faq.engine import HOTLINE, default_faq
from healthcode.support.faq.text import MAX_QUERY_CHARS
from healthcode.web.templating import render
from healthcode.web.views import answer_blocks, notices

router = APIRouter(include_in_schema=False)


@router.get("/help")
def help_page(
    request: Request, q: Annotated[SafeText, Query(max_length=MAX_QUERY_CHARS * 2)] = ""
) -> Response:
    lang: Literal["zh", "en"] = "en" if language() == "en" else "zh"
    faq = default_faq()
    answer = faq.answer(q, lang=lang) if q.strip() else None
    return render(
        request,
        "support/help.html",
        q=q,
        answer=answer,
        hotline=HOTLINE,
        sections=faq.entries(lang),
        blocks=answer_blocks,
    )


@router.get("/notifications")
def notifications_page(
    request: Request, principal: ResidentDep, uow: UowDep, env: EnvDep
) -> Response:
    rows = notifications.list_notifications(uow, resident_id=principal.resident_id)
    return render(
        request,
        "residents/notifications.html",
        headers={"Cache-Control": "no-store"},
        items=notices(rows, env.policies),
    )


@router.post("/notifications/read")
def mark_read(principal: ResidentDep, uow: UowDep, env: EnvDep) -> Response:
    notifications.mark_all_read(uow, env, resident_id=principal.resident_id)
    return RedirectResponse("/notifications", status_code=303)
