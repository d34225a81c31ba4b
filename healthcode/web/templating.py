"""Jinja2 for the pages: one shared Environment, translated per request.

The i18n extension is wired once, at start-up, to ``healthcode.i18n``'s gettext,
which reads the request's language from a context variable; nothing on the shared
Environment changes per request. Templates write English message ids:
``{% trans %}Sign in{% endtrans %}`` for plain text (no variables inside a trans
block: its ``%(name)s`` placeholders would differ from the project's ``{name}``),
and ``_("Day {done} of {needed}", done=5, needed=14)`` when there are values.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from healthcode.domain.clock import local
from healthcode.http.security import SESSION_COOKIE
from healthcode.i18n import gettext, language, translate
from healthcode.web import stash
from healthcode.web.static_files import static_url

TEMPLATES = Path(__file__).parent / "templates"


def _(message: str, **params: object) -> str:
    """Translate a message id and fill its ``{placeholders}`` (escaped on output)."""
    return translate(message, params or None)


def _ngettext(singular: str, plural: str, n: int) -> str:
    return gettext(singular if n == 1 else plural)


def localtime(at: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    """An instant as a resident in Shandong reads it (Asia/Shanghai)."""
    return local(at).strftime(fmt) if at is not None else ""


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext=gettext, ngettext=_ngettext, newstyle=False)  # type: ignore[attr-defined]
    env.globals.update(_=_, static_url=static_url, language=language)
    env.filters["localtime"] = localtime
    return env


def _page_context(request: Request) -> dict[str, Any]:
    """What every page needs: the CSRF token, a fresh idempotency key for its forms
    (a resubmitted form is answered, not redone), the language and its switch link (to
    this page, or for a page answering a POST the page the form is on; a template may
    name another as ``back``), the note on a form brought back (stash.py), and whether
    to offer 消息 (a session cookie is there; an expired one leads to sign-in)."""
    lang = language()
    other = "en" if lang == "zh" else "zh"
    if request.method in ("GET", "HEAD"):
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    else:
        here = stash.page_for(request)
    note = getattr(request.state, "form_note", "")
    return {
        "csrf_token": getattr(request.state, "csrf_token", ""),
        "idempotency_key": secrets.token_urlsafe(16),
        "lang": lang,
        "html_lang": "zh-CN" if lang == "zh" else "en",
        "switch_lang": other,
        "here": here,
        "switch_url": f"/lang/{other}?" + urlencode({"next": here}),
        "form_note": translate(note) if note else "",
        "signed_in": SESSION_COOKIE in request.cookies,
    }


@cache
def templates() -> Jinja2Templates:
    return Jinja2Templates(env=environment(), context_processors=[_page_context])


def render(
    request: Request,
    name: str,
    *,
    status: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Response:
    response = templates().TemplateResponse(
        request, name, context, status_code=status, headers=headers
    )
    stash.clear_if_used(request, response)
    return response
