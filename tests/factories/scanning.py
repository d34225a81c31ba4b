"""Venues and their operators for tests that scan."""

from __future__ import annotations

import itertools
import uuid
from datetime import date, timedelta

from healthcode.domain.colour import Colour
from healthcode.domain.tokens import Purpose, issue_token, new_claims
from healthcode.services.accounts.permissions import Principal
from healthcode.services.accounts.sessions import principal_of
from healthcode.services.codes.health_codes import display_code
from healthcode.services.scanning import venues
from healthcode.services.scanning.venues import VenueKind, VenueSummary
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.factories.identity import make_id_number

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


def display_token(uow: UnitOfWork, env: Env, resident_id: uuid.UUID | None) -> str:
    """The resident's on-screen code now (binzhou-code)."""
    return display_code(uow, env, resident_id=resident_id, policy_id="binzhou-code").token


def paper_token(
    uow: UnitOfWork,
    env: Env,
    resident_id: uuid.UUID | None,
    *,
    colour: Colour = Colour.GREEN,
    days: int = 5,
    token_id: bytes | None = None,
) -> str:
    """A printed pass's long-lived token (the paper pass issuer comes with item 9)."""
    resident = uow.residents.by_id(resident_id) if resident_id else None
    assert resident is not None
    now = env.clock.now()
    policy = env.policies["shandong-pass"]
    claims = new_claims(
        Purpose.PAPER,
        now=now,
        issuer=env.settings.issuer,
        colour=colour,
        policy=policy.id,
        policy_version=policy.version,
        resident_ref=resident.ref,
        masked_name=resident.name_masked,
        masked_id=resident.id_masked,
        pass_valid_until=now + timedelta(days=days),
        token_id=token_id,
    )
    return issue_token(claims, env.keys.signer(uow, env.protector, now))


def twin_id(id_number: str) -> str:
    """Another valid ID number with the same first and last four characters (what a
    code's masked number shows): another birth date with the same check character."""
    region, seq = id_number[:6], int(id_number[14:17])
    birth = date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    for days in range(1, 4000):
        other = make_id_number(birth=birth - timedelta(days=days), region=region, seq=seq)
        if other[-4:] == id_number[-4:] and other != id_number:
            return other
    raise AssertionError("no twin found")
