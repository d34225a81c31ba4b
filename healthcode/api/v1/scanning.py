"""Public endpoints for scanners: online verify, the trust list, revocations, policies."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from healthcode.domain.i18n import N_
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.views import LocalTime, VerificationView, verification_view
from healthcode.i18n import pick
from healthcode.services.codes import health_codes as codes
from healthcode.services.shared import keys
from healthcode.services.shared.bounds import InputModel, Moment
from healthcode.services.shared.ratelimit import TooManyRequests

router = APIRouter(tags=["scanner"])
VERIFY_LIMIT = "120/minute"


class VerifyInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    token: str = Field(max_length=2000, description="the text read from the QR code")
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
    return verification_view(codes.verify_code(uow, env, text=data.token, id_number=data.id_number))


@router.get("/trust-list", summary="Public keys as a JWK Set (RFC 7517 / RFC 8037)")
def trust_list(uow: UowDep, env: EnvDep, response: Response) -> dict[str, Any]:
    response.headers["Cache-Control"] = "public, max-age=300"
    return keys.trust_list(uow, env.protector, env.keys, env.clock.now())


class RevocationView(BaseModel):
    token_id: str = Field(description="hex of the token's cti")
    revoked_at: LocalTime


@router.get("/revocations", summary="Revoked paper tokens, for offline scanners")
def revocations(
    uow: UowDep, response: Response, since: Moment | None = None
) -> list[RevocationView]:
    response.headers["Cache-Control"] = "public, max-age=60"
    return [
        RevocationView(token_id=r.token_id.hex(), revoked_at=r.revoked_at)
        for r in keys.revocation_list(uow, since=since)
    ]


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
