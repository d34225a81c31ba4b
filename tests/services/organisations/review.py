"""Helpers for the review-queue tests: a community with its own applicants and issuer."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from healthcode.services.accounts.permissions import Principal
from healthcode.services.residents.declarations import confirm_declaration, submit_declaration
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.inputs import declaration, id_number
from tests.factories.organisations import authorised_issuer, organisation
from tests.services.conftest import new_account

_phones = iter(range(13900000000, 13999999999))


@dataclass(frozen=True)
class Community:
    organisation: t.Organisation
    issuer: Principal


def community(uow: UnitOfWork, env: Env, *, region: str = "371602") -> Community:
    org = organisation(uow, env, region=region)
    return Community(org, authorised_issuer(uow, env, org.id))


def apply(
    uow: UnitOfWork, env: Env, to: t.Organisation, *, number: str | None = None, **fields: object
) -> uuid.UUID:
    """A new resident (of ID ``number``, or a new one) applies for a pass to the
    organisation; the application id."""
    account = new_account(uow, env, str(next(_phones)))
    data = declaration(
        "shandong-pass",
        id_number=number or id_number(),
        organisation_id=str(to.id),
        region=to.region_code,
        **fields,
    )
    row = submit_declaration(uow, env, account_id=account.id, data=data).declaration
    confirm_declaration(uow, env, account_id=account.id, declaration_id=row.id)
    return row.id
