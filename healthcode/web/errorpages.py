"""Refusals as pages: what errors.py renders for a browser outside /api.

A page that needs a session sends the resident to sign in and back; a staff account
whose password an administrator set is sent to change it (``/staff/password``); a form
posted with no session left, or with a stale form token from our own site, is kept
(stash.py) and comes back filled in, with a line saying nothing was sent. Every other
refusal is a page that says what happened in words and offers a way on; its status
stays in small print (for the hotline), its machine code only in the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from healthcode.domain.i18n import N_
from healthcode.http.errors import generic_message
from healthcode.i18n import translate
from healthcode.web import stash
from healthcode.web.pages.accounts.passwords import PAGE as PASSWORD_PAGE
from healthcode.web.templating import render

TITLES: Mapping[int, str] = {
    400: N_("Something is not right"),
    401: N_("Please sign in"),
    403: N_("This page cannot be used"),
    404: N_("Page not found"),
    405: N_("This page cannot be used"),
    409: N_("This cannot be done now"),
    413: N_("Too much was sent"),
    422: N_("Something is not right"),
    429: N_("Too many attempts"),
    500: N_("The service is busy"),
    503: N_("The service is briefly unavailable"),
}


# Plain words for a refusal that knows nothing more than its status (a page that does
# not exist), in place of the HTTP's own ("Not found").
PLAIN: Mapping[int, str] = {
    404: N_("The link may be out of date, or the address mistyped."),
    405: N_("This page cannot be used this way. Go back and use its own links and buttons."),
}


def login_url(request: Request, here: str | None = None) -> str:
    if here is None:
        here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    path = urlsplit(here).path
    staff = path == "/staff" or path.startswith("/staff/")  # the staff home too
    page = "/staff/login" if staff else "/login"  # staff: a password
    return f"{page}?" + urlencode({"next": here}) if here != "/" else page


def _same_site(request: Request) -> bool:
    """Posted from our own pages: only then may a refused form be put back (another
    site must not fill in a resident's form)."""
    if request.headers.get("sec-fetch-site") == "same-origin":
        return True
    origin = request.headers.get("origin", "")
    return bool(origin) and urlsplit(origin).netloc == request.headers.get("host")


def _kept(request: Request, code: str) -> Response | None:
    """A refused form post kept for its page: after sign-in, or at once for a stale token."""
    if request.method != "POST" or not _same_site(request):
        return None
    page = stash.page_for(request)
    if code == "not_authenticated":
        response = RedirectResponse(login_url(request, page), status_code=303)
        stash.keep(request, response, path=page, items=_kept_items(request), note=stash.SIGNED_OUT)
        return response
    if code == "csrf_failed":
        response = RedirectResponse(page, status_code=303)
        stash.keep(request, response, path=page, items=_kept_items(request), note=stash.STALE)
        return response
    return None


def error_page(
    request: Request,
    status: int,
    code: str,
    message: str,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """``message`` is already in the request's language."""
    if code == "not_authenticated" and request.method in ("GET", "HEAD"):
        return RedirectResponse(login_url(request), status_code=303)
    if code == "password_change_required":  # the page says why
        return RedirectResponse(PASSWORD_PAGE, status_code=303)
    kept = _kept(request, code)
    if kept is not None:
        return kept
    title = TITLES.get(status, TITLES[400] if status < 500 else TITLES[500])
    generic = generic_message(status)
    if status in PLAIN and generic is not None and message == translate(generic):
        message = translate(PLAIN[status])
    extra = {k: v for k, v in (headers or {}).items() if k.lower() == "retry-after"}
    extra["Cache-Control"] = "no-store"
    return render(
        request, "shared/error.html", status=status, headers=extra, title=title,
        message=message, status_code=status, code=code, back=_form_page(request, status),
    )  # fmt: skip


def _form_page(request: Request, status: int) -> str | None:
    """The form a body past its limit was posted from (an appeal's evidence, a
    roster file): the way back is to it, to send a smaller file, not to the home page."""
    if status != 413 or request.method != "POST" or "app" not in request.scope:
        return None
    page = stash.page_for(request)
    return page if page != "/" else None


def _kept_items(request: Request) -> list[tuple[str, str]]:
    """Without the personal numbers: a lapsed session or a stale token means whoever
    signs in next (a shared phone, another tab) may be someone else."""
    return stash.posted(request, personal=False)
