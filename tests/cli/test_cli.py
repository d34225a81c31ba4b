"""The command line on a real SQLite file: keys, verify, and the rollover by date."""

from __future__ import annotations

import json
import os
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from healthcode.cli import app
from healthcode.config import Settings
from healthcode.domain.clock import TZ, FixedClock
from healthcode.domain.colour import Colour
from healthcode.services.codes.health_codes import display_code, verify_code
from healthcode.services.shared.env import Env, make_env
from healthcode.store.db import make_engine, session_factory
from healthcode.store.uow import UnitOfWorkFactory
from tests.factories.organisations import sign_as_issuer
from tests.services.conftest import declare, new_account

runner = CliRunner()
START = datetime(2020, 2, 23, 9, 0, tzinfo=TZ)


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("HEALTHCODE_DATABASE_URL", url)
    monkeypatch.setenv("HEALTHCODE_SECRET_KEY", "cli-test-secret")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "created the first signing key" in result.output
    return url


def units_and_env(url: str, clock: FixedClock) -> tuple[UnitOfWorkFactory, Env]:
    settings = Settings(database_url=url, secret_key="cli-test-secret", scheduler=False)
    return UnitOfWorkFactory(session_factory(make_engine(url))), make_env(settings, clock)


def exported() -> list[dict[str, object]]:
    result = runner.invoke(app, ["keys", "export"])
    assert result.exit_code == 0, result.output
    keys: list[dict[str, object]] = json.loads(result.output)["keys"]
    return keys


def test_rotate_and_retire_keys(database: str) -> None:
    [first] = exported()
    rotated = runner.invoke(app, ["keys", "rotate", "--ahead-hours", "0"])
    assert rotated.exit_code == 0, rotated.output
    old, new = exported()
    assert old["kid"] == first["kid"]
    assert "exp" in old  # the old key has stopped signing…
    assert "exp" not in new  # …and the new one signs
    assert runner.invoke(app, ["keys", "retire", "--", str(old["kid"])]).exit_code == 0
    assert [key["kid"] for key in exported()] == [new["kid"]]  # withdrawn by removal
    unknown = runner.invoke(app, ["keys", "retire", "AAAAAAAAAAA"])
    assert unknown.exit_code != 0
    assert "no key" in unknown.output


def test_rotate_announces_the_new_key_48_hours_ahead(database: str) -> None:
    result = runner.invoke(app, ["keys", "rotate"])
    assert result.exit_code == 0, result.output
    old, new = exported()
    assert new["nbf"] == old["exp"]
    assert isinstance(new["nbf"], int)
    assert abs(new["nbf"] - datetime.now(TZ).timestamp() - 48 * 3600) < 60
    assert "48" in runner.invoke(app, ["keys", "rotate", "--help"]).output


def test_retiring_the_only_signer_warns(database: str) -> None:
    [only] = exported()
    result = runner.invoke(app, ["keys", "retire", "--", str(only["kid"])])
    assert result.exit_code == 0
    assert "no key signs now" in result.output


def test_a_server_and_the_cli_agree_after_a_rotation(database: str) -> None:
    """The server's warm key cache does not keep signing with the old key."""
    clock = FixedClock(datetime.now(TZ))
    units, server = units_and_env(database, clock)
    with units() as uow:
        account = new_account(uow, server, "13800001111")
        declare(uow, server, account)
        display_code(uow, server, resident_id=account.resident_id, policy_id="binzhou-code")
    assert runner.invoke(app, ["keys", "rotate", "--ahead-hours", "0"]).exit_code == 0
    with units() as uow:
        token = display_code(
            uow, server, resident_id=account.resident_id, policy_id="binzhou-code"
        ).token
        served = verify_code(uow, server, text=token)
    cli = runner.invoke(app, ["verify", token])
    assert (cli.exit_code, json.loads(cli.output)["reason"]) == (0, None)
    assert served.ok


DECLARED: dict[Colour, dict[str, object]] = {
    Colour.GREEN: {},
    Colour.YELLOW: {"temperature": 38.0},  # a fever
}


