"""Staff accounts managed by administrators (``staff.manage``), each within their own scope.

A grant is a role within a scope. An administrator may give a role within a scope only
if one of their own ``staff.manage`` grants could: its role may give that role
(``GRANTABLE``: an organisation's administrator gives its issuers and administrators,
never a deployment administrator) and its scope covers the new one (an organisation
inside the region, a smaller region, never a wider scope than their own). Issuer and
administrator roles of an organisation come with an active authorisation (so a
signature can name it), withdrawn with the role.

Staff are listed by what they hold: an organisation's administrator sees the staff
holding roles in their organisation, a region's those holding roles in it. Someone
outside is "not found". A deactivated account stays, with its history: it is
disabled, its sessions end, and the audit log records who did it and why.

An account whose last role is taken away is deactivated with it (a staff account with
no role serves nothing but its password) and remembers those roles
(``former_roles``): its administrators still see it, and reactivating it gives them
back. Without them it vanished from every list but a deployment administrator's.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from types import MappingProxyType

from healthcode.domain.errors import Conflict, FieldError, Forbidden, InvalidInput, NotFound
from healthcode.domain.i18n import N_, Words
from healthcode.domain.scope import ORG, REGION, Scope, canonical, region_prefix
from healthcode.services.accounts import login, password_change, sessions
from healthcode.services.accounts.permissions import (
    ROLE_NAMES,
    STAFF_ROLES,
    Permission,
    Principal,
    Role,
)
from healthcode.services.appeals.assignment import assign_waiting
from healthcode.services.organisations.authorisations import AuthorisationStatus, grant
from healthcode.services.organisations.registry import OrganisationKind
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

ORG_ROLES = frozenset({Role.ISSUER, Role.ORG_ADMIN, Role.EMPLOYER_ADMIN})
AUTHORISED_ROLES = frozenset({Role.ISSUER, Role.ORG_ADMIN})  # these need an authorisation
GRANTABLE: Mapping[Role, frozenset[Role]] = MappingProxyType(
    {Role.ADMIN: STAFF_ROLES, Role.ORG_ADMIN: ORG_ROLES}
)
# Roles whose work is an organisation's pass applications, which only a role held for
# that organisation reaches (``applications.reach``: an issuer signs in its name, seed
# 000 §三 签发人员实行授权签发管理). Not ORG_ADMIN: held for a region it manages that
# region's organisations, staff and authorisations.
ORGANISATION_ONLY = frozenset({Role.ISSUER, Role.EMPLOYER_ADMIN})
ORGANISATION_REQUIRED = N_(
    "{role} is given for one organisation (a community, village or employer), "
    "not a region or everywhere: choose the organisation"
)
REACHES_NOTHING = N_(
    "Reaches no pass application: this role works for one organisation (a community, "
    "village or employer), not a region or everywhere. Give it again for the "
    "organisation, then take this one away."
)


class GrantRefused(Forbidden):
    code = "grant_refused"


class CannotDeactivateSelf(Conflict):
    code = "cannot_deactivate_self"


class AccountDeactivated(Conflict):
    """A role given to a deactivated account would look granted and serve nobody."""

    code = "account_deactivated"


class AlreadyActive(Conflict):
    code = "account_active"


class OwnPassword(Conflict):
    code = "own_password"


@dataclass(frozen=True)
class StaffAccount:
    id: uuid.UUID
    username: str
    display_name: str
    roles: tuple[tuple[Role, str], ...]
    created_at: datetime
    disabled_at: datetime | None
    disabled_reason: str = ""  # as the administrator wrote it; "" when its last role went
    former_roles: tuple[tuple[Role, str], ...] = ()  # taken with its last; given back
    held_elsewhere: bool = False  # it holds roles outside the viewer's scope too

    @property
    def active(self) -> bool:
        return self.disabled_at is None

    @property
    def reaching_nothing(self) -> tuple[tuple[Role, str], ...]:
        """Its roles given, before that was refused, where they reach nothing
        (``REACHES_NOTHING`` says why and what to do)."""
        return tuple((r, s) for r, s in self.roles if needs_organisation(r, s))


def needs_organisation(role: Role, scope: str) -> bool:
    """A role that acts only for an organisation, held elsewhere."""
    return role in ORGANISATION_ONLY and not scope.startswith(ORG)


# --- where a scope string lies ----------------------------------------------------


def _within(uow: UnitOfWork, held: Scope, scope: str) -> bool:
    """The whole of ``scope`` lies inside ``held``."""
    if held.everywhere:
        return True
    if scope.startswith(ORG):
        organisation = _organisation(uow, scope)
        return organisation is not None and held.covers(
            organisation_id=organisation.id, region_code=organisation.region_code
        )
    if scope.startswith(REGION):
        code = scope[len(REGION) :]
        return (
            len(code) == 6
            and code.isdigit()
            and any(region_prefix(code).startswith(p) for p in held.regions)
        )
    return False  # the deployment, a venue: only the deployment's administrators


def _organisation(uow: UnitOfWork, scope: str) -> t.Organisation | None:
    try:
        return uow.organisations.by_id(uuid.UUID(scope[len(ORG) :]))
    except ValueError:
        return None


def may_grant(uow: UnitOfWork, who: Principal, role: Role, scope: str) -> bool:
    """One of ``who``'s own staff.manage grants could give this role in this scope."""
    return any(
        role in GRANTABLE.get(own, frozenset()) and _within(uow, Scope.of([own_scope]), scope)
        for own, own_scope in who.roles
    )


