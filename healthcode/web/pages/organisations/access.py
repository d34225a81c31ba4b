"""The page dependency that lets only people holding a permission through.

A page without a session redirects to ``/staff/login?next=…`` (``errorpages``); a person
without the permission gets a 403 page. Whether the record asked for is within their
scope is the services' question (out of scope: 404).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends

from healthcode.domain.errors import Forbidden
from healthcode.domain.i18n import N_
from healthcode.http.deps import EnvDep, UowDep
from healthcode.http.security import TokenDep
from healthcode.services.accounts import sessions
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.accounts.sessions import NotAuthenticated


def staff_with(permission: Permission) -> Callable[..., Principal]:
    """A staff member holding `permission`; none signed in: to the staff sign-in page."""

    def check(token: TokenDep, uow: UowDep, env: EnvDep) -> Principal:
        principal = sessions.authenticate(uow, env, token=token) if token else None
        if principal is None:
            raise NotAuthenticated(N_("Please sign in"))
        if not principal.can(permission):
            raise Forbidden(N_("You do not have permission to do this"))
        return principal

    check.permissions = frozenset({permission})  # type: ignore[attr-defined]  # the scope walker
    return check


Reader = Annotated[Principal, Depends(staff_with(Permission.APPLICATION_READ))]
Signer = Annotated[Principal, Depends(staff_with(Permission.PASS_SIGN))]
Officer = Annotated[Principal, Depends(staff_with(Permission.COLOUR_OVERRIDE))]
