"""Sign-in by SMS code, sign-out, and the language switch.

The session token from ``accounts.verify_login_code`` goes into the ``hc_session``
cookie (HttpOnly, SameSite=Lax; Secure over HTTPS, added for every cookie by
http/cookies.py), the cookie the JSON API reads for GETs. A wrong code is counted
even though the request fails: the refusal keeps its changes and the unit of work
commits them, exactly as for the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.errors import DomainError
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.errors import in_words
from healthcode.http.security import SESSION_COOKIE, TokenDep
from healthcode.i18n import LANGUAGES
from healthcode.services.accounts import login as accounts
from healthcode.services.accounts import otp_limits, sessions
from healthcode.services.shared.bounds import SafeText
from healthcode.web import csrf, stash
from healthcode.web.deps import FormDep, MaybeResidentDep, NextField, local_path, user_agent
from healthcode.web.forms import FormState
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
LANG_COOKIE_SECONDS = 365 * 24 * 3600

Phone = Annotated[SafeText, Form(max_length=32)]
Code = Annotated[SafeText, Form(max_length=16)]
ClientDep = Annotated[str, Depends(client_address)]
AgentDep = Annotated[str, Depends(user_agent)]


def _page(
    request: Request, step: str, form: FormState, *, status: int = 200, **more: Any
) -> Response:
    """The code step's language switch returns to ``/login/code``, whichever POST
    answered it."""
    if step == "code":
        more["back"] = "/login/code"
    return render(request, "accounts/login.html", status=status, step=step, form=form, **more)


def _kept_form(request: Request, next: str) -> FormState:
    """The number (and ``next``) typed before a language switch, else an empty form."""
    kept = stash.restore(request)
    values = {"next": local_path(kept.value("next") if kept else next)}
    if kept and kept.value("phone"):
        values["phone"] = kept.value("phone")
    return FormState(values=values)


@router.get("/login")
def login_page(request: Request, resident: MaybeResidentDep, next: str = "/") -> Response:
    if resident is not None:
        return RedirectResponse(local_path(next), status_code=303)
    return _page(request, "phone", _kept_form(request, next))


@router.get("/login/code")
def code_step(request: Request, resident: MaybeResidentDep) -> Response:
    """The code step again (after a language switch): only with the number kept."""
    form = _kept_form(request, "/")
    if resident is not None or not form.value("phone"):
        return RedirectResponse("/login" if resident is None else "/", status_code=303)
    return _page(request, "code", form)


@router.post("/login/code")
def send_code(
    request: Request,
    uow: UowDep,
    env: EnvDep,
    client: ClientDep,
    phone: Phone = "",  # left empty: asked for beside the field, not an error page
    next: NextField = "/",
) -> Response:
    form = FormState(values={"phone": phone.strip(), "next": local_path(next)})
    try:
        sent = accounts.request_login_code(uow, env, phone=phone, client=client)
    except DomainError as error:
        uow.refused(error)
        step = "code" if isinstance(error, otp_limits.OtpCooldown) else "phone"
        form.add_error("phone" if step == "phone" else "code", in_words(error))
        return _page(request, step, form, status=error.status, retry=error.retry_after)
    return _page(request, "code", form, sent=sent)


@router.post("/login")
def sign_in(
    request: Request,
    uow: UowDep,
    env: EnvDep,
    client: ClientDep,
    agent: AgentDep,
    phone: Phone = "",
    code: Code = "",
    next: NextField = "/",
) -> Response:
    form = FormState(values={"phone": phone.strip(), "next": local_path(next)})
    try:
        issued = accounts.verify_login_code(
            uow, env, phone=phone, code=code, client=client, user_agent=agent
        )
    except DomainError as error:
        uow.refused(error)
        form.add_error("code", in_words(error))
        return _page(request, "code", form, status=error.status)
    return signed_in(local_path(next), issued, now=env.clock.now())


def signed_in(target: str, issued: sessions.IssuedSession, *, now: datetime) -> Response:
    """To `target` with the new session's cookie (residents and staff alike)."""
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        issued.token,
        max_age=int((issued.expires_at - now).total_seconds()),
        httponly=True,
        samesite="lax",
        path="/",
    )
    # The page token follows the new session; the anonymous one is renewed as well,
    # so no token from before sign-in is worth anything after it.
    response.set_cookie(csrf.COOKIE, csrf.new_token(), httponly=True, samesite="lax", path="/")
    return response


@router.post("/logout")
def sign_out(request: Request, token: TokenDep, uow: UowDep, env: EnvDep) -> Response:
    if token:
        sessions.logout(uow, env, token=token)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
    return response


@router.get("/lang/{lang}")
def switch_language(request: Request, lang: str, next: str = "/") -> Response:
    """Remember the language in the ``lang`` cookie and stay on the same page."""
    response = RedirectResponse(local_path(next), status_code=303)
    if lang in LANGUAGES:
        response.set_cookie("lang", lang, max_age=LANG_COOKIE_SECONDS, samesite="lax")
    return response


@router.post("/lang/{lang}")
def switch_language_keeping(
    request: Request, lang: str, data: FormDep, next: str = "/"
) -> Response:
    """The switch from a page with a form (app.js posts the form here): the same, and
    what was typed comes back on the page in the other language."""
    response = switch_language(request, lang, next)
    items = [
        (k, v) for k, v in data.multi_items() if isinstance(v, str) and k not in stash.NOT_KEPT
    ]
    stash.keep(request, response, path=local_path(next).split("?", 1)[0], items=items)
    return response
