"""Staff pages: password sign-in, the list of what an administrator manages, and staff
accounts (list, create, roles, deactivate, reactivate, a new password), each within the
caller's own scope.

The session goes into the same ``hc_session`` cookie as a resident's; a page needing
``staff.manage`` sends anyone signed out to ``/staff/login`` and back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from healthcode.domain.errors import DomainError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.errors import in_words
from healthcode.http.security import SESSION_COOKIE, require
from healthcode.i18n import translate
from healthcode.services.accounts import login as accounts
from healthcode.services.accounts.passwords import PASSWORD_MIN
from healthcode.services.accounts.permissions import Permission, Principal, Role
from healthcode.services.organisations import roster, staff_accounts, staff_choices
from healthcode.services.shared.bounds import SafeText
from healthcode.web import csrf
from healthcode.web.deps import NextField, local_path, user_agent
from healthcode.web.forms import FormState
from healthcode.web.labels import ROLES
from healthcode.web.templating import render

router = APIRouter(include_in_schema=False)
Manager = Annotated[Principal, Depends(require(Permission.STAFF_MANAGE))]
Text = Annotated[SafeText, Form(max_length=256)]
STAFF_HOME = "/staff"  # links what each role may use: no role is sent to a page it cannot see


@router.get("/staff/login")
def login_page(request: Request, next: str = STAFF_HOME) -> Response:
    form = FormState(values={"next": local_path(next, STAFF_HOME)})
    return render(request, "accounts/staff_login.html", form=form)


@router.post("/staff/login")
def sign_in(
    request: Request,
    uow: UowDep,
    env: EnvDep,
    username: Annotated[SafeText, Form(max_length=64)] = "",  # empty: said beside the field
    password: Text = "",
    next: NextField = STAFF_HOME,
) -> Response:
    form = FormState(values={"username": username, "next": local_path(next, STAFF_HOME)})
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
        _show(form, error)
        return render(request, "accounts/staff_login.html", status=error.status, form=form)
    response = RedirectResponse(form.value("next"), status_code=303)
    max_age = int((issued.expires_at - env.clock.now()).total_seconds())
    response.set_cookie(
        SESSION_COOKIE, issued.token, max_age=max_age, httponly=True, samesite="lax", path="/"
    )
    response.set_cookie(csrf.COOKIE, csrf.new_token(), httponly=True, samesite="lax", path="/")
    return response


@router.get("/staff/manage")
def manage(request: Request, who: Manager, uow: UowDep) -> Response:
    """What this administrator manages: staff accounts and the employers' rosters."""
    return render(
        request, "accounts/staff_manage.html", employers=roster.managed_employers(uow, who)
    )


@router.get("/staff/accounts")
def list_accounts(request: Request, who: Manager, uow: UowDep, left: bool = False) -> Response:
    listed = staff_accounts.list_staff_accounts(uow, who)
    return render(
        request, "accounts/staff_list.html", accounts=listed, left=left, **_naming(uow, who)
    )


Find = Annotated[SafeText, Query(max_length=64)]  # part of an organisation's name or code


@router.get("/staff/accounts/new")
def new_account(request: Request, who: Manager, uow: UowDep, find: Find = "") -> Response:
    """``find``: only the organisations it names are offered (a province's are many)."""
    return _form(request, uow, who, FormState(), find=find)


@router.post("/staff/accounts/new")
def create_account(
    request: Request,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    username: Annotated[SafeText, Form(max_length=64)] = "",
    display_name: Annotated[SafeText, Form(max_length=64)] = "",
    password: Text = "",
    role: Annotated[SafeText, Form(max_length=32)] = "",
    scope: Annotated[SafeText, Form(max_length=64)] = "",
) -> Response:
    values = {"username": username, "display_name": display_name, "role": role, "scope": scope}
    form = FormState(values=values)
    try:
        made = staff_accounts.create_staff_account(
            uow,
            env,
            who,
            username=username,
            password=password,
            display_name=display_name,
            roles=_grant(role, scope),
            client=client_address(request),
        )
    except DomainError as error:
        uow.refused(error)
        _show(form, error)
        return _form(request, uow, who, form, status=error.status)
    return RedirectResponse(f"/staff/accounts/{made.id}?created=1", status_code=303)


@router.get("/staff/accounts/{account_id}")
def account_page(
    request: Request,
    account_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
    created: bool = False,
    last_role: bool = False,
    password_set: bool = False,
    find: Find = "",
) -> Response:
    """``last_role``: its last role was just taken away, which deactivated it;
    ``password_set``: a new password was just set."""
    shown = staff_accounts.show_staff_account(uow, who, account_id=account_id)
    return _account(
        request, uow, who, shown, FormState(), created=created, last_role=last_role,
        password_set=password_set, find=find,
    )  # fmt: skip


