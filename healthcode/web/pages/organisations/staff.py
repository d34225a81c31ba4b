"""Staff sign-in on the web (username and password, as ``POST /api/v1/auth/staff/login``)
and the page dependency that lets only staff with a permission through.

A page without a staff session redirects to ``/staff/login?next=…`` (``errorpages``);
a staff member without the permission gets a 403 page. (Until the staff pages of the other parts
of this issue are merged, this is the one staff sign-in page.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from healthcode.domain.errors import DomainError, Forbidden
from healthcode.domain.i18n import N_
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.errors import in_words
from healthcode.http.security import NotAuthenticated, TokenDep
from healthcode.services.accounts import login as accounts
from healthcode.services.accounts import sessions
from healthcode.services.accounts.permissions import AccountKind, Permission, Principal
from healthcode.services.shared.bounds import SafeText
from healthcode.web.deps import local_path, user_agent
from healthcode.web.forms import FormState
from healthcode.web.pages.accounts.login import signed_in
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
HOME = "/staff/queue"


def staff_with(permission: Permission) -> Callable[..., Principal]:
    """A staff member holding `permission`; none signed in: to the staff sign-in page."""

    def check(token: TokenDep, uow: UowDep, env: EnvDep) -> Principal:
        principal = sessions.authenticate(uow, env, token=token) if token else None
        if principal is None or principal.kind is not AccountKind.STAFF:
            raise NotAuthenticated(N_("Please sign in"))
        if not principal.can(permission):
            raise Forbidden(N_("You do not have permission to do this"))
        return principal

    return check


Reader = Annotated[Principal, Depends(staff_with(Permission.APPLICATION_READ))]
Signer = Annotated[Principal, Depends(staff_with(Permission.PASS_SIGN))]
Officer = Annotated[Principal, Depends(staff_with(Permission.COLOUR_OVERRIDE))]


@router.get("/staff/login")
def login_page(request: Request, next: str = HOME) -> Response:
    form = FormState(values={"next": local_path(next, HOME)})
    return render(request, "organisations/login.html", form=form)


@router.post("/staff/login")
def sign_in(
    request: Request,
    uow: UowDep,
    env: EnvDep,
    username: Annotated[SafeText, Form(max_length=64)],
    password: Annotated[str, Form(max_length=200)],
    next: Annotated[SafeText, Form(max_length=400)] = HOME,
) -> Response:
    form = FormState(values={"username": username.strip(), "next": local_path(next, HOME)})
    try:
        issued = accounts.staff_login(
            uow,
            env,
            username=username,
            password=password,
            client=client_address(request),
            user_agent=user_agent(request),
        )
    except DomainError as error:
        uow.refused(error)
        form.add_error("password", in_words(error))
        return render(request, "organisations/login.html", status=error.status, form=form)
    return signed_in(form.value("next"), issued, now=env.clock.now())