def _visible(uow: UnitOfWork, who: Principal, roles: Sequence[tuple[Role, str]]) -> bool:
    """An account ``who`` may see: one of its roles lies in who's staff.manage scope."""
    held = who.scope(Permission.STAFF_MANAGE)
    return held.everywhere or any(_within(uow, held, scope) for _role, scope in roles)


def _check_scopes(roles: Sequence[tuple[Role, str]]) -> None:
    """Roles to give: none where it would reach nothing (whoever gives it). Not asked
    of roles taken away: one given before is taken away as it is."""
    for role, scope in roles:
        if needs_organisation(role, scope):
            raise InvalidInput.single(
                "scope",
                "organisation_scope_required",
                ORGANISATION_REQUIRED,
                role=Words(ROLE_NAMES[role]),
            )


def _check_kinds(uow: UnitOfWork, roles: Sequence[tuple[Role, str]]) -> None:
    """An employer's issuer (``employer_admin``) is given for an employer only: a
    community or village has its own issuers and administrators. Until stop 43 a
    community's administrator gave it for the community (an outside probe)."""
    for role, scope in roles:
        if role is not Role.EMPLOYER_ADMIN or not scope.startswith(ORG):
            continue
        organisation = _organisation(uow, scope)
        if organisation is not None and organisation.kind != OrganisationKind.EMPLOYER:
            raise InvalidInput.single(
                "scope",
                "employer_required",
                N_(
                    "An employer's issuer is given for an employer; for a community or "
                    "village give the issuer role"
                ),
            )


def _check_grants(uow: UnitOfWork, who: Principal, roles: Sequence[tuple[Role, str]]) -> None:
    for role, scope in roles:
        if scope.startswith(ORG) and role in AUTHORISED_ROLES and _organisation(uow, scope) is None:
            raise InvalidInput.single("roles", "unknown_organisation", N_("No such organisation"))
        if role not in STAFF_ROLES or not may_grant(uow, who, role, scope):
            raise GrantRefused(
                N_("You cannot give the role {role} in this scope"),
                role=Words(ROLE_NAMES[role]),
            )


# --- use cases --------------------------------------------------------------------


def list_staff_accounts(uow: UnitOfWork, who: Principal) -> list[StaffAccount]:
    """The staff ``who`` manages, active first, by username; deactivated ones kept."""
    found = []
    for account, rows in uow.accounts.staff():
        roles = _roles(rows)
        if _visible(uow, who, roles or _former(account)):
            found.append(_view(uow, who, account, roles))
    return sorted(found, key=lambda a: (not a.active, a.username))


def show_staff_account(uow: UnitOfWork, who: Principal, *, account_id: uuid.UUID) -> StaffAccount:
    account, roles = _managed(uow, who, account_id)
    return _view(uow, who, account, roles)


def create_staff_account(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    username: str,
    password: str,
    display_name: str,
    roles: Sequence[tuple[Role, str]],
    client: str = "",
) -> StaffAccount:
    """A new staff account holding only roles ``who`` may give."""
    roles = _canonical(roles)
    _check_scopes(roles)
    _check_kinds(uow, roles)
    _check_grants(uow, who, roles)
    made = _create(
        uow, env, username, password, display_name, roles, actor_id=who.account_id, client=client
    )
    return show_staff_account(uow, who, account_id=made.id)


