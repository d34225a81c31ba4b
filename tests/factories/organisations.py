"""Organisations and authorised issuers for tests that need someone to sign."""

from __future__ import annotations

import itertools
import uuid

from healthcode.domain.colour import Colour
from healthcode.domain.signing import InfoNeeded
from healthcode.domain.state import State
from healthcode.services.accounts.login import create_staff
from healthcode.services.accounts.permissions import AccountKind, Principal, Role
from healthcode.services.accounts.sessions import principal_of
from healthcode.services.organisations.authorisations import grant
from healthcode.services.organisations.registry import (
    OrganisationKind,
    OrganisationStatus,
    register,
)
from healthcode.services.organisations.signing import sign_pass
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.identity import make_uscc

_serial = itertools.count(1)


def organisation(
    uow: UnitOfWork,
    env: Env,
    *,
    region: str = "371602",
    kind: OrganisationKind = OrganisationKind.COMMUNITY,
    name: str | None = None,
    status: OrganisationStatus = OrganisationStatus.ACTIVE,
    parent_id: uuid.UUID | None = None,
) -> t.Organisation:
    n = next(_serial)
    authority = "91" if kind is OrganisationKind.EMPLOYER else "59"
    body = f"T{n:07d}"
    return register(
        uow,
        env,
        kind=kind,
        credit_code=make_uscc(
            authority=authority[0], kind=authority[1], region=region, org_body=body
        ),
        name=name or f"测试社区{n}",
        responsible_person="王秀兰",
        region_code=region,
        address="测试路 1 号",
        parent_id=parent_id,
        status=status,
    )


def authorised_issuer(
    uow: UnitOfWork, env: Env, organisation_id: uuid.UUID, *, role: Role = Role.ISSUER
) -> Principal:
    """A staff account with an active authorisation for the organisation."""
    account = create_staff(
        uow,
        env,
        username=f"issuer.{next(_serial)}",
        password="correct horse battery",
        display_name="签发人",
        roles=[(role, f"org:{organisation_id}")],
    )
    grant(
        uow,
        env,
        account_id=account.id,
        organisation_id=organisation_id,
        role=role,
        name="签发人",
        position="社区干部",
    )
    return principal_of(uow, account_id=account.id)


def issuer_for(uow: UnitOfWork, env: Env, application_id: uuid.UUID) -> Principal:
    """An issuer authorised by the organisation the application went to; an application
    sent nowhere is first routed to a new community of the resident's region."""
    application = uow.declarations.by_id(application_id)
    assert application is not None
    assert application.resident_id is not None
    if application.organisation_id is None:
        resident = uow.residents.by_id(application.resident_id)
        assert resident is not None
        application.organisation_id = organisation(uow, env, region=resident.region_code).id
        uow.flush()
    return authorised_issuer(uow, env, application.organisation_id)


def sign_as_issuer(
    uow: UnitOfWork,
    env: Env,
    application_id: uuid.UUID,
    colour: Colour,
    note: str = "",
    *,
    issuer: Principal | None = None,
) -> State:
    """The application signed by an issuer of its organisation (a new one unless given)."""
    who = issuer or issuer_for(uow, env, application_id)
    requested = (InfoNeeded.TEMPERATURE,) if colour is Colour.YELLOW else ()
    return sign_pass(
        uow,
        env,
        who,
        application_id=application_id,
        colour=colour,
        note=note,
        requested=requested,
    )


def unauthorised_issuer() -> Principal:
    """An issuer role held for the whole deployment, authorised by no organisation: it
    reads and signs no application (``applications.reach``)."""
    return Principal(uuid.uuid4(), AccountKind.STAFF, None, frozenset({(Role.ISSUER, "")}))
