"""Never a 500: every API operation, fed generated input (schemathesis), answers 4xx
at worst. Runs on SQLite with a signed-in resident who has declared."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from healthcode.api.app import create_app
from healthcode.config import Settings
from healthcode.domain.clock import TZ, FixedClock
from healthcode.store.db import make_engine, session_factory
from healthcode.store.migrate import upgrade
from healthcode.store.uow import UnitOfWorkFactory
from tests.api.helpers import CapturingSender, declare, resident_headers
from tests.factories.inputs import declaration_data

SMS = CapturingSender()
# The schema is read when the module loads; the database is wired in by the fixture.
APP = create_app(
    Settings(database_url="sqlite://", secret_key="fuzz", scheduler=False, rate_limits=False),
    clock=FixedClock(datetime.now(TZ)),
    otp_sender=SMS,
)
schema = schemathesis.openapi.from_dict(APP.openapi())
schema.app = APP  # calls go through the ASGI app, not the network
HEADERS: dict[str, str] = {}


@pytest.fixture(scope="module", autouse=True)
def resident(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """A resident with a code, so the operations reach their real work. The fuzzing
    commits for real, so it gets a database of its own."""
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}")
    upgrade(engine)
    APP.state.uow_factory = UnitOfWorkFactory(session_factory(engine))
    with TestClient(APP) as client:
        HEADERS.update(resident_headers(client, SMS, "13800009999"))
        declare(client, HEADERS, declaration_data())
        yield


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_a_server_error(case: Any) -> None:
    response = case.call(headers=HEADERS)
    assert response.status_code < 500, (case.method, case.path, case.body, response.text[:300])