def create_staff_at_console(
    uow: UnitOfWork,
    env: Env,
    *,
    username: str,
    password: str,
    display_name: str,
    roles: Sequence[tuple[Role, str]],
) -> sessions.AccountSummary:
    """A staff account made at the server's console (``healthcode staff add``): whoever
    runs it holds the deployment, so no grant is checked, but what follows a grant
    is the same as for ``create_staff_account`` (``_create``; the audit entry has no
    actor: the console). Made with the role alone, an organisation's issuer could
    sign nothing, and an officer was never told of the appeals waiting for one."""
    roles = _canonical(roles)
    _check_scopes(roles)
    _check_kinds(uow, roles)
    return _create(uow, env, username, password, display_name, roles, actor_id=None)


def _create(
    uow: UnitOfWork,
    env: Env,
    username: str,
    password: str,
    display_name: str,
    roles: Sequence[tuple[Role, str]],
    *,
    actor_id: uuid.UUID | None,
    client: str = "",
) -> sessions.AccountSummary:
    """The account, and what follows a grant: an organisation's issuer or administrator
    authorised, the audit entry, and every appeal waiting for an officer (step
    ``unassigned``) that the account may decide sent to it."""
    made = login.create_staff(
        uow,
        env,
        username=username,
        password=password,
        display_name=display_name,
        roles=roles,
        must_change_password=True,  # the administrator (or the console) chose it
    )
    for role, scope in roles:
        _authorise(uow, env, actor_id, made.id, made.display_name, role, scope)
    detail: dict[str, object] = {
        "account_id": str(made.id),
        "roles": [[r.value, s] for r, s in roles],
    }
    if actor_id is None:
        detail["via"] = "console"
    audit.record(
        uow, env, actor_id=actor_id, action="staff.account.create", detail=detail, client=client
    )
    assign_waiting(uow, env, account_id=made.id, actor_id=actor_id, client=client)
    return made


def change_roles(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    account_id: uuid.UUID,
    add: Sequence[tuple[Role, str]] = (),
    remove: Sequence[tuple[Role, str]] = (),
    client: str = "",
) -> StaffAccount:
    """Give and take roles; each one given or taken must be one ``who`` may give. Not
    one's own roles to take (as one's own account is not to deactivate). An account
    left with no role is deactivated (``_last_role_taken``)."""
    add, remove = _canonical(add), _canonical(remove)
    account, roles_now = _managed(uow, who, account_id, lock=True)
    if remove and account.id == who.account_id:
        raise CannotDeactivateSelf(N_("You cannot take away your own roles"))
    _check_scopes(add)
    _check_kinds(uow, add)
    _check_grants(uow, who, [*add, *remove])
    if add and account.disabled_at is not None:
        raise AccountDeactivated(
            N_("This account is deactivated: reactivate it first, then give it roles")
        )
    for role, scope in remove:
        uow.accounts.drop(account.id, role.value, scope)
        _withdraw(uow, env, who, account.id, role, scope)
    for role, scope in add:
        uow.accounts.hold(account.id, role.value, scope)
        _authorise(uow, env, who.account_id, account.id, account.display_name, role, scope)
    uow.flush()
    if roles_now and not uow.accounts.roles_of(account.id):
        _last_role_taken(uow, env, who, account, roles_now, client)
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="staff.account.roles",
        detail={
            "account_id": str(account.id),
            "added": [[r.value, s] for r, s in add],
            "removed": [[r.value, s] for r, s in remove],
        },
        client=client,
    )
    if add:  # what waited for someone holding a role given here goes to them now
        assign_waiting(uow, env, account_id=account.id, actor_id=who.account_id, client=client)
    # Not ``show_staff_account``: taking away the last role in who's scope when it
    # holds others elsewhere leaves an account who no longer manages: no error.
    return _view(uow, who, account, _roles(uow.accounts.roles_of(account.id)))


def manages(uow: UnitOfWork, who: Principal, account: StaffAccount) -> bool:
    """Whether ``who`` still manages the account (a role, or a role it lost with its
    last, in their scope)."""
    return _visible(uow, who, account.roles or account.former_roles)


