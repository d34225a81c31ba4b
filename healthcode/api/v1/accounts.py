"""Sign-in, sign-out, "who am I" and changing one's own password.

Residents: POST /auth/otp sends a code by SMS, POST /auth/login redeems it for a
session token. Staff: POST /auth/staff/login with a username and password. Send the
token as ``Authorization: Bearer <token>``; the web pages carry it in the
``hc_session`` cookie instead. The one-time code never appears in any response.

A staff account whose password someone else set (an administrator, the console) signs
in as usual, but until its owner changes it here every other call answers 403
``password_change_required``; reading the account (``must_change_password``) and
signing out still work.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from healthcode.http.deps import ClientDep, EnvDep, UowDep
from healthcode.http.security import SESSION_COOKIE, OwnAccountDep, TokenDep
from healthcode.http.views import LocalTime
from healthcode.services.accounts import login as accounts
from healthcode.services.accounts import password_change, sessions
from healthcode.services.accounts.permissions import ROLE_PERMISSIONS, AccountKind, Permission, Role
from healthcode.services.shared.bounds import InputModel

router = APIRouter(tags=["auth"])

_PHONE = Field(max_length=32, examples=["13812341234"], description="Mainland mobile number")


class OtpRequest(InputModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = _PHONE


class OtpSent(BaseModel):
    phone_masked: str = Field(examples=["138****1234"])
    expires_at: LocalTime = Field(description="The code stops working at this instant")
    resend_after: LocalTime = Field(description="Another code may be requested from then")


class LoginRequest(InputModel):
    model_config = ConfigDict(extra="forbid")
    phone: str = _PHONE
    code: str = Field(max_length=16, examples=["123456"], description="The 6 digits by SMS")


class StaffLoginRequest(InputModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(max_length=64, examples=["issuer.binzhou01"])
    password: str = Field(max_length=256, examples=["correct horse battery"])


class PasswordChange(InputModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(max_length=256, examples=["correct horse battery"])
    new_password: str = Field(max_length=256, examples=["staple clip lantern 42"])


class RoleOut(BaseModel):
    role: Role
    scope: str = Field(examples=[""], description="Organisation or venue; empty = everywhere")


class AccountOut(BaseModel):
    id: uuid.UUID
    kind: AccountKind
    phone_masked: str | None = Field(examples=["138****1234"])
    username: str | None = Field(examples=[None])
    display_name: str
    resident_id: uuid.UUID | None = Field(description="Set once the resident has declared")
    roles: list[RoleOut]
    permissions: list[Permission]
    must_change_password: bool = Field(
        description="The password was set by an administrator: until it is changed "
        "(/me/password), every other call answers 403 password_change_required"
    )

    @classmethod
    def of(cls, account: sessions.AccountSummary) -> AccountOut:
        held = sorted(account.roles)
        return cls(
            id=account.id,
            kind=account.kind,
            phone_masked=account.phone_masked,
            username=account.username,
            display_name=account.display_name,
            resident_id=account.resident_id,
            roles=[RoleOut(role=role, scope=scope) for role, scope in held],
            permissions=sorted({p for role, _ in held for p in ROLE_PERMISSIONS[role]}),
            must_change_password=account.must_change_password,
        )


class SessionOut(BaseModel):
    token: str = Field(description="Send as 'Authorization: Bearer <token>'")
    expires_at: LocalTime
    account: AccountOut

    @classmethod
    def of(cls, issued: sessions.IssuedSession) -> SessionOut:
        return cls(
            token=issued.token, expires_at=issued.expires_at, account=AccountOut.of(issued.account)
        )


def _refusal(codes: str) -> dict[str, Any]:
    """An OpenAPI response entry naming the error codes it may carry."""
    return {"description": f"Refused (the shared error shape); error.code: {codes}"}


async def _user_agent(request: Request) -> str:
    return request.headers.get("user-agent", "")


UserAgentDep = Annotated[str, Depends(_user_agent)]


@router.post(
    "/auth/otp",
    status_code=202,
    summary="Text a one-time sign-in code",
    responses={
        429: _refusal(
            "per number and address: otp_cooldown, otp_hourly_limit, otp_daily_limit; "
            "per address: otp_client_limit; for everyone: sms_budget_exhausted"
        )
    },
)
def request_code(body: OtpRequest, uow: UowDep, env: EnvDep, client: ClientDep) -> OtpSent:
    sent = accounts.request_login_code(uow, env, phone=body.phone, client=client)
    return OtpSent(
        phone_masked=sent.phone_masked, expires_at=sent.expires_at, resend_after=sent.resend_after
    )


@router.post(
    "/auth/login",
    summary="Sign in with the texted code",
    responses={
        400: _refusal("otp_invalid (with attempts left), otp_expired, otp_used, otp_missing"),
        403: _refusal("account_disabled"),
        429: _refusal(
            "otp_locked: too many wrong codes, request a new one; otp_guess_limit: too "
            "many codes typed from an address that did not ask for this one"
        ),
    },
)
def login(
    body: LoginRequest, uow: UowDep, env: EnvDep, client: ClientDep, user_agent: UserAgentDep
) -> SessionOut:
    issued = accounts.verify_login_code(
        uow, env, phone=body.phone, code=body.code, client=client, user_agent=user_agent
    )
    return SessionOut.of(issued)


@router.post(
    "/auth/staff/login",
    summary="Staff sign-in with username and password",
    responses={
        401: _refusal("bad_credentials (unknown user and wrong password alike)"),
        403: _refusal("account_disabled"),
        422: _refusal("invalid_input: a field left empty (required), not counted as a failure"),
        429: _refusal("login_rate_limited"),
    },
)
def staff_login(
    body: StaffLoginRequest,
    uow: UowDep,
    env: EnvDep,
    client: ClientDep,
    user_agent: UserAgentDep,
) -> SessionOut:
    issued = accounts.staff_login(
        uow,
        env,
        username=body.username,
        password=body.password,
        client=client,
        user_agent=user_agent,
    )
    return SessionOut.of(issued)


@router.post(
    "/auth/logout",
    status_code=204,
    summary="End the current session",
    responses={401: _refusal("not_authenticated")},
)
def logout(_principal: OwnAccountDep, token: TokenDep, uow: UowDep, env: EnvDep) -> Response:
    sessions.logout(uow, env, token=token or "")
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE)
    return response


@router.get("/me", summary="The signed-in account", responses={401: _refusal("not_authenticated")})
def me(principal: OwnAccountDep, uow: UowDep) -> AccountOut:
    return AccountOut.of(sessions.describe_account(uow, account_id=principal.account_id))


@router.post(
    "/me/password",
    status_code=204,
    summary="Change your own staff password; your other sessions end, this one stays "
    "(one an administrator set must be changed here before anything else)",
    responses={
        401: _refusal("not_authenticated"),
        403: _refusal("no_password: a resident's account signs in by texted code"),
        422: _refusal(
            "invalid_input: current_password wrong_password (counted towards the sign-in "
            "delay) or required; new_password required, same_as_current or a password "
            "rule's code (too_short, all_digits, common…)"
        ),
        429: _refusal("login_rate_limited: too many wrong passwords from this address"),
    },
)
def change_password(
    body: PasswordChange, principal: OwnAccountDep, uow: UowDep, env: EnvDep, client: ClientDep
) -> Response:
    password_change.change_own_password(
        uow,
        env,
        principal,
        current_password=body.current_password,
        new_password=body.new_password,
        client=client,
    )
    return Response(status_code=204)
