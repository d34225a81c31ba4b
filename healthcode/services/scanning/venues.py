"""Venues (场所/卡口) and their operators.

Who registers a venue: an administrator of its organisation (``ORGANISATIONS_MANAGE``
held for ``org:<id>``, or for the community an employer sits in) or of the region
(held for ``region:<code>`` or everywhere). The same people assign operators: a staff
account that, while it operates one of the organisation's venues, holds the
checkpoint role scoped to the organisation (``org:<id>``). An operator reaches only
the venues it is assigned to; an administrator every venue in their scope; anyone
else is told "not found".
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from healthcode.domain.errors import Conflict, FieldError, InvalidInput, NotFound, collect
from healthcode.domain.i18n import N_
from healthcode.domain.identity.regions import name_of, parse_region_code
from healthcode.domain.scope import Scope, org_scope
from healthcode.services.accounts import login
from healthcode.services.accounts.permissions import Permission, Principal, Role
from healthcode.services.accounts.sessions import Caller, SignedIn
from healthcode.services.organisations import registry, staff_accounts
from healthcode.services.shared import audit
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import GateRow, GateVenue, NearProbe, UnitOfWork


class VenueKind(StrEnum):
    CHECKPOINT = "checkpoint"  # 卡口
    EMPLOYER_GATE = "employer_gate"  # 企业门岗
    SCHOOL = "school"
    COMMUNITY_GATE = "community_gate"  # 小区门岗
    MARKET = "market"  # 超市、农贸市场
    FEVER_CLINIC = "fever_clinic"  # 发热门诊
    PHARMACY = "pharmacy"
    OTHER = "other"


class VenueStatus(StrEnum):
    ACTIVE = "active"
    CLOSED = "closed"


@dataclass(frozen=True)
class VenueSummary:
    id: uuid.UUID
    organisation_id: uuid.UUID
    kind: VenueKind
    name: str
    address: str
    region_code: str
    latitude: float | None
    longitude: float | None
    status: VenueStatus
    gate_mode: bool
    code: str  # the public code printed in its QR
    created_at: datetime

    @classmethod
    def of(cls, row: t.Venue) -> VenueSummary:
        return cls(
            id=row.id,
            organisation_id=row.organisation_id,
            kind=VenueKind(row.kind),
            name=row.name,
            address=row.address,
            region_code=row.region_code,
            latitude=row.latitude,
            longitude=row.longitude,
            status=VenueStatus(row.status),
            gate_mode=row.gate_mode,
            code=row.code,
            created_at=row.created_at,
        )


@dataclass(frozen=True)
class Operator:
    account_id: uuid.UUID
    username: str
    display_name: str
    assigned_at: datetime
    active: bool


class OrganisationNotActive(Conflict):
    code = "organisation_not_active"


class NotAStaffAccount(Conflict):
    code = "not_a_staff_account"


def _unknown() -> NotFound:
    return NotFound(N_("No such venue"))


# --- registering and listing --------------------------------------------------------


def register_venue(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    organisation_id: uuid.UUID,
    kind: VenueKind,
    name: str,
    address: str = "",
    region_code: str | None = None,
    gate_mode: bool = False,
    latitude: float | None = None,
    longitude: float | None = None,
    client: str = "",
) -> VenueSummary:
    """A venue of an organisation the caller administers (its region by default)."""
    organisation = registry.managed(uow, who, organisation_id)  # not found out of scope
    if organisation.status != registry.OrganisationStatus.ACTIVE:
        raise OrganisationNotActive(N_("The organisation is not active"))
    errors: list[FieldError] = []
    name = " ".join(name.split())
    if not 0 < len(name) <= 100:
        errors.append(FieldError("name", "required", N_("Please enter the venue's name")))
    region = collect(errors, lambda: parse_region_code(region_code or organisation.region_code))
    if region is not None and region.level != "county":
        errors.append(
            FieldError("region", "not_county", N_("Give the county or district code (e.g. 371602)"))
        )
    elif region is not None and region.province_code != organisation.region_code[:2]:
        # a Binzhou community registered a gate in Wuhan: scans there answered to no
        # one who oversees the organisation
        errors.append(
            FieldError(
                "region",
                "other_province",
                N_("A venue lies in its organisation's province ({province})"),
                {"province": name_of(organisation.region_code[:2] + "0000")},
            )
        )
    errors += _coordinates(latitude, longitude)
    if errors:
        raise InvalidInput(*errors)
    assert region is not None
    row = t.Venue(
        organisation_id=organisation.id,
        kind=kind.value,
        name=name,
        address=" ".join(address.split()),
        region_code=region.code,
        latitude=latitude,
        longitude=longitude,
        status=VenueStatus.ACTIVE.value,
        gate_mode=gate_mode,
        code=secrets.token_urlsafe(12),
        created_at=env.clock.now(),
        created_by=who.account_id,
    )
    uow.add(row)
    uow.flush()
    _audit(uow, env, who, "venue.registered", row, client)
    return VenueSummary.of(row)


def _coordinates(latitude: float | None, longitude: float | None) -> list[FieldError]:
    if (latitude is None) != (longitude is None):
        return [FieldError("latitude", "pair", N_("Give both latitude and longitude, or neither"))]
    if latitude is not None and not -90 <= latitude <= 90:
        return [FieldError("latitude", "range", N_("Latitude lies between -90 and 90"))]
    if longitude is not None and not -180 <= longitude <= 180:
        return [FieldError("longitude", "range", N_("Longitude lies between -180 and 180"))]
    return []


def list_venues(
    uow: UnitOfWork, who: Principal, *, limit: int = 500, offset: int = 0
) -> list[VenueSummary]:
    """The venues the caller administers, then those it operates, by name."""
    found = {v.id: v for v in uow.venues.within(_admin_scope(who), limit=limit, offset=offset)}
    if offset == 0:
        for venue in uow.venues.operated_by(who.account_id):
            if _operates(uow, who, venue):
                found.setdefault(venue.id, venue)
    return sorted((VenueSummary.of(v) for v in found.values()), key=lambda v: (v.name, v.id))


def show_venue(uow: UnitOfWork, who: Principal, venue_id: uuid.UUID) -> VenueSummary:
    return VenueSummary.of(_venue(uow, who, venue_id))


def operated_venue(uow: UnitOfWork, who: Principal, venue_id: uuid.UUID) -> VenueSummary:
    """The venue, when the caller operates it or administers it; else not found."""
    return VenueSummary.of(_venue(uow, who, venue_id))


def venue_row(uow: UnitOfWork, who: Principal, venue_id: uuid.UUID) -> GateVenue:
    """The same, as a scan reads it (for the scanning context's own services)."""
    return venue_row_revoked(uow, who, venue_id, None).venue


SCANS_PAUSED = N_(
    "Your organisation is suspended: its checkpoints cannot scan codes until it is reactivated"
)


def check_open(organisation_status: str) -> None:
    """A venue whose organisation has this status may scan: a suspended organisation's
    venues scan nothing (a scan, a look-up on the ID-card lane, a release, an offline
    upload's items) until it is reactivated, and say so."""
    if organisation_status == registry.OrganisationStatus.SUSPENDED:
        raise registry.OrganisationSuspended(SCANS_PAUSED)


def open_gate(gate: GateRow) -> GateRow:
    """The gate, if it may scan now (``check_open``). The status comes in the query
    that finds the venue, so a scan that starts after the suspension committed is
    refused (one in flight may still land)."""
    check_open(gate.organisation_status)
    return gate


def scanning_venue_row(uow: UnitOfWork, who: Principal, venue_id: uuid.UUID) -> GateVenue:
    """``venue_row`` to scan there (``open_gate``)."""
    return open_gate(venue_row_revoked(uow, who, venue_id, None)).venue


def check_scanning(uow: UnitOfWork, venue: VenueSummary) -> None:
    """``check_open`` for a page about to offer a scan at the venue."""
    organisation = uow.organisations.by_id(venue.organisation_id)
    assert organisation is not None  # a venue's organisation is never deleted
    check_open(organisation.status)


def administers(uow: UnitOfWork, who: Principal, venue: t.Venue) -> bool:
    scope = _admin_scope(who)
    if scope.empty:
        return False
    if scope.covers(organisation_id=venue.organisation_id, region_code=venue.region_code):
        return True
    organisation = uow.organisations.by_id(venue.organisation_id)
    return organisation is not None and registry.sees(scope, organisation)


def venue_row_revoked(
    uow: UnitOfWork,
    who: Principal,
    venue_id: uuid.UUID,
    token_id: bytes | None,
    probe: NearProbe | None = None,
    *,
    federation: bool = False,
) -> GateRow:
    """``venue_row``, whether ``token_id`` is revoked, what ``probe`` finds at other
    venues and (``federation``) the federated regions' revisions: one round trip for
    the venue's operator (a gate's scan asks them all); for an administrator, the
    probe is left to ``flags_for`` (None) and the revisions to the caller (None)."""
    if who.can(Permission.SCAN):
        found = uow.venues.operated_revoked(
            who.account_id, venue_id, token_id, probe, federation=federation
        )
        if found is not None and _holds_checkpoint(who, found.venue):
            return found
    return _administered(uow, who, venue_id, token_id)


def _administered(
    uow: UnitOfWork, who: Principal, venue_id: uuid.UUID, token_id: bytes | None
) -> GateRow:
    """The venue as its administrator's, the revocation looked up on its own."""
    venue = _admin(uow, who, venue_id)
    revoked = token_id is not None and uow.revocations.is_revoked(token_id)
    organisation = uow.organisations.by_id(venue.organisation_id)
    assert organisation is not None  # a venue's organisation is never deleted
    return GateRow(GateVenue.of(venue), revoked, None, None, organisation.status)


def signed_in_gate(
    uow: UnitOfWork,
    caller: Caller,
    venue_id: uuid.UUID,
    token_id: bytes | None,
    probe: NearProbe | None,
    *,
    federation: bool,
    now: datetime,
) -> tuple[Principal, GateRow]:
    """``venue_row_revoked`` for a caller whose session is checked in the same round
    trip (``Caller``): the session first, then the venue as the operator's, else as
    its administrator's (the operator's query is not asked twice)."""
    found = uow.venues.signed_in_at(
        caller.token_hash, venue_id, token_id, probe, federation=federation
    )
    signed_in = None if found is None else SignedIn(*found.session, roles=found.roles)
    who = caller.checked(signed_in, now=now)
    if found is not None and found.gate is not None and _holds_checkpoint(who, found.gate.venue):
        return who, found.gate
    return who, _administered(uow, who, venue_id, token_id)  # the query found no gate of theirs


def _venue(uow: UnitOfWork, who: Principal, venue_id: uuid.UUID) -> t.Venue:
    """The whole venue, for its pages (an administrator's is in the session already)."""
    venue = uow.venues.by_id(venue_row(uow, who, venue_id).id)
    assert venue is not None  # just read
    return venue


def _operates(uow: UnitOfWork, who: Principal, venue: t.Venue) -> bool:
    """Assigned to the venue and still holding the checkpoint role for its organisation."""
    return _holds_checkpoint(who, venue) and uow.venues.operates(who.account_id, venue.id)


def _holds_checkpoint(who: Principal, venue: t.Venue | GateVenue) -> bool:
    held = who.scope(Permission.SCAN)
    return held.covers(organisation_id=venue.organisation_id, region_code=venue.region_code)


def _admin(uow: UnitOfWork, who: Principal, venue_id: uuid.UUID) -> t.Venue:
    venue = uow.venues.by_id(venue_id)
    if venue is None or not administers(uow, who, venue):
        raise _unknown()
    return venue


def _admin_scope(who: Principal) -> Scope:
    return who.scope(Permission.ORGANISATIONS_MANAGE)


# --- operators --------------------------------------------------------------------


def list_operators(uow: UnitOfWork, who: Principal, venue_id: uuid.UUID) -> list[Operator]:
    venue = _admin(uow, who, venue_id)
    return [
        Operator(a.id, a.username or "", a.display_name, o.assigned_at, a.disabled_at is None)
        for o, a in uow.venues.operators(venue.id)
    ]


def assign_operator(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    venue_id: uuid.UUID,
    account_id: uuid.UUID,
    client: str = "",
) -> list[Operator]:
    """An existing staff account the caller manages scans at the venue from now on."""
    venue = _admin(uow, who, venue_id)
    staff_accounts.show_staff_account(uow, who, account_id=account_id)  # not found if not theirs
    account = uow.accounts.by_id(account_id)
    if account is None or account.kind != "staff" or account.disabled_at is not None:
        raise NotAStaffAccount(N_("Only an active staff account can operate a venue"))
    _assign(uow, env, who, venue, account.id, client)
    return list_operators(uow, who, venue.id)


def create_operator(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    venue_id: uuid.UUID,
    username: str,
    password: str,
    display_name: str,
    client: str = "",
) -> list[Operator]:
    """A new staff account that operates the venue (a guard's own sign-in)."""
    venue = _admin(uow, who, venue_id)
    scope = org_scope(venue.organisation_id)
    made = login.create_staff(
        uow,
        env,
        username=username,
        password=password,
        display_name=display_name,
        roles=[(Role.CHECKPOINT, scope)],
    )
    _assign(uow, env, who, venue, made.id, client)
    return list_operators(uow, who, venue.id)


def _assign(
    uow: UnitOfWork, env: Env, who: Principal, venue: t.Venue, account_id: uuid.UUID, client: str
) -> None:
    row = t.VenueOperator(
        venue_id=venue.id,
        account_id=account_id,
        assigned_at=env.clock.now(),
        assigned_by=who.account_id,
    )
    if uow.venues.add_operator(row):
        uow.accounts.hold(account_id, Role.CHECKPOINT.value, org_scope(venue.organisation_id))
        uow.flush()
        _audit(uow, env, who, "venue.operator.assigned", venue, client, account=str(account_id))


def remove_operator(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    *,
    venue_id: uuid.UUID,
    account_id: uuid.UUID,
    client: str = "",
) -> list[Operator]:
    """The account no longer scans here; with no other venue of the organisation left,
    it loses the checkpoint role there too, and with its last role it is deactivated."""
    venue = _admin(uow, who, venue_id)
    if not uow.venues.remove_operator(venue.id, account_id):
        raise NotFound(N_("This account does not operate the venue"))
    if not uow.venues.operates_in_organisation(account_id, venue.organisation_id):
        scope = org_scope(venue.organisation_id)
        uow.accounts.drop(account_id, Role.CHECKPOINT.value, scope)
        uow.flush()
        staff_accounts.role_taken_elsewhere(
            uow, env, who, account_id=account_id, role=Role.CHECKPOINT, scope=scope, client=client
        )
    _audit(uow, env, who, "venue.operator.removed", venue, client, account=str(account_id))
    return list_operators(uow, who, venue.id)


def _audit(
    uow: UnitOfWork,
    env: Env,
    who: Principal,
    action: str,
    venue: t.Venue,
    client: str,
    **more: str,
) -> None:
    audit.record(
        uow,
        env,
        actor_id=who.account_id,
        action=action,
        detail={"venue_id": str(venue.id), "organisation_id": str(venue.organisation_id), **more},
        client=client,
    )
