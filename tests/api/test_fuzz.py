"""Never a 500: every API operation, fed generated input (schemathesis), answers 4xx
at worst. Runs on SQLite and PostgreSQL (which refuses text SQLite takes, such as
NUL), as a resident who has declared and, for the issuer's operations, as an issuer."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from sqlalchemy import Engine

from healthcode.app import create_app
from healthcode.config import Settings
from healthcode.domain.clock import TZ, FixedClock
from healthcode.services.accounts import login as accounts
from healthcode.services.accounts.permissions import Role
from healthcode.store.db import session_factory
from healthcode.store.migrate import upgrade
from healthcode.store.uow import UnitOfWorkFactory
from tests.api.helpers import PASSWORD, CapturingSender, declare, resident_headers, staff_headers
from tests.conftest import own_database
from tests.factories.inputs import declaration_data

SMS = CapturingSender()
# A colour watch looks every 50 ms, not every 5 s (with ``_held_briefly``: each valid
# case of it held the test a minute on each database)
SETTINGS = Settings(
    database_url="sqlite://", secret_key="fuzz", scheduler=False, rate_limits=False,
    colour_watch_seconds=0.05,
)  # fmt: skip
CLOCK = FixedClock(datetime.now(TZ))
# The schema is read when the module loads; each database gets an app of its own.
schema = schemathesis.openapi.from_dict(create_app(SETTINGS, clock=CLOCK).openapi())
CURRENT: dict[str, Any] = {}


@contextmanager
def fuzz_database(kind: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database of its own: the fuzzing commits for real."""
    with own_database(kind, tmp_path_factory.mktemp("fuzz"), f"hc_fuzz_{os.getpid()}") as engine:
        yield engine


@pytest.fixture(autouse=True)
def community() -> None:
    """Not the API tests' community on the shared databases: the fuzzing has its own
    database (one run per database, not four)."""


@pytest.fixture(scope="module", autouse=True, params=["sqlite", "postgresql"])
def resident(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """A resident with a code, so the operations reach their real work."""
    with fuzz_database(request.param, tmp_path_factory) as engine:
        upgrade(engine)
        app = create_app(SETTINGS, clock=CLOCK, otp_sender=SMS)
        app.state.uow_factory = UnitOfWorkFactory(session_factory(engine))
        with TestClient(app) as client:
            headers = resident_headers(client, SMS, "13800009999")
            declare(client, headers, declaration_data("shandong-pass"))
            with app.state.uow_factory() as uow:
                accounts.create_staff(
                    uow, app.state.env, username="fuzz.issuer", password=PASSWORD,
                    display_name="签发 员", roles=[(Role.ISSUER, "")],
                )  # fmt: skip
            CURRENT.update(app=app, headers=headers, issuer=staff_headers(client, "fuzz.issuer"))
            yield


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_a_server_error(case: Any) -> None:
    who = "issuer" if case.path.startswith("/api/v1/applications") else "headers"
    _held_briefly(case)
    response = case.call(headers=CURRENT[who], app=CURRENT["app"])
    assert response.status_code < 500, (case.method, case.path, case.body, response.text[:300])


def _held_briefly(case: Any) -> None:
    """A colour watch is held open for its ``hold`` seconds (an hour when not given):
    one is enough to see it answer. A hold that is not a whole number of seconds over
    one is left as generated."""
    if not case.path.endswith("/watch") or not isinstance(case.query, dict):
        return
    hold = case.query.get("hold", "3600")
    if isinstance(hold, str) and hold.isdigit() and int(hold) > 1:
        case.query["hold"] = "1"
