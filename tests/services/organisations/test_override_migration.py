"""Migration 0027_override_open_key on a database with a proposal already open: the
proposal holds its code's key, so a second one is refused (found by probing: after
the migration, two proposals stood open for one code)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import sessionmaker

from healthcode.domain.colour import Colour
from healthcode.services.organisations.overrides import AlreadyProposed, propose_override
from healthcode.services.shared.env import Env
from healthcode.store.migrate import downgrade, upgrade
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.organisations import authorised_issuer
from tests.services.organisations.review import community
from tests.services.organisations.test_overrides import fevered

REASON = "视频中体温计读数为38.2℃，按规则赋红码"


def test_a_proposal_open_before_the_key_keeps_its_code(bare: Engine, env: Env) -> None:
    upgrade(bare)
    units = UnitOfWorkFactory(sessionmaker(bare, expire_on_commit=False))
    with units() as uow:
        home = community(uow, env)
        resident = fevered(uow, env, home)
        other = authorised_issuer(uow, env, home.organisation.id)
        propose_override(
            uow, env, home.issuer, resident_id=resident, policy_id="shandong-pass",
            colour=Colour.RED, reason=REASON,
        )  # fmt: skip
    downgrade(bare, "0026_credit_appeals")  # the proposal as it was made before the key
    upgrade(bare)
    with units() as uow, pytest.raises(AlreadyProposed):
        propose_override(
            uow, env, other, resident_id=resident, policy_id="shandong-pass",
            colour=Colour.GREEN, reason=REASON,
        )  # fmt: skip