def _last_role_taken(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    account: t.Account,
    roles: Sequence[tuple[Role, str]],
    client: str,
) -> None:
    """Deactivate it, and keep the roles it lost so that who served with it still see
    it. Still deactivating rather than leaving an account with no role active: it
    could sign in, to nothing, with a password nobody watches any more; the pages say
    before and after that the last role's removal deactivates the account."""
    account.former_roles = [[role.value, scope] for role, scope in roles]
    if account.disabled_at is None:
        _disable(uow, env, who, account, "last role taken away", client)


def role_taken_elsewhere(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    account_id: uuid.UUID,
    role: Role,
    scope: str,
    client: str = "",
) -> None:
    """Another use case took ``role`` away (a guard removed from the organisation's
    last venue): if it was the account's last, the account is deactivated and keeps it
    among its former roles, as when an administrator takes it (``_last_role_taken``).
    Until stop 43 such a guard stayed active with no role, invisible to the
    organisation's administrators and impossible to add back (an outside probe)."""
    if uow.accounts.roles_of(account_id):
        return
    account = uow.accounts.by_id(account_id, lock=True)
    if account is not None:
        _last_role_taken(uow, env, who, account, [(role, scope)], client)


def deactivate_staff_account(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    account_id: uuid.UUID,
    reason: str,
    client: str = "",
) -> StaffAccount:
    """Disable the account (kept, with its signatures and history) and end its sessions.
    Only someone who could give every role it holds may do it; never oneself."""
    account, roles = _managed(uow, who, account_id, lock=True)
    if account.id == who.account_id:
        raise CannotDeactivateSelf(N_("You cannot deactivate your own account"))
    _check_holds_only_ours(
        uow,
        who,
        roles,
        N_(
            "This account also holds roles outside your organisations: its other "
            "administrators, or a deployment administrator, can deactivate it"
        ),
    )
    reason = _reason(reason)
    if account.disabled_at is None:
        _disable(uow, env, who, account, reason, client)
        account.disabled_reason = reason
    uow.flush()
    return _view(uow, who, account, roles)


def reactivate_staff_account(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    account_id: uuid.UUID,
    reason: str,
    client: str = "",
) -> StaffAccount:
    """Undo a deactivation (one done by mistake had no way back): the same people may
    do it as may deactivate. The account gets back the roles and authorisations it
    still holds (deactivation takes none away), or, deactivated by its last role's
    removal, the roles it lost then (authorised anew); its sessions ended then stay
    ended, so the person signs in again. An active account is a conflict, not a silent
    no-op: two administrators acting at once learn that the other was first."""
    account, roles = _managed(uow, who, account_id, lock=True)
    given_back = () if roles else _former(account)
    _check_holds_only_ours(
        uow,
        who,
        roles or given_back,
        N_(
            "This account also holds roles outside your organisations: its other "
            "administrators, or a deployment administrator, can reactivate it"
        ),
    )
    reason = _reason(reason)
    if account.disabled_at is None:
        raise AlreadyActive(N_("This account is active: there is nothing to reactivate"))
    account.disabled_at, account.disabled_reason, account.former_roles = None, "", None
    for role, scope in given_back:
        uow.accounts.hold(account.id, role.value, scope)
        _authorise(uow, env, who.account_id, account.id, account.display_name, role, scope)
    detail: dict[str, object] = {"account_id": str(account.id), "reason": reason}
    if given_back:
        detail["roles_given_back"] = [[r.value, s] for r, s in given_back]
    audit.record(
        uow, env, actor_id=who.account_id, action="staff.account.reactivate", detail=detail,
        client=client,
    )  # fmt: skip
    uow.flush()
    assign_waiting(uow, env, account_id=account.id, actor_id=who.account_id, client=client)
    return _view(uow, who, account, roles or given_back)


def set_staff_password(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    account_id: uuid.UUID,
    password: str,
    client: str = "",
) -> None:
    """A new password for a staff account ``who`` manages (forgotten, or known to
    someone it should not be): every session of the account ends. The same people
    may do it as may deactivate it, since whoever sets a password can sign in with
    every role the account holds; one's own is changed knowing the current one
    (``password_change.change_own_password``)."""
    account, roles = _managed(uow, who, account_id, lock=True)
    if account.id == who.account_id:
        raise OwnPassword(
            N_(
                "This is your own account: change your password with the current one "
                "(Change my password)"
            )
        )
    _check_holds_only_ours(
        uow,
        who,
        roles or _former(account),
        N_(
            "This account also holds roles outside your organisations: its other "
            "administrators, or a deployment administrator, can set its password"
        ),
    )
    password_change.reset_password(
        uow, env, account, password=password, actor_id=who.account_id, client=client
    )


