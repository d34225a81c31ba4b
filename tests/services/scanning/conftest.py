"""A community with two venues, an operator at each, and a green resident."""

from __future__ import annotations

import pytest

from healthcode.services.accounts.permissions import Principal
from healthcode.services.scanning.venues import VenueSummary
from healthcode.services.shared.env import Env
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.factories.roster import employer_admin
from tests.factories.scanning import operator, venue
from tests.services.conftest import declare

BINZHOU = (37.3835, 117.9708)  # 滨州市滨城区
JINAN = (36.6512, 117.1201)  # 济南市历下区, ~110 km away


@pytest.fixture
def admin(uow: UnitOfWork, env: Env, community: t.Organisation) -> Principal:
    return employer_admin(uow, env, community.id)


@pytest.fixture
def gate(uow: UnitOfWork, env: Env, admin: Principal, community: t.Organisation) -> VenueSummary:
    return venue(
        uow, env, admin, community.id, name="东门卡口", latitude=BINZHOU[0], longitude=BINZHOU[1]
    )


@pytest.fixture
def guard(uow: UnitOfWork, env: Env, admin: Principal, gate: VenueSummary) -> Principal:
    return operator(uow, env, admin, gate.id)


@pytest.fixture
def green(uow: UnitOfWork, env: Env, account: t.Account, signing_key: None) -> t.Account:
    declare(uow, env, account)
    return account
