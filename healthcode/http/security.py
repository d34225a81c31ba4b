"""Who is calling, and may they: authentication and permission dependencies.

The session token comes from ``Authorization: Bearer`` (apps, scripts) or the
``hc_session`` cookie (the web pages). A JSON API write (any method but GET, HEAD,
OPTIONS) takes the bearer token only: a browser attaches the cookie to a
cross-site request by itself, and the API has no CSRF token, so a cookie there
would let another site act for the resident (pages are guarded by web/csrf.py).
Routes declare what they need:

    @router.post("/scans", dependencies=[Depends(require(Permission.SCAN))])
    def scan(principal: PrincipalDep, ...) -> ...

Refusals are domain errors, so the one error handler renders them in the caller's
language like any other (``NotAuthenticated`` lives with the sessions:
``services/accounts/sessions.py``).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase

from healthcode.domain.errors import Conflict, Forbidden
from healthcode.domain.i18n import N_
from healthcode.http.asgi import SESSION_COOKIE as SESSION_COOKIE  # for the edges
from healthcode.http.asgi import sent_token
from healthcode.http.deps import EnvDep, UowDep
from healthcode.services.accounts import sessions
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.accounts.sessions import (
    NotAuthenticated,
    residents_only,
)
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class BearerRequired(NotAuthenticated):
    code = "bearer_required"


class SessionToken(SecurityBase):
    """The bearer token if one was sent, else the session cookie (not for API writes).

    One security dependency, documented as the bearer scheme, rather than a bearer
    scheme, a cookie scheme and a choice between them: FastAPI solves each dependency
    of every request, and those three cost a gate's scan a tenth of its Python calls."""

    def __init__(self) -> None:
        self.model = HTTPBearerModel(
            description="A session token from /auth/login (the web pages send the "
            f"{SESSION_COOKIE} cookie instead; API writes take the bearer token only)"
        )
        self.scheme_name = "HTTPBearer"

    async def __call__(self, request: Request) -> str | None:
        token, cookie = sent_token(request)
        if (
            token
            and cookie
            and request.method not in SAFE_METHODS
            and request.url.path.startswith("/api/")
        ):
            raise BearerRequired(
                N_(
                    "Send the session token as 'Authorization: Bearer'; "
                    "the sign-in cookie is for the web pages"
                )
            )
        return token or None


session_token = SessionToken()


TokenDep = Annotated[str | None, Security(session_token)]


def signed_in(token: str | None) -> str:
    """The session token, for the hot path that checks it itself (services/codes/
    code_page.py): none sent is refused as any other way in refuses it."""
    if not token:
        raise NotAuthenticated(N_("Please sign in"))
    return token


def principal_of_token(
    uow: UnitOfWork, env: Env, token: str | None, *, own_account: bool = False
) -> Principal:
    """The signed-in caller, or ``NotAuthenticated``; one whose password must be
    changed first only for a call about the account itself (``own_account``)."""
    return sessions.Caller(token, _anyone, own_account).authenticate(uow, env)


def _anyone(principal: Principal) -> Principal:
    return principal


def current_principal(token: TokenDep, uow: UowDep, env: EnvDep) -> Principal:
    return principal_of_token(uow, env, token)


PrincipalDep = Annotated[Principal, Depends(current_principal)]


def account_owner(token: TokenDep, uow: UowDep, env: EnvDep) -> Principal:
    """The signed-in caller acting on its own account (changing its password, reading
    it, signing out): let through while its password must be changed first."""
    return principal_of_token(uow, env, token, own_account=True)


OwnAccountDep = Annotated[Principal, Depends(account_owner)]


async def current_resident(principal: PrincipalDep) -> Principal:
    """A resident's own account: staff accounts cannot act as residents."""
    return residents_only(principal)


ResidentDep = Annotated[Principal, Depends(current_resident)]


class NotDeclared(Conflict):
    code = "declare_first"


async def declared_resident(principal: ResidentDep) -> uuid.UUID:
    """The resident a signed-in account stands for: an account that has not declared
    yet stands for none (its appeal pages were a 500)."""
    if principal.resident_id is None:
        raise NotDeclared(N_("You have no code yet; please declare first"))
    return principal.resident_id


DeclaredDep = Annotated[uuid.UUID, Depends(declared_resident)]


def check_permissions(
    principal: Principal, needed: frozenset[Permission], *, every: bool
) -> Principal:
    """``principal`` if it holds ``every`` permission (else any one of them)."""
    holds = all if every else any
    if not holds(principal.can(p) for p in needed):
        raise Forbidden(N_("You do not have permission to do this"))
    return principal


def require(*permissions: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets the call through only if the caller holds every permission."""
    needed = frozenset(permissions)

    async def check(principal: PrincipalDep) -> Principal:
        return check_permissions(principal, needed, every=True)

    check.permissions = needed  # type: ignore[attr-defined]  # the scope walker finds it
    return check


def require_any(*permissions: Permission) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency that lets the call through if the caller holds one of the
    permissions (a venue list serves its administrators and its operators)."""
    needed = frozenset(permissions)

    async def check(principal: PrincipalDep) -> Principal:
        return check_permissions(principal, needed, every=False)

    check.permissions = needed  # type: ignore[attr-defined]  # the scope walker finds it
    return check


def permissions_of(call: object) -> frozenset[Permission] | None:
    """What a ``require(...)`` dependency demands (None for any other callable): the
    test that walks every staff route with a principal of the wrong scope finds them."""
    found = getattr(call, "permissions", None)
    return found if isinstance(found, frozenset) else None