# --- helpers ----------------------------------------------------------------------


def _check_holds_only_ours(
    uow: UnitOfWork, who: Principal, roles: Sequence[tuple[Role, str]], refusal: str
) -> None:
    """Who may switch an account off or on: someone who could give every role it holds."""
    if not all(may_grant(uow, who, role, scope) for role, scope in roles):
        raise GrantRefused(refusal)


def _reason(reason: str) -> str:
    reason = " ".join(reason.split())
    if not 0 < len(reason) <= 200:
        raise InvalidInput(FieldError("reason", "length", N_("Say why, in 1 to 200 characters")))
    return reason


def _disable(
    uow: UnitOfWork, env: Env, who: Principal, account: t.Account, reason: str, client: str
) -> None:
    account.disabled_at = env.clock.now()
    sessions.logout_everywhere(uow, env, account_id=account.id)
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="staff.account.deactivate",
        detail={"account_id": str(account.id), "reason": reason},
        client=client,
    )


def _managed(
    uow: UnitOfWork, who: Principal, account_id: uuid.UUID, *, lock: bool = False
) -> tuple[t.Account, tuple[tuple[Role, str], ...]]:
    account = uow.accounts.by_id(account_id, lock=lock)
    roles = _roles(uow.accounts.roles_of(account_id)) if account is not None else ()
    if (
        account is None
        or account.kind != "staff"
        or not _visible(uow, who, roles or _former(account))
    ):
        raise NotFound(N_("No such staff account"))
    return account, roles


def _canonical(roles: Sequence[tuple[Role, str]]) -> list[tuple[Role, str]]:
    return [(role, canonical(scope)) for role, scope in roles]


def _roles(rows: Sequence[t.AccountRole]) -> tuple[tuple[Role, str], ...]:
    return _known((r.role, r.scope) for r in rows)


def _former(account: t.Account) -> tuple[tuple[Role, str], ...]:
    """The roles its last role's removal took away (``former_roles``), if that is
    what deactivated it."""
    return _known((str(role), str(scope)) for role, scope in account.former_roles or ())


def _known(pairs: Iterable[tuple[str, str]]) -> tuple[tuple[Role, str], ...]:
    known = {role.value for role in Role}
    return tuple(sorted((Role(role), scope) for role, scope in pairs if role in known))


def _view(
    uow: UnitOfWork, who: Principal, account: t.Account, roles: Sequence[tuple[Role, str]]
) -> StaffAccount:
    """The account with the roles it holds within ``who``'s scope: an employer's
    administrator was shown (and offered to take away) a role it held for another
    organisation."""
    held = who.scope(Permission.STAFF_MANAGE)

    def ours(pairs: Sequence[tuple[Role, str]]) -> tuple[tuple[Role, str], ...]:
        return tuple(r for r in pairs if held.everywhere or _within(uow, held, r[1]))

    shown = ours(roles)
    return StaffAccount(
        account.id,
        account.username or "",
        account.display_name,
        shown,
        account.created_at,
        account.disabled_at,
        account.disabled_reason,
        ours(_former(account)),
        len(shown) < len(roles),
    )


def _authorise(
    uow: UnitOfWork,
    env: Env,
    decided_by: uuid.UUID | None,
    account_id: uuid.UUID,
    name: str,
    role: Role,
    scope: str,
) -> None:
    """An organisation's issuer or administrator acts under an active authorisation
    (``decided_by`` None: made at the console)."""
    organisation = _organisation(uow, scope) if scope.startswith(ORG) else None
    if role not in AUTHORISED_ROLES or organisation is None:
        return
    if uow.authorisations.active(account_id, organisation.id, role.value) is None:
        grant(
            uow,
            env,
            account_id=account_id,
            organisation_id=organisation.id,
            role=role,
            name=name,
            decided_by=decided_by,
        )


def _withdraw(
    uow: UnitOfWork, env: Env, who: Principal, account_id: uuid.UUID, role: Role, scope: str
) -> None:
    organisation = _organisation(uow, scope) if scope.startswith(ORG) else None
    if organisation is None:
        return
    row = uow.authorisations.active(account_id, organisation.id, role.value, lock=True)
    if row is not None:
        row.status = AuthorisationStatus.REVOKED.value
        row.decided_by, row.decided_at = who.account_id, env.clock.now()
        row.reason = "role removed"
