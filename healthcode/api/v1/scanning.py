"""Public endpoints for scanners: online verify, the trust list, revocations, policies."""

from __future__ import annotations

from typing import Annotated, Any, Literal, NoReturn

from fastapi import APIRouter, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.tokens.codec import MAX_TEXT_CHARS
from healthcode.domain.tokens.trustlist import to_jwks
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.views import LocalTime, VerificationView, verification_view
from healthcode.i18n import pick
from healthcode.services.codes.online import verify_online
from healthcode.services.shared import keys, lists
from healthcode.services.shared.bounds import InputModel, Moment
from healthcode.services.shared.ratelimit import TooManyRequests

router = APIRouter(tags=["scanner"])
VERIFY_LIMIT = "120/minute"


class VerifyInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(max_length=MAX_TEXT_CHARS, description="the text read from the QR code")
    id_number: str | None = Field(
        None,
        max_length=40,
        description="ID card shown with the code (ID-card lane): the code must be this person's",
    )


@router.post("/verify", summary="Verify a scanned code online")
def verify(data: VerifyInput, request: Request, uow: UowDep, env: EnvDep) -> VerificationView:
    retry = env.limiter.hit(VERIFY_LIMIT, "verify", client_address(request))
    if retry is not None:
        raise TooManyRequests(
            N_("Too many requests; try again in {retry_after} s"), retry_after=retry
        )
    verified = verify_online(uow, env, text=data.token, id_number=data.id_number)
    return verification_view(verified, env.policies)


JOSE = "application/jose"
_SIGNED_DOC: dict[int | str, dict[str, Any]] = {
    200: {"content": {JOSE: {"schema": {"type": "string"}}}}
}
Since = Annotated[
    str | None,
    Query(
        max_length=40,
        description="signed form: the version the scanner holds (a delta from it); "
        "plain revocations: an instant (ISO 8601 with offset)",
    ),
]


@router.get(
    "/trust-list",
    summary="Public keys: a JWK Set (RFC 7517 / RFC 8037), or the signed federated list",
    response_model=None,
    responses=_SIGNED_DOC,
)
def trust_list(
    uow: UowDep,
    env: EnvDep,
    response: Response,
    format: Literal["jwks", "signed"] = "jwks",
    since: Since = None,
) -> dict[str, Any] | Response:
    """``format=signed``: the signed trust list (a compact JWS, docs/keys.md), a delta
    from version ``since`` when it can be made, else the full list."""
    if format == "jwks":
        if since is not None:
            _invalid("since", N_("since applies to format=signed only"))
        response.headers["Cache-Control"] = "public, max-age=300"
        return keys.trust_list(uow, env.protector, env.keys, env.clock.now())
    signed = lists.signed_trust_list(
        uow, env.protector, env.settings, now=env.clock.now(), since=_version(since)
    )
    return _jose(signed)


@router.get("/list-keys", summary="The list-signing public keys to pin, as a JWK Set")
def list_keys(uow: UowDep, env: EnvDep, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = "public, max-age=300"
    return to_jwks(lists.list_keys(uow, env.protector, now=env.clock.now()))


class RevocationView(BaseModel):
    token_id: str = Field(description="hex of the token's cti")
    revoked_at: LocalTime


@router.get(
    "/revocations",
    summary="Revoked paper tokens, for offline scanners (plain, or the signed list)",
    response_model=None,
    responses={200: {"model": list[RevocationView], "content": {JOSE: {}}}},
)
def revocations(
    uow: UowDep,
    env: EnvDep,
    response: Response,
    format: Literal["json", "signed"] = "json",
    since: Since = None,
) -> list[RevocationView] | Response:
    if format == "signed":
        signed = lists.signed_revocations(
            uow, env.protector, now=env.clock.now(), since=_version(since)
        )
        return _jose(signed)
    response.headers["Cache-Control"] = "public, max-age=60"
    return [
        RevocationView(token_id=r.token_id.hex(), revoked_at=r.revoked_at)
        for r in keys.revocation_list(uow, since=_moment(since))
    ]


_MOMENT: TypeAdapter[Any] = TypeAdapter(Moment)


def _moment(since: str | None) -> Any:
    if since is None:
        return None
    try:
        return _MOMENT.validate_python(since)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("query", "since")} for e in error.errors()]
        ) from None


def _version(since: str | None) -> int:
    if since is None:
        return 0
    if not since.isascii() or not since.isdigit() or len(since) > 12:
        _invalid("since", N_("since must be the version number the scanner holds"))
    return int(since)


def _invalid(field: str, message: str) -> NoReturn:
    raise InvalidInput.single(field, "invalid_since", message)


def _jose(signed: lists.SignedList) -> Response:
    return Response(
        content=signed.text,
        media_type=JOSE,
        headers={
            "Cache-Control": "public, max-age=60",
            "X-List-Version": str(signed.version),
            "X-List-Form": "full" if signed.full else "delta",
        },
    )


class PolicyView(BaseModel):
    id: str
    version: str
    model: str
    title: str
    symptoms: list[str]
    exposures: list[str]
    requires: list[str]
    reports_per_day: int | None


@router.get("/policies", summary="The code types offered and what their forms ask")
def policies(env: EnvDep) -> list[PolicyView]:
    return [
        PolicyView(
            id=p.id,
            version=p.version,
            model=p.model.value,
            title=pick(p.title),
            symptoms=[s.value for s in p.form.symptoms],
            exposures=[e.value for e in p.form.exposures],
            requires=sorted(p.form.requires),
            reports_per_day=p.form.reports_per_day,
        )
        for p in env.policies.values()
    ]
