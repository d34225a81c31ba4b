"""The CLI's verify refuses a code whose pass has ended, like the API (issue 7 §1)."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, time, timedelta

from typer.testing import CliRunner

from healthcode.cli import app
from healthcode.domain.clock import TZ, FixedClock
from healthcode.domain.colour import Colour
from healthcode.services.codes.health_codes import display_code
from tests.cli.test_cli import database, units_and_env
from tests.factories.organisations import sign_as_issuer
from tests.services.conftest import declare, new_account, report

__all__ = ["database"]  # the fixture: a migrated SQLite file the CLI is pointed at
runner = CliRunner()


def test_a_token_fetched_before_the_pass_ended_is_refused_as_lapsed(database: str) -> None:
    """The CLI checks at the real time: the pass was signed six days ago, so it ended
    at midnight today, and the token was fetched at 23:59:40 yesterday."""
    midnight = datetime.combine(datetime.now(TZ).date(), time(), TZ)
    clock = FixedClock(midnight - timedelta(days=6) + timedelta(hours=9))
    units, env = units_and_env(database, clock)
    with units() as uow:
        for key in uow.signing_keys.all():  # made by `db upgrade` now: date it back
            key.valid_from = key.created_at = clock.now()
        resident = new_account(uow, env, "13800001111")
        state = declare(uow, env, resident, "shandong-pass")
        assert state.application_id is not None
        application = uuid.UUID(state.application_id)
        sign_as_issuer(uow, env, application, Colour.GREEN)
        for days_ago in range(5, 0, -1):
            clock.set(midnight - timedelta(days=days_ago) + timedelta(hours=8))
            report(uow, env, resident, "shandong-pass")
        clock.set(midnight - timedelta(seconds=20))
        shown = display_code(uow, env, resident_id=resident.resident_id, policy_id="shandong-pass")
    assert shown.claims.colour is Colour.GREEN
    assert shown.claims.expires_at == midnight
    result = runner.invoke(app, ["verify", shown.token])
    assert result.exit_code != 0
    assert json.loads(result.output)["reason"] == "pass_lapsed"
