"""Another secret key than the database was written with: refuse to start (issue 7 #12)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from healthcode.app import create_app
from healthcode.cli import app
from healthcode.config import Settings
from healthcode.crypto import Protector
from healthcode.services.shared.keycheck import SecretKeyMismatch, check_secret_key
from healthcode.services.shared.keys import ensure_signing_key
from healthcode.store.uow import UnitOfWork

runner = CliRunner()
MISMATCH = "secret key does not match this database"


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    url = f"sqlite:///{tmp_path / 'key.db'}"
    monkeypatch.setenv("HEALTHCODE_DATABASE_URL", url)
    monkeypatch.setenv("HEALTHCODE_SECRET_KEY", "the-first-key")
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    return url


@pytest.mark.parametrize(
    "command", [["serve"], ["keys", "export"], ["jobs", "rollover"], ["db", "upgrade"]]
)
def test_cli_refuses_another_key(
    database: str, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    monkeypatch.setenv("HEALTHCODE_SECRET_KEY", "another-key")
    result = runner.invoke(app, command)
    assert result.exit_code != 0
    assert MISMATCH in result.output


def test_cli_accepts_the_same_key(database: str) -> None:
    assert runner.invoke(app, ["keys", "export"]).exit_code == 0


def test_app_refuses_to_start_with_another_key(database: str) -> None:
    settings = Settings(database_url=database, secret_key="another-key", scheduler=False)
    with pytest.raises(SecretKeyMismatch, match=MISMATCH), TestClient(create_app(settings)):
        pass
    same = Settings(database_url=database, secret_key="the-first-key", scheduler=False)
    with TestClient(create_app(same)) as client:
        assert client.get("/api/v1/trust-list").status_code == 200


def test_a_database_without_check_value_is_checked_against_its_signing_key(
    uow: UnitOfWork,
) -> None:
    """Written before check values existed: its first signing key tells the key."""
    first, now = Protector(b"the-first-key"), datetime(2020, 2, 23, 1, 0, tzinfo=UTC)
    ensure_signing_key(uow, first, now=now)
    with pytest.raises(SecretKeyMismatch):
        check_secret_key(uow, Protector(b"another-key"), now=now)
    assert check_secret_key(uow, first, now=now) is True
    assert check_secret_key(uow, first, now=now) is False
    with pytest.raises(SecretKeyMismatch):
        check_secret_key(uow, Protector(b"another-key"), now=now)
