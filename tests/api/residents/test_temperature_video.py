"""The temperature video through the API: the resident uploads (multipart), sees and
deletes it; the issuer reviewing the application streams it with Range requests;
nobody else finds it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.config import Settings
from healthcode.services.accounts import login as accounts
from healthcode.services.accounts.permissions import Role
from healthcode.services.organisations.authorisations import grant
from healthcode.store.uow import UnitOfWork
from tests.api.helpers import (
    PASSWORD,
    CapturingSender,
    declare,
    error,
    resident_headers,
    staff_headers,
)
from tests.factories import videos as make
from tests.factories.inputs import declaration_data
from tests.factories.organisations import organisation

LIMIT = 200_000


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url="sqlite://",
        secret_key="test-secret-key-not-for-production",
        argon2_time_cost=1,
        argon2_memory_kib=1024,
        scheduler=False,
        blob_dir=str(tmp_path / "blobs"),
        video_max_bytes=LIMIT,
    )


def apply(
    client: TestClient, sms: CapturingSender, phone: str = "13812341234"
) -> tuple[dict[str, str], str]:
    me = resident_headers(client, sms, phone)
    code = declare(client, me, declaration_data("shandong-pass"))
    return me, code["application_id"]


def upload(
    client: TestClient,
    me: dict[str, str],
    app_id: str,
    data: bytes,
    *,
    name: str = "t.mp4",
    kind: str = "video/mp4",
) -> Any:
    return client.put(
        f"/api/v1/declarations/{app_id}/video", files={"video": (name, data, kind)}, headers=me
    )


def refusal(response: Any) -> str:
    assert response.status_code == 422, response.text
    [field] = error(response)["fields"]
    assert field["field"] == "video"
    assert field["message"]  # in words, in the request's language
    code: str = field["code"]
    return code


def other_issuer(
    app: FastAPI, sessions: sessionmaker[Session], client: TestClient
) -> dict[str, str]:
    """An issuer authorised by another community of the same region."""
    env = app.state.env
    uow = UnitOfWork(sessions())
    other = organisation(uow, env, name="黄河六路社区居民委员会").id
    staff = accounts.create_staff(
        uow,
        env,
        username="issuer02",
        password=PASSWORD,
        display_name="李 签发",
        roles=[(Role.ISSUER, f"org:{other}")],
    )
    grant(uow, env, account_id=staff.id, organisation_id=other, role=Role.ISSUER, name="李 签发")
    uow.commit()
    uow.close()
    return staff_headers(client, "issuer02")


class TestUpload:
    def test_accepted_and_shown_back(self, client: TestClient, sms: CapturingSender) -> None:
        me, app_id = apply(client, sms)
        data = make.mp4(12.5, size=50_000)
        kept = upload(client, me, app_id, data)
        assert kept.status_code == 200, kept.text
        assert (kept.json()["seconds"], kept.json()["size"]) == (12.5, len(data))
        mine = client.get(f"/api/v1/declarations/{app_id}/video", headers=me)
        assert (mine.status_code, mine.content) == (200, data)
        assert mine.headers["content-type"] == "video/mp4"
        assert mine.headers["cache-control"] == "private, no-store"

    def test_a_browser_recording_in_webm_is_accepted(
        self, client: TestClient, sms: CapturingSender
    ) -> None:
        me, app_id = apply(client, sms)
        kept = upload(
            client,
            me,
            app_id,
            make.webm(9, declare_duration=False),
            name="r.webm",
            kind="video/webm",
        )
        assert kept.status_code == 200, kept.text
        assert kept.json()["content_type"] == "video/webm"

    def test_a_png_renamed_mp4_is_refused(self, client: TestClient, sms: CapturingSender) -> None:
        me, app_id = apply(client, sms)
        assert refusal(upload(client, me, app_id, make.PNG, name="photo.mp4")) == "wrong_type"

    def test_too_long_is_refused(self, client: TestClient, sms: CapturingSender) -> None:
        me, app_id = apply(client, sms)
        response = upload(client, me, app_id, make.mp4(31))
        assert refusal(response) == "too_long"
        assert "31" in error(response)["fields"][0]["message"]

    def test_too_large_is_refused(self, client: TestClient, sms: CapturingSender) -> None:
        me, app_id = apply(client, sms)
        assert refusal(upload(client, me, app_id, make.mp4(5, size=LIMIT + 1))) == "too_large"

    def test_far_too_large_is_cut_off_at_the_edge(
        self, client: TestClient, sms: CapturingSender
    ) -> None:
        me, app_id = apply(client, sms)
        response = upload(client, me, app_id, make.mp4(5, size=4 * LIMIT + 2 * 1024 * 1024))
        assert response.status_code == 413

    def test_the_message_is_in_english_when_asked(
        self, client: TestClient, sms: CapturingSender
    ) -> None:
        me, app_id = apply(client, sms)
        response = client.put(
            f"/api/v1/declarations/{app_id}/video?lang=en",
            files={"video": ("t.mp4", make.mp4(40), "video/mp4")},
            headers=me,
        )
        assert "at most 30 seconds" in error(response)["fields"][0]["message"]

    def test_json_is_still_required_elsewhere(
        self, client: TestClient, sms: CapturingSender
    ) -> None:
        me = resident_headers(client, sms)
        response = client.post(
            "/api/v1/declarations", files={"video": ("t.mp4", b"x", "video/mp4")}, headers=me
        )
        assert response.status_code == 415

    def test_deleted_by_the_resident(self, client: TestClient, sms: CapturingSender) -> None:
        me, app_id = apply(client, sms)
        upload(client, me, app_id, make.mp4(5))
        assert client.delete(f"/api/v1/declarations/{app_id}/video", headers=me).status_code == 204
        assert client.get(f"/api/v1/declarations/{app_id}/video", headers=me).status_code == 404


class TestViewing:
    def test_the_issuer_in_scope_streams_a_range(
        self, client: TestClient, sms: CapturingSender, add_staff: Any
    ) -> None:
        me, app_id = apply(client, sms)
        data = make.mp4(20, size=10_000)
        upload(client, me, app_id, data)
        add_staff("issuer01", Role.ISSUER)
        staff = staff_headers(client, "issuer01")
        part = client.get(
            f"/api/v1/applications/{app_id}/video", headers={**staff, "Range": "bytes=1000-1999"}
        )
        assert part.status_code == 206
        assert part.content == data[1000:2000]
        assert part.headers["content-range"] == f"bytes 1000-1999/{len(data)}"
        assert part.headers["content-type"] == "video/mp4"
        assert part.headers["cache-control"] == "private, no-store"
        assert part.headers["accept-ranges"] == "bytes"
        tail = client.get(
            f"/api/v1/applications/{app_id}/video", headers={**staff, "Range": "bytes=-100"}
        )
        assert (tail.status_code, tail.content) == (206, data[-100:])
        beyond = client.get(
            f"/api/v1/applications/{app_id}/video", headers={**staff, "Range": "bytes=99999-"}
        )
        assert beyond.status_code == 416
        assert beyond.headers["content-range"] == f"bytes */{len(data)}"
        whole = client.get(f"/api/v1/applications/{app_id}/video", headers=staff)
        assert (whole.status_code, whole.content) == (200, data)

    def test_an_issuer_of_another_community_gets_404(
        self,
        app: FastAPI,
        sessions: sessionmaker[Session],
        client: TestClient,
        sms: CapturingSender,
    ) -> None:
        me, app_id = apply(client, sms)
        upload(client, me, app_id, make.mp4(5))
        response = client.get(
            f"/api/v1/applications/{app_id}/video", headers=other_issuer(app, sessions, client)
        )
        assert response.status_code == 404

    def test_another_resident_gets_404(self, client: TestClient, sms: CapturingSender) -> None:
        me, app_id = apply(client, sms)
        upload(client, me, app_id, make.mp4(5))
        other = resident_headers(client, sms, "13900002222")
        assert client.get(f"/api/v1/declarations/{app_id}/video", headers=other).status_code == 404
        assert upload(client, other, app_id, make.mp4(5)).status_code == 404
        assert (
            client.delete(f"/api/v1/declarations/{app_id}/video", headers=other).status_code == 404
        )
        assert client.get(f"/api/v1/applications/{app_id}/video", headers=other).status_code == 403
