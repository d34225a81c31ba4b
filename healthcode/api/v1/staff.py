"""Employers' staff rosters (CSV/XLSX import with a per-row report) and staff accounts
(create, give and take roles, deactivate, reactivate, set a password), each within the
caller's ``staff.manage`` scope; anything outside it is not found."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, File, Query, Request, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.security import require
from healthcode.http.views import LocalTime
from healthcode.i18n import translate
from healthcode.services.accounts.permissions import Permission, Principal, Role
from healthcode.services.organisations import roster, staff_accounts
from healthcode.services.organisations.roster_files import MAX_BYTES
from healthcode.services.shared.bounds import MAX_OFFSET, InputModel

router = APIRouter(tags=["staff"])
Manager = Annotated[Principal, Depends(require(Permission.STAFF_MANAGE))]


class RefusedRowView(BaseModel):
    line: int = Field(description="line in the file; the header is line 1")
    field: str = Field(examples=["id_number"])
    code: str = Field(examples=["checksum"])
    message: str = Field(description="why, in the caller's language")


class ImportReportView(BaseModel):
    batch: uuid.UUID
    added: int
    updated: int
    unchanged: int
    refused: int
    refusals: list[RefusedRowView]

    @classmethod
    def of(cls, report: roster.ImportReport) -> ImportReportView:
        return cls(
            batch=report.batch,
            added=report.added,
            updated=report.updated,
            unchanged=report.unchanged,
            refused=len(report.refused),
            refusals=[
                RefusedRowView(
                    line=r.line, field=r.field, code=r.code, message=translate(r.message, r.params)
                )
                for r in report.refused
            ],
        )


class StaffMemberView(BaseModel):
    id: uuid.UUID
    name: str
    id_masked: str
    phone_masked: str | None
    department: str
    updated_at: LocalTime


class RosterView(BaseModel):
    organisation_id: uuid.UUID
    organisation_name: str
    total: int
    staff: list[StaffMemberView]


class Grant(InputModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    scope: str = Field("", max_length=64, examples=["org:6f1c…", "region:371602"])


class StaffAccountInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=64, examples=["issuer.huanghe02"])
    password: str = Field(max_length=256)
    display_name: str = Field(max_length=64, examples=["黄河五路社区 李敏"])
    roles: list[Grant] = Field(max_length=20)


class RolesChange(InputModel):
    model_config = ConfigDict(extra="forbid")
    add: list[Grant] = Field(default_factory=list, max_length=20)
    remove: list[Grant] = Field(default_factory=list, max_length=20)


class Deactivation(InputModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=200, examples=["调离岗位"])


class Reactivation(InputModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=200, examples=["误停用"])


class NewPassword(InputModel):
    model_config = ConfigDict(extra="forbid")
    password: str = Field(max_length=256, examples=["staple clip lantern 42"])


class RoleWarningView(BaseModel):
    role: Role
    scope: str
    code: str = Field(examples=["organisation_scope_required"])
    message: str = Field(description="why it reaches nothing, and what to do, in your language")


class StaffAccountView(BaseModel):
    id: uuid.UUID
    username: str
    display_name: str
    roles: list[Grant]
    active: bool
    created_at: LocalTime
    disabled_at: LocalTime | None
    disabled_reason: str = Field(
        description="why, as the administrator who deactivated it wrote it; empty when "
        "active, or when the removal of its last role deactivated it (see former_roles)"
    )
    former_roles: list[Grant] = Field(
        description="deactivated by the removal of its last role: those roles (within your "
        "scope); reactivating gives them back. Empty otherwise"
    )
    reaching_nothing: list[RoleWarningView] = Field(
        description="roles in ``roles`` given, before that was refused, where they reach "
        "nothing (an issuer held for a region or everywhere): give them again for the "
        "organisation (``org:<id>``), then take these away"
    )

    @classmethod
    def of(cls, account: staff_accounts.StaffAccount) -> StaffAccountView:
        return cls(
            id=account.id,
            username=account.username,
            display_name=account.display_name,
            roles=[Grant(role=r, scope=s) for r, s in account.roles],
            active=account.active,
            created_at=account.created_at,
            disabled_at=account.disabled_at,
            disabled_reason=account.disabled_reason,
            former_roles=[Grant(role=r, scope=s) for r, s in account.former_roles],
            reaching_nothing=[
                RoleWarningView(
                    role=r,
                    scope=s,
                    code="organisation_scope_required",
                    message=translate(staff_accounts.REACHES_NOTHING),
                )
                for r, s in account.reaching_nothing
            ],
        )


def _pairs(grants: list[Grant]) -> list[tuple[Role, str]]:
    return [(g.role, g.scope) for g in grants]


@router.get("/employers/{organisation_id}/roster", summary="An employer's staff roster")
def get_roster(
    organisation_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
) -> RosterView:
    found = roster.show_roster(
        uow, who, organisation_id=organisation_id, limit=limit, offset=offset
    )
    return RosterView(
        organisation_id=found.organisation_id,
        organisation_name=found.organisation_name,
        total=found.total,
        staff=[StaffMemberView(**vars(m)) for m in found.staff],
    )


@router.post(
    "/employers/{organisation_id}/roster/imports",
    summary="Import staff from a CSV (UTF-8, GBK or Excel's Unicode text) or XLSX file: name, "
    "ID number, phone, department; good rows are kept, every refused row is reported",
)
def import_roster(
    organisation_id: uuid.UUID,
    file: Annotated[UploadFile, File(description=f"at most {MAX_BYTES // 2**20} MB")],
    who: Manager,
    uow: UowDep,
    env: EnvDep,
) -> ImportReportView:
    content = file.file.read(MAX_BYTES + 1)
    report = roster.import_staff(
        uow,
        env,
        who,
        organisation_id=organisation_id,
        content=content,
        filename=file.filename or "",
    )
    return ImportReportView.of(report)


@router.delete(
    "/employers/{organisation_id}/roster/{employee_id}",
    status_code=204,
    summary="Take one person off the roster: off the board and check-ins, their past "
    "check-ins kept; not found if not (or no longer) on it; a later import brings them back",
)
def remove_from_roster(
    organisation_id: uuid.UUID,
    employee_id: uuid.UUID,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    request: Request,
) -> Response:
    roster.remove_staff(
        uow,
        env,
        who,
        organisation_id=organisation_id,
        employee_id=employee_id,
        client=client_address(request),
    )
    return Response(status_code=204)


@router.get("/staff-accounts", summary="The staff accounts within your scope")
def list_staff(who: Manager, uow: UowDep) -> list[StaffAccountView]:
    return [StaffAccountView.of(a) for a in staff_accounts.list_staff_accounts(uow, who)]


@router.post("/staff-accounts", status_code=201, summary="Create a staff account in your scope")
def create_staff(
    data: StaffAccountInput, who: Manager, uow: UowDep, env: EnvDep, request: Request
) -> StaffAccountView:
    made = staff_accounts.create_staff_account(
        uow,
        env,
        who,
        username=data.username,
        password=data.password,
        display_name=data.display_name,
        roles=_pairs(data.roles),
        client=client_address(request),
    )
    return StaffAccountView.of(made)


@router.get("/staff-accounts/{account_id}", summary="One staff account")
def get_staff(account_id: uuid.UUID, who: Manager, uow: UowDep) -> StaffAccountView:
    return StaffAccountView.of(staff_accounts.show_staff_account(uow, who, account_id=account_id))


@router.post(
    "/staff-accounts/{account_id}/roles",
    summary="Give and take roles; giving one to a deactivated account is 409 (reactivate "
    "first); taking its last role deactivates it (former_roles: reactivating gives them back)",
)
def change_roles(
    account_id: uuid.UUID,
    data: RolesChange,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    request: Request,
) -> StaffAccountView:
    changed = staff_accounts.change_roles(
        uow,
        env,
        who,
        account_id=account_id,
        add=_pairs(data.add),
        remove=_pairs(data.remove),
        client=client_address(request),
    )
    return StaffAccountView.of(changed)


@router.post(
    "/staff-accounts/{account_id}/deactivation",
    summary="Deactivate: the account and its history stay, its sessions end",
)
def deactivate(
    account_id: uuid.UUID,
    data: Deactivation,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    request: Request,
) -> StaffAccountView:
    done = staff_accounts.deactivate_staff_account(
        uow, env, who, account_id=account_id, reason=data.reason, client=client_address(request)
    )
    return StaffAccountView.of(done)


@router.post(
    "/staff-accounts/{account_id}/reactivation",
    summary="Reactivate: the account gets back the roles it holds (or, deactivated by its "
    "last role's removal, its former_roles); sessions ended at deactivation stay ended; "
    "409 if it is active",
)
def reactivate(
    account_id: uuid.UUID,
    data: Reactivation,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    request: Request,
) -> StaffAccountView:
    done = staff_accounts.reactivate_staff_account(
        uow, env, who, account_id=account_id, reason=data.reason, client=client_address(request)
    )
    return StaffAccountView.of(done)


@router.post(
    "/staff-accounts/{account_id}/password",
    status_code=204,
    summary="Set a new password for a staff account you manage (not your own: "
    "/me/password); every session of the account ends, and its owner must change "
    "the password at the next sign-in",
)
def set_password(
    account_id: uuid.UUID,
    data: NewPassword,
    who: Manager,
    uow: UowDep,
    env: EnvDep,
    request: Request,
) -> Response:
    staff_accounts.set_staff_password(
        uow, env, who, account_id=account_id, password=data.password, client=client_address(request)
    )
    return Response(status_code=204)