@router.post("/staff/accounts/{account_id}/roles")
def change_roles(
    request: Request,
    account_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    action: Annotated[SafeText, Form(max_length=16)] = "add",
    role: Annotated[SafeText, Form(max_length=32)] = "",
    scope: Annotated[SafeText, Form(max_length=64)] = "",
) -> Response:
    grant = _grant(role, scope)
    change = {"remove": grant} if action == "remove" else {"add": grant}
    try:
        changed = staff_accounts.change_roles(
            uow, env, who, account_id=account_id, client=client_address(request), **change
        )
    except DomainError as error:
        uow.refused(error)
        form = FormState(values={"role": role, "scope": scope})
        _show(form, error)
        shown = staff_accounts.show_staff_account(uow, who, account_id=account_id)
        return _account(request, uow, who, shown, form, status=error.status)
    if not staff_accounts.manages(uow, who, changed):  # its last role here; others elsewhere
        return RedirectResponse("/staff/accounts?left=1", status_code=303)
    if action == "remove" and changed.former_roles:  # its last role: deactivated with it
        return RedirectResponse(f"/staff/accounts/{account_id}?last_role=1", status_code=303)
    return RedirectResponse(f"/staff/accounts/{account_id}", status_code=303)


@router.post("/staff/accounts/{account_id}/deactivation")
def deactivate(
    request: Request,
    account_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    reason: Annotated[SafeText, Form(max_length=200)] = "",
) -> Response:
    return _switch(
        request, uow, who, account_id, reason, staff_accounts.deactivate_staff_account, env
    )


@router.post("/staff/accounts/{account_id}/reactivation")
def reactivate(
    request: Request,
    account_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    reason: Annotated[SafeText, Form(max_length=200)] = "",
) -> Response:
    return _switch(
        request, uow, who, account_id, reason, staff_accounts.reactivate_staff_account, env
    )


@router.post("/staff/accounts/{account_id}/password")
def set_password(
    request: Request,
    account_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    password: Text = "",
) -> Response:
    """Back to the account's page saying the password is set; a refusal is the page
    again with the reason beside the field, which is left empty (a password)."""
    try:
        staff_accounts.set_staff_password(
            uow, env, who, account_id=account_id, password=password, client=client_address(request)
        )
    except DomainError as error:
        uow.refused(error)
        form = FormState()
        _show(form, error)
        shown = staff_accounts.show_staff_account(uow, who, account_id=account_id)
        return _account(request, uow, who, shown, form, status=error.status)
    return RedirectResponse(f"/staff/accounts/{account_id}?password_set=1", status_code=303)


def _switch(
    request: Request,
    uow: UowDep,
    who: Principal,
    account_id: uuid.UUID,
    reason: str,
    use_case: Callable[..., staff_accounts.StaffAccount],
    env: EnvDep,
) -> Response:
    """Deactivate or reactivate, then back to the account's page (POST/redirect/GET);
    a refusal is the page again with the reason kept and the error said."""
    try:
        use_case(
            uow, env, who, account_id=account_id, reason=reason, client=client_address(request)
        )
    except DomainError as error:
        uow.refused(error)
        form = FormState(values={"reason": reason})
        _show(form, error)
        shown = staff_accounts.show_staff_account(uow, who, account_id=account_id)
        return _account(request, uow, who, shown, form, status=error.status)
    return RedirectResponse(f"/staff/accounts/{account_id}", status_code=303)


def _grant(role: str, scope: str) -> list[tuple[Role, str]]:
    """The one grant a form names; an unknown role is left for the service to refuse."""
    if not role:
        return []
    try:
        return [(Role(role), scope.strip())]
    except ValueError:
        raise InvalidInput.single("role", "unknown", N_("Choose a role")) from None


def _show(form: FormState, error: DomainError) -> None:
    if isinstance(error, InvalidInput):
        for e in error.errors:
            form.add_error(e.field, translate(e.message, e.params))
    else:
        form.general.append(in_words(error))


def _naming(uow: UowDep, who: Principal, find: str = "") -> dict[str, Any]:
    """Words for roles and scopes, and what the forms offer (``find``: the
    organisations it names)."""
    choices = staff_choices.scope_choices(uow, who, matching=find)
    roles = staff_choices.grantable_roles(who)
    organisations = [c.scope for c in choices if c.kind == "organisation"]
    return {
        "find": find.strip(),
        "organisations_offered": len(organisations),
        "offered_at_most": staff_choices.ORGANISATIONS_OFFERED,
        "role_names": ROLES,
        "roles": roles,
        "organisation_only": [r for r in roles if staff_choices.organisation_only(r)],
        "scopes": choices,
        # the first role offered is an issuer's: where one may be held comes first
        "first_scope": next(iter(organisations), choices[0].scope if choices else ""),
        "scope_names": {c.scope: c for c in choices},
        "describe": lambda scope: staff_choices.describe_scope(uow, scope),
        "reaches_nothing": staff_accounts.REACHES_NOTHING,
    }


def _form(
    request: Request,
    uow: UowDep,
    who: Principal,
    form: FormState,
    *,
    status: int = 200,
    find: str = "",
) -> Response:
    return render(
        request,
        "accounts/staff_new.html",
        status=status,
        form=form,
        password_min=PASSWORD_MIN,
        **_naming(uow, who, find),
    )


def _account(
    request: Request,
    uow: UowDep,
    who: Principal,
    shown: staff_accounts.StaffAccount,
    form: FormState,
    *,
    status: int = 200,
    created: bool = False,
    last_role: bool = False,
    password_set: bool = False,
    find: str = "",
) -> Response:
    return render(
        request,
        "accounts/staff_account.html",
        status=status,
        account=shown,
        form=form,
        created=created,
        last_role=last_role,
        password_set=password_set,
        password_min=PASSWORD_MIN,
        is_self=shown.id == who.account_id,
        **_naming(uow, who, find),
    )
