"""Details beyond the minimum a scan shows (full name, phone, ID number, address): only
for roles holding ``resident.details``, and every view in the audit log."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from healthcode.domain.errors import NotFound
from healthcode.domain.i18n import N_
from healthcode.services.accounts.permissions import Permission, Principal
from healthcode.services.scanning.scans import scan_in_reach
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork


@dataclass(frozen=True)
class HolderDetails:
    scan_id: uuid.UUID
    name: str
    id_number: str
    sex: str
    birth_date: date
    phone: str | None
    region_code: str
    address: str


def show_holder_details(
    uow: UnitOfWork, env: Env, who: Principal, *, scan_id: uuid.UUID, client: str = ""
) -> HolderDetails:
    """The scanned person's details, for a caller who may see them (else not found)."""
    row = scan_in_reach(uow, who, scan_id)
    if not who.can(Permission.RESIDENT_DETAILS) or row.resident_id is None:
        raise NotFound(N_("No details for this scan"))
    resident = uow.residents.by_id(row.resident_id)
    if resident is None:
        raise NotFound(N_("No details for this scan"))
    account = uow.accounts.by_resident(resident.id)
    phone = (
        env.protector.decrypt(account.phone_cipher, context="phone").decode()
        if account is not None and account.phone_cipher
        else None
    )
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action="resident.details.scan",
        resident_id=resident.id,
        detail={"scan_id": str(row.id), "venue_id": str(row.venue_id)},
        client=client,
    )
    return HolderDetails(
        scan_id=row.id,
        name=resident.name,
        id_number=env.protector.decrypt(resident.id_cipher, context="id_number").decode(),
        sex=resident.sex,
        birth_date=resident.birth_date,
        phone=phone,
        region_code=resident.region_code,
        address=resident.address,
    )
