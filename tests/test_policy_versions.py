"""A policy file edited without a new version: the server and the command line
refuse to start, naming the policy and what to do, instead of serving changed rules
under the old version (whose codes a policy change would never recolour)."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from healthcode.app import create_app
from healthcode.cli import app
from healthcode.config import Settings
from healthcode.domain.errors import DomainError
from healthcode.store.db import session_factory
from healthcode.store.migrate import upgrade
from tests.cli.test_cli import database, runner
from tests.factories.policies import REWORDED, bumped, edit_policy

__all__ = ["database"]  # the fixture, shared with test_cli


def _start(engine: Engine) -> None:
    """A server's start and stop on `engine`: its lifespan runs the checks."""
    settings = Settings(database_url="sqlite://", secret_key="policy-test-key", scheduler=False)
    with TestClient(create_app(settings, sessions=session_factory(engine))) as client:
        assert client.get("/api/v1/trust-list").status_code == 200


def test_the_server_refuses_a_policy_edited_without_a_new_version(
    bare: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    upgrade(bare)
    _start(bare)  # the files as shipped: put in force
    _start(bare)  # the same files again: fine
    edit_policy(monkeypatch, "binzhou-code", REWORDED)
    with pytest.raises(DomainError, match=r"binzhou-code@.*bump the version"):
        _start(bare)


def test_a_new_version_starts(bare: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    upgrade(bare)
    _start(bare)
    edit_policy(monkeypatch, "binzhou-code", REWORDED, bumped("binzhou-code"))
    _start(bare)


@pytest.mark.parametrize("command", [["serve"], ["jobs", "rollover"], ["keys", "export"]])
def test_the_command_line_refuses_a_policy_edited_without_a_new_version(
    database: str, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    edit_policy(monkeypatch, "binzhou-code", REWORDED)
    result = runner.invoke(app, command)
    assert result.exit_code != 0
    assert "binzhou-code@" in result.output
    assert "bump the version" in result.output
