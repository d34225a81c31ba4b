"""`healthcode verify` reads a phone's presentation (issue 11): valid while live, and
refused as stale (exit 2) once it is older than the window."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import ec
from typer.testing import CliRunner

from healthcode.cli import app
from healthcode.domain.clock import FixedClock
from healthcode.domain.tokens import compressed_point, present
from healthcode.services.codes.device_codes import attest
from tests.cli.test_cli import database, units_and_env
from tests.services.conftest import declare, new_account

__all__ = ["database"]  # the fixture: a migrated SQLite file the CLI is pointed at
runner = CliRunner()


def test_a_live_presentation_verifies_and_a_minute_old_one_is_stale(database: str) -> None:
    clock = FixedClock(datetime.now(UTC))  # the CLI checks at the real time
    units, env = units_and_env(database, clock)
    device = ec.generate_private_key(ec.SECP256R1())
    with units() as uow:
        for key in uow.signing_keys.all():
            key.valid_from = key.created_at = clock.now() - timedelta(hours=1)
        resident = new_account(uow, env, "13800002222")
        declare(uow, env, resident, "binzhou-code")
        attested = attest(
            uow,
            env,
            resident_id=resident.resident_id,
            policy_id="binzhou-code",
            device_key=compressed_point(device.public_key()),
        )
    now = int(time.time())
    live = runner.invoke(app, ["verify", present(attested.attestation, now, device)])
    assert live.exit_code == 0, live.output
    shown = json.loads(live.output)
    assert shown["claims"]["purpose"] == "device"
    assert shown["claims"]["colour"] == "green"

    old = runner.invoke(app, ["verify", present(attested.attestation, now - 60, device)])
    assert old.exit_code == 2
    assert json.loads(old.output)["reason"] == "presentation_stale"
