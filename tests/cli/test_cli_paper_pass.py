"""`healthcode verify` reads a printed paper pass and refuses it once revoked."""

from __future__ import annotations

import json
import uuid
from datetime import datetime

from healthcode.cli import app
from healthcode.domain.clock import TZ, FixedClock
from healthcode.domain.colour import Colour
from healthcode.services.accounts.permissions import Principal
from healthcode.services.organisations.paper_passes import (
    PrintedPass,
    issue_paper_pass,
    revoke_paper_pass,
)
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWorkFactory
from tests.cli.test_cli import database, exported, runner, units_and_env
from tests.factories.organisations import issuer_for, sign_as_issuer
from tests.factories.paper import read_paper_qr
from tests.services.conftest import declare, new_account

__all__ = ["database"]


def _printed(units: UnitOfWorkFactory, env: Env) -> tuple[PrintedPass, Principal]:
    """A green shandong-pass printed on paper by its issuer, committed."""
    with units() as uow:
        account = new_account(uow, env, "13800001111")
        state = declare(uow, env, account, "shandong-pass")
        assert state.application_id
        application = uuid.UUID(state.application_id)
        issuer = issuer_for(uow, env, application)
        sign_as_issuer(uow, env, application, Colour.GREEN, issuer=issuer)
        printed = issue_paper_pass(uow, env, issuer, application_id=application)
        uow.commit()
    return printed, issuer


def test_a_revoked_paper_pass_is_refused(database: str) -> None:
    units, env = units_and_env(database, FixedClock(datetime.now(TZ)))
    printed, issuer = _printed(units, env)
    token = read_paper_qr(printed.pdf)
    valid = runner.invoke(app, ["verify", token])
    assert valid.exit_code == 0, valid.output
    assert json.loads(valid.output)["claims"]["purpose"] == "paper"
    with units() as uow:
        revoke_paper_pass(
            uow, env, issuer, paper_pass_id=printed.paper_pass_id, reason="居民报告卡片丢失"
        )
        uow.commit()
    refused = runner.invoke(app, ["verify", token])
    assert refused.exit_code == 2
    assert json.loads(refused.output)["reason"] == "revoked"


def test_retiring_the_key_of_standing_paper_passes_needs_force(database: str) -> None:
    """Until stop 44 the retirement voided every card the key signed, silently."""
    units, env = units_and_env(database, FixedClock(datetime.now(TZ)))
    printed, _issuer = _printed(units, env)
    [key] = exported()
    refused = runner.invoke(app, ["keys", "retire", "--", str(key["kid"])])
    assert refused.exit_code == 1
    assert "1 standing paper passes were signed by this key" in refused.output
    assert "--force" in refused.output
    assert runner.invoke(app, ["verify", printed.token]).exit_code == 0  # still standing
    forced = runner.invoke(app, ["keys", "retire", "--force", "--", str(key["kid"])])
    assert forced.exit_code == 0, forced.output
    assert "1 standing paper passes" in forced.output
    voided = runner.invoke(app, ["verify", printed.token])
    assert (voided.exit_code, json.loads(voided.output)["reason"]) == (2, "key_retired")
