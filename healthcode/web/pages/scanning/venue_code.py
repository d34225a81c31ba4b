"""A venue's printable code (场所码): a page for staff to print and put up at the door,
with a QR of the link ``/v/{code}`` on this site, for places without a guard.

Shown to the venue's administrators and operators (``operated_venue``; anyone else:
"not found"). Plain HTML: the browser prints it, the print style hides the site's
header and footer.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from markupsafe import Markup

from healthcode.domain.errors import Forbidden
from healthcode.domain.i18n import N_
from healthcode.domain.qr import link_svg
from healthcode.http.deps import EnvDep, UowDep
from healthcode.http.security import TokenDep
from healthcode.services.accounts import sessions
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.accounts.sessions import NotAuthenticated
from healthcode.services.scanning import venues
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)


def staff_with_any(*permissions: Permission) -> Callable[..., Principal]:
    """A staff member holding one of ``permissions``; none signed in: to sign in."""

    def check(token: TokenDep, uow: UowDep, env: EnvDep) -> Principal:
        principal = sessions.authenticate(uow, env, token=token) if token else None
        if principal is None:
            raise NotAuthenticated(N_("Please sign in"))
        if not any(principal.can(p) for p in permissions):
            raise Forbidden(N_("You do not have permission to do this"))
        return principal

    check.permissions = frozenset(permissions)  # type: ignore[attr-defined]  # the scope walker
    return check


VenueStaff = Annotated[
    Principal, Depends(staff_with_any(Permission.ORGANISATIONS_MANAGE, Permission.SCAN))
]


def check_in_link(request: Request, code: str) -> str:
    """The link printed in the venue's QR: this site's ``/v/<code>``."""
    return f"{str(request.base_url).rstrip('/')}/v/{code}"


@router.get("/staff/venues/{venue_id}/code")
def venue_code_page(
    request: Request, venue_id: uuid.UUID, who: VenueStaff, uow: UowDep
) -> Response:
    venue = venues.operated_venue(uow, who, venue_id)
    link = check_in_link(request, venue.code)
    return render(
        request,
        "scanning/venue_code.html",
        venue=venue,
        link=link,
        qr=Markup(link_svg(link)),  # segno's own markup
    )