class TestVerifyExitCodes:
    """0 valid and may pass, 1 valid but may not pass, 2 refused."""

    def token(self, url: str, colour: Colour) -> str:
        clock = FixedClock(datetime.now(TZ))
        units, env = units_and_env(url, clock)
        with units() as uow:
            account = new_account(uow, env, "13800001111")
            state = declare(uow, env, account, "binzhou-code", **DECLARED[colour])
            assert state.colour is colour
            return display_code(
                uow, env, resident_id=account.resident_id, policy_id="binzhou-code"
            ).token

    def test_green_may_pass(self, database: str) -> None:
        token = self.token(database, Colour.GREEN)
        result = runner.invoke(app, ["verify", token + "\n"])  # as zbarimg prints it
        assert result.exit_code == 0, result.output
        shown = json.loads(result.output)
        assert (shown["valid"], shown["may_pass"], shown["claims"]["colour"]) == (
            True,
            True,
            "green",
        )

    def test_valid_but_not_green_may_not_pass(self, database: str) -> None:
        token = self.token(database, Colour.YELLOW)
        result = runner.invoke(app, ["verify", token])
        assert result.exit_code == 1, result.output
        shown = json.loads(result.output)
        assert (shown["valid"], shown["may_pass"]) == (True, False)

    @pytest.mark.parametrize("text", ["hello", "forged"])
    def test_refused(self, database: str, text: str) -> None:
        if text == "forged":
            token = self.token(database, Colour.GREEN)
            # its last byte changed (a token already ending in "00" was left as it was,
            # and verified: about one run in 2,000)
            text = token[:-2] + ("11" if token.endswith("00") else "00")
        result = runner.invoke(app, ["verify", text])
        assert result.exit_code == 2, result.output
        shown = json.loads(result.output)
        assert (shown["valid"], shown["may_pass"]) == (False, False)

    def test_the_help_documents_the_exit_codes(self) -> None:
        shown = runner.invoke(app, ["verify", "--help"]).output
        assert "0 valid" in shown
        assert "2 refused" in shown


def test_rollover_at_a_date_and_again(database: str) -> None:
    clock = FixedClock(START)
    units, env = units_and_env(database, clock)
    with units() as uow:
        resident = new_account(uow, env, "13800001111")
        state = declare(uow, env, resident, "shandong-pass")
        assert state.application_id is not None
        sign_as_issuer(uow, env, uuid.UUID(state.application_id), Colour.GREEN)
    at = (START + timedelta(days=2)).replace(hour=0, minute=1).isoformat()
    first = runner.invoke(app, ["jobs", "rollover", "--at", at[:16]])
    assert first.exit_code == 0, first.output
    # day 1's report is missing; on SQLite the engine's path, not the states ahead
    assert "1 checked, 1 changed colour (0 moved along" in first.output
    again = runner.invoke(app, ["jobs", "rollover", "--at", at[:16]])
    assert "0 checked, 0 changed colour" in again.output


@pytest.mark.parametrize(
    ("at", "said"),
    [("2099-01-01T12:00", "must not be later than now"), ("0001-01-01T00:00", "2020 or later")],
)
def test_rollover_neither_ahead_of_the_clock_nor_before_any_code(
    database: str, at: str, said: str
) -> None:
    """A future --at recoloured valid passes as lapsed, for good; year 1 was a traceback."""
    refused = runner.invoke(app, ["jobs", "rollover", "--at", at])
    assert refused.exit_code == 2, refused.output
    assert said in refused.output


@pytest.mark.parametrize("password", ["            ", "password123", "short"])
def test_staff_add_refuses_a_weak_password(database: str, password: str) -> None:
    result = runner.invoke(
        app,
        ["staff", "add", "checker9", "--role", "checkpoint", "--password-stdin"],
        input=password + "\n",
    )
    assert result.exit_code == 1
    assert "error: password:" in result.output
    assert "checker9" not in runner.invoke(app, ["staff", "list"]).output


def test_the_video_job_sweeps_an_orphan_blob(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blobs = tmp_path / "blobs"
    blobs.mkdir()
    monkeypatch.setenv("HEALTHCODE_BLOB_DIR", str(blobs))
    orphan = blobs / ("0" * 32)
    orphan.write_bytes(b"left by a crash")
    os.utime(orphan, (time.time() - 7200, time.time() - 7200))  # two hours old
    first = runner.invoke(app, ["jobs", "videos"])
    assert first.exit_code == 0, first.output
    assert "0 expired, 1 orphan blobs swept" in first.output
    assert not orphan.exists()
    assert "0 expired, 0 orphan" in runner.invoke(app, ["jobs", "videos"]).output
