"""Migration 0034_paper_pass_kid on a database with printed cards: each paper pass
printed before it takes the key whose signing window held its issue time, which is
the key that signed it (`keys retire` then counts the standing ones)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import Engine

from healthcode.config import Settings
from healthcode.domain.clock import TZ, FixedClock
from healthcode.domain.colour import Colour
from healthcode.services.organisations.paper_passes import issue_paper_pass
from healthcode.services.shared.env import make_env
from healthcode.services.shared.keys import ensure_signing_key, rotate_keys
from healthcode.store.db import session_factory
from healthcode.store.migrate import downgrade, upgrade
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.organisations import issuer_for, sign_as_issuer
from tests.services.conftest import declare, new_account


def test_cards_printed_before_take_the_key_that_signed_them(bare: Engine) -> None:
    upgrade(bare)
    clock = FixedClock(datetime(2020, 2, 23, 9, 0, tzinfo=TZ))
    settings = Settings(secret_key="migration-secret", argon2_time_cost=1, scheduler=False)
    env, units = make_env(settings, clock), UnitOfWorkFactory(session_factory(bare))
    with units() as uow:
        ensure_signing_key(uow, env.protector, now=clock.now())
        account = new_account(uow, env, "13800001111")
        state = declare(uow, env, account, "shandong-pass")
        assert state.application_id
        application = uuid.UUID(state.application_id)
        issuer = issuer_for(uow, env, application)
        sign_as_issuer(uow, env, application, Colour.GREEN, issuer=issuer)
        first = issue_paper_pass(uow, env, issuer, application_id=application)
        clock.advance(timedelta(minutes=1))
        rotate_keys(uow, env.protector, env.keys, now=clock.now(), publish_ahead=timedelta(0))
        env.keys.invalidate()
        second = issue_paper_pass(uow, env, issuer, application_id=application)
        uow.commit()
    kids = sa.text("SELECT id, kid FROM paper_passes")
    with bare.connect() as conn:
        signed = {uuid.UUID(str(i)): bytes(kid) for i, kid in conn.execute(kids)}
    assert len(set(signed.values())) == 2  # two keys, one card each
    downgrade(bare, "0033_code_states_ahead")
    upgrade(bare)
    with bare.connect() as conn:
        found = {uuid.UUID(str(i)): bytes(kid) for i, kid in conn.execute(kids)}
    assert found == signed
    assert set(found) == {first.paper_pass_id, second.paper_pass_id}
