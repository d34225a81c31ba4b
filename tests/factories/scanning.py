"""Venues and their operators for tests that scan."""

from __future__ import annotations

import itertools
import uuid

from healthcode.services.accounts.permissions import Principal
from healthcode.services.accounts.sessions import principal_of
from healthcode.services.scanning import venues
from healthcode.services.scanning.venues import VenueKind, VenueSummary
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork

_seq = itertools.count(1)
PASSWORD = "correct horse battery"


def venue(
    uow: UnitOfWork,
    env: Env,
    admin: Principal,
    organisation_id: uuid.UUID,
    *,
    kind: VenueKind = VenueKind.CHECKPOINT,
    name: str = "",
    region: str | None = None,
    gate_mode: bool = False,
    latitude: float | None = None,
    longitude: float | None = None,
) -> VenueSummary:
    return venues.register_venue(
        uow,
        env,
        admin,
        organisation_id=organisation_id,
        kind=kind,
        name=name or f"测试卡口{next(_seq)}",
        address="黄河五路 1 号",
        region_code=region,
        gate_mode=gate_mode,
        latitude=latitude,
        longitude=longitude,
    )


def operator(
    uow: UnitOfWork, env: Env, admin: Principal, venue_id: uuid.UUID, *, username: str = ""
) -> Principal:
    """A new staff account operating the venue, as it signs in."""
    name = username or f"guard.{next(_seq)}"
    found = venues.create_operator(
        uow,
        env,
        admin,
        venue_id=venue_id,
        username=name,
        password=PASSWORD,
        display_name="门岗值班员",
    )
    made = next(o for o in found if o.username == name)
    return principal_of(uow, account_id=made.account_id)
