"""Data sharing out over JSON: other departments look up one ID number's colour.

Authenticated by the department client's own key (``X-Api-Key``, as for its record
imports), not by a staff session; every look-up names its purpose and is audit-logged.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request, Security
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ConfigDict, Field

from healthcode.domain.colour import Colour
from healthcode.http.deps import EnvDep, UowDep, client_address
from healthcode.http.views import LocalTime
from healthcode.services.shared.bounds import InputModel
from healthcode.services.sharing import lookups

router = APIRouter(tags=["data sharing"])
API_KEY = APIKeyHeader(name="X-Api-Key", auto_error=False, description="a department client's key")


class LookupInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    id_number: str = Field(max_length=32, examples=["371602199001011234"])
    purpose: str = Field(max_length=200, examples=["交通卡口通行核验"])


class CodeColourOut(BaseModel):
    policy: str = Field(description="the code type")
    colour: Colour
    evaluated_at: LocalTime


class LookupOut(BaseModel):
    id_masked: str
    codes: list[CodeColourOut]


@router.post(
    "/sharing/colour-lookups",
    summary="Look up the colour of one ID number (department clients; logged)",
    description="`X-Api-Key: <department client key>`; the client needs a "
    "look-up grant (`healthcode data lookups grant`). 401 unknown_client, 404 no_code, "
    "429 rate_limited (HEALTHCODE_LOOKUP_LIMIT per client, 60/minute by default).",
)
def look_up_colour(
    request: Request,
    data: LookupInput,
    uow: UowDep,
    env: EnvDep,
    key: Annotated[str | None, Security(API_KEY)] = None,
) -> LookupOut:
    found = lookups.look_up_colour(
        uow,
        env,
        key=key or "",
        id_number=data.id_number,
        purpose=data.purpose,
        address=client_address(request),
    )
    return LookupOut(
        id_masked=found.id_masked,
        codes=[
            CodeColourOut(policy=c.policy_id, colour=c.colour, evaluated_at=c.evaluated_at)
            for c in found.codes
        ],
    )
