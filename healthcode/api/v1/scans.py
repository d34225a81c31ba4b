"""Scan and release at a venue (operators: ``scan``/``release``), the ID-card lane, the
offline upload, "not the holder", and the holder's details (``resident.details``).

Every route is scoped by the venue: one the caller neither operates nor administers
is "not found", and so is any scan made there.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.tokens.codec import MAX_TEXT_CHARS
from healthcode.http.deps import ClientDep, EnvDep, UowDep
from healthcode.http.hop import Hop, Unit, hop
from healthcode.http.scan_views import (
    BatchInput,
    BatchOut,
    ClientId,
    ScanView,
    Temperature,
    batch_out,
    read_batch,
    scan_view,
)
from healthcode.http.security import require
from healthcode.http.views import LocalTime
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.accounts.sessions import Caller
from healthcode.services.scanning import details, lookups, releases, scans, uploads
from healthcode.services.shared.bounds import InputModel, Moment

router = APIRouter(tags=["scanning"])
Scanner = Annotated[Principal, Depends(require(Permission.SCAN))]
ScanHop = Annotated[Hop, Depends(hop(Permission.SCAN))]
Releaser = Annotated[Principal, Depends(require(Permission.RELEASE))]
DetailsReader = Annotated[Principal, Depends(require(Permission.RESIDENT_DETAILS))]


class ScanInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    token: str | None = Field(
        None,
        max_length=MAX_TEXT_CHARS,
        description="the text read from the QR code",
        examples=["CNHC1:…"],
    )
    id_number: str | None = Field(
        None,
        max_length=40,
        description="ID-card lane: the number typed or read from the card; with a token, "
        "the code must be this person's; alone, the person is looked up",
        examples=["370102198805170011"],
    )
    client_id: ClientId | None = Field(
        None, description="the scanner's own id for this scan: a retry records it once"
    )
    scanned_at: Moment | None = Field(None, description="when it was read; now if omitted")


class ReleaseInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    temperature: Temperature = Field(None, examples=[36.5], description="℃")


class FraudCaseOut(BaseModel):
    case_id: uuid.UUID
    scan_id: uuid.UUID
    status: str = Field(examples=["open"])
    opened_at: LocalTime
    new: bool = Field(description="false: the scan had a case already (a second tap)")


class DetailsOut(BaseModel):
    scan_id: uuid.UUID
    name: str
    id_number: str
    sex: str
    birth_date: date
    phone: str | None
    region: str
    address: str


@router.post("/venues/{venue_id}/scans", summary="Scan a code (or an ID card) at a venue")
async def scan(venue_id: uuid.UUID, data: ScanInput, gate: ScanHop) -> ScanView:
    # the gate's hot path: the whole request in one thread-pool hop (http/hop.py)
    # and a code's scan checks the session in the venue's query (services/scanning/venues.py)
    def work(uow: Unit, caller: Caller) -> scans.ScanResult:
        if data.token and not data.id_number:
            return scans.scan_code(
                uow,
                gate.env,
                caller,
                venue_id=venue_id,
                token=data.token,
                client_id=data.client_id,
                scanned_at=data.scanned_at,
                client=gate.client,
            )
        uow.transaction_needed()  # the ID-card lane writes its look-up's audit too
        who = caller.authenticate(uow, gate.env)
        if not data.id_number:
            raise InvalidInput.single(
                "token", "required", N_("Scan a code, or enter the ID card's number")
            )
        return lookups.check_id_card(
            uow,
            gate.env,
            who,
            venue_id=venue_id,
            id_number=data.id_number,
            token=data.token or None,
            client_id=data.client_id,
            scanned_at=data.scanned_at,
            client=gate.client,
        )

    return scan_view(await gate.run_unchecked(work))


@router.post("/venues/{venue_id}/scans/batch", summary="Upload scans an offline scanner recorded")
def upload(
    venue_id: uuid.UUID,
    data: BatchInput,
    who: Scanner,
    uow: UowDep,
    env: EnvDep,
    client: ClientDep,
) -> BatchOut:
    """Each item is recorded or refused by itself: a refusal names the item (its
    ``client_id`` and place), the field and why, and says whether the scan is on record."""
    read = read_batch(data.scans)
    result = uploads.upload_scans(uow, env, who, venue_id=venue_id, scans=read.scans, client=client)
    return batch_out(read, result)


@router.get("/scans/{scan_id}", summary="One scan, as the operator's screen shows it")
def show(scan_id: uuid.UUID, who: Scanner, uow: UowDep, env: EnvDep) -> ScanView:
    return scan_view(scans.show_scan(uow, env, who, scan_id=scan_id))


@router.post("/scans/{scan_id}/release", summary="Release the holder (one tap)")
def release(
    scan_id: uuid.UUID,
    data: ReleaseInput,
    who: Releaser,
    uow: UowDep,
    env: EnvDep,
    client: ClientDep,
) -> ScanView:
    return scan_view(
        releases.release(
            uow, env, who, scan_id=scan_id, temperature=data.temperature, client=client
        )
    )


@router.post(
    "/scans/{scan_id}/not-the-holder",
    status_code=201,
    summary="The person is not the code's holder: refuse and open a fraud case",
)
def not_the_holder(
    scan_id: uuid.UUID, who: Scanner, uow: UowDep, env: EnvDep, client: ClientDep
) -> FraudCaseOut:
    case = releases.report_not_the_holder(uow, env, who, scan_id=scan_id, client=client)
    return FraudCaseOut(
        case_id=case.id, scan_id=case.scan_id, status=case.status, opened_at=case.at, new=case.new
    )


@router.get(
    "/scans/{scan_id}/details",
    summary="The holder's details beyond the minimum (audit-logged)",
)
def holder_details(
    scan_id: uuid.UUID, who: DetailsReader, uow: UowDep, env: EnvDep, client: ClientDep
) -> DetailsOut:
    found = details.show_holder_details(uow, env, who, scan_id=scan_id, client=client)
    return DetailsOut(
        scan_id=found.scan_id,
        name=found.name,
        id_number=found.id_number,
        sex=found.sex,
        birth_date=found.birth_date,
        phone=found.phone,
        region=found.region_code,
        address=found.address,
    )
