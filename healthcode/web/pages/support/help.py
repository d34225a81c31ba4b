"""Help: the FAQ and the question box.

Seed 003 §四.四: questions go to the online assistant first; what it cannot answer
goes to the 12345 hotline, so a question the FAQ does not cover shows the number
rather than a wrong answer.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from healthcode.i18n import language
from healthcode.services.shared.bounds import SafeText
from healthcode.support.faq.engine import HOTLINE, default_faq
from healthcode.support.faq.text import MAX_QUERY_CHARS
from healthcode.web.templating import render
from healthcode.web.views import answer_blocks

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
