"""With Redis unreachable a resident still signs in, declares and shows a code: rate
limits count in the worker and the colour cache reads the database. Until stop 24
every costly request failed with a 500 (services/shared/ratelimit.py)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.app import create_app
from healthcode.config import Settings
from healthcode.domain.clock import FixedClock
from tests.api.helpers import CapturingSender, declare, resident_headers
from tests.factories.inputs import declaration_data


def test_a_resident_is_served_while_redis_is_down(
    settings: Settings, clock: FixedClock, sessions: sessionmaker[Session], sms: CapturingSender
) -> None:
    down = settings.model_copy(
        update={"redis_url": "redis://127.0.0.1:1/0", "redis_timeout_seconds": 0.3}
    )
    app = create_app(down, clock=clock, sessions=sessions, otp_sender=sms)
    with TestClient(app) as client:
        headers = resident_headers(client, sms, "13900006666")
        assert declare(client, headers, declaration_data())["colour"] == "green"
        for _ in range(3):  # the code page, its token and QR: "code" requests
            page = client.get("/api/v1/codes/binzhou-code", headers=headers)
            assert page.status_code == 200, page.text
            assert page.json()["colour"] == "green"
        assert client.get("/api/v1/codes/binzhou-code/qr.png", headers=headers).status_code == 200
