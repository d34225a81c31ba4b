"""A staff member's own password: ``/staff/password``, the current one and the new one
(typed twice, the page's own check: a typo would lock the person out).

Nothing typed is put back on a refusal, nor kept across a detour (``stash.NOT_KEPT``):
every field is a password. Success redirects to the page saying so in words
(POST/redirect/GET, so a reload does not send the form again).

An account whose password an administrator set is sent here from every other page
(``web/errorpages.py``) and the page says why; it stays usable for that account
(``OwnAccountDep``), as signing out does.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.errors import DomainError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.http.deps import ClientDep, EnvDep, UowDep
from healthcode.http.errors import in_words
from healthcode.http.security import OwnAccountDep
from healthcode.i18n import translate
from healthcode.services.accounts import password_change
from healthcode.services.accounts.passwords import PASSWORD_MIN
from healthcode.services.accounts.permissions import Principal
from healthcode.services.accounts.sessions import MUST_CHANGE
from healthcode.services.shared.bounds import SafeText
from healthcode.web.forms import FormState
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
PAGE = "/staff/password"
Password = Annotated[SafeText, Form(max_length=256)]


async def _staff(principal: OwnAccountDep) -> Principal:
    return password_change.staff_only(principal)


StaffDep = Annotated[Principal, Depends(_staff)]


@router.get(PAGE)
def password_page(request: Request, who: StaffDep, changed: bool = False) -> Response:
    """``changed``: the password was just changed (said above an empty form)."""
    return _page(request, who, FormState(), changed=changed)


@router.post(PAGE)
def change_password(
    request: Request,
    who: StaffDep,
    uow: UowDep,
    env: EnvDep,
    client: ClientDep,
    current_password: Password = "",  # empty: said beside the field
    new_password: Password = "",
    new_password_again: Password = "",
) -> Response:
    form = FormState()
    try:
        if new_password != new_password_again:
            message = N_("The two new passwords differ: type the same one twice")
            raise InvalidInput.single("new_password_again", "mismatch", message)
        password_change.change_own_password(
            uow,
            env,
            who,
            current_password=current_password,
            new_password=new_password,
            client=client,
        )
    except DomainError as error:
        uow.refused(error)
        if isinstance(error, InvalidInput):
            for e in error.errors:
                form.add_error(e.field, translate(e.message, e.params))
        else:  # too many wrong passwords: the current one is the field guessed at
            form.add_error("current_password", in_words(error))
        return _page(request, who, form, status=error.status)
    return RedirectResponse(f"{PAGE}?changed=1", status_code=303)


def _page(
    request: Request, who: Principal, form: FormState, *, status: int = 200, changed: bool = False
) -> Response:
    """``must_change``: why every other page sent the account here (None: it did not)."""
    return render(
        request,
        "accounts/staff_password.html",
        status=status,
        headers={"Cache-Control": "no-store"},
        form=form,
        changed=changed,
        must_change=MUST_CHANGE if who.must_change_password else None,
        password_min=PASSWORD_MIN,
    )
