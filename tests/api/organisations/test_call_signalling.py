"""The video call's signalling WebSocket (/calls/{id}/signal) and the issuer's call
routes: only the two parties of a live call get in, from our own pages."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from starlette.websockets import WebSocketDisconnect

from healthcode.config import IceServer, Settings
from healthcode.crypto import derive
from healthcode.domain.clock import FixedClock
from healthcode.services.accounts.permissions import Role
from healthcode.services.accounts.sessions import open_session, principal_of
from healthcode.services.organisations.calls import start_call
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from healthcode.web.csrf import bound_token
from healthcode.web.pages.organisations import signalling
from tests.api.helpers import CapturingSender, declare, error, resident_token, staff_login
from tests.factories.inputs import declaration_data
from tests.factories.organisations import authorised_issuer, organisation

ORIGIN = {"origin": "http://testserver"}


class Call:
    """A pending application, its issuer's and applicant's sessions, and a ringing call."""

    def __init__(
        self,
        client: TestClient,
        app: FastAPI,
        sessions: sessionmaker[Session],
        sms: CapturingSender,
        add_staff: Any,
    ) -> None:
        self.client, self.app, self.sessions = client, app, sessions
        self.resident = resident_token(client, sms)
        me = {"Authorization": f"Bearer {self.resident}"}
        declare(client, me, declaration_data("shandong-pass"))
        add_staff("issuer01", Role.ISSUER)
        self.issuer = staff_login(client, "issuer01").json()["token"]
        with self.uow() as uow:
            self.application_id = uow.session.scalars(
                select(t.Declaration.id).where(t.Declaration.policy_id == "shandong-pass")
            ).one()
            account = uow.accounts.by_username("issuer01")
            assert account is not None
            self.issuer_id = account.id
            who = principal_of(uow, account_id=account.id)
            self.id = start_call(uow, app.state.env, who, application_id=self.application_id).id

    def uow(self) -> Any:
        return _Unit(self.sessions)

    def stranger(self, *, elsewhere: bool) -> str:
        """A session of an issuer of another community, or of another resident."""
        env = self.app.state.env
        with self.uow() as uow:
            if elsewhere:
                who = authorised_issuer(uow, env, organisation(uow, env, region="370102").id)
                account = uow.accounts.by_id(who.account_id)
            else:
                other = t.Account(
                    id=uuid.uuid4(), kind="resident", created_at=env.clock.now(),
                    phone_hash=env.protector.keyed_hash("13900009999", kind="phone"),
                    phone_cipher=b"x", phone_masked="139****9999",
                )  # fmt: skip
                uow.add(other)
                uow.flush()
                account = other
            assert account is not None
            return open_session(uow, env, account, client="test", user_agent="test").token

    def connect(self, token: str | None, origin: dict[str, str] = ORIGIN) -> Any:
        headers = dict(origin)
        if token:
            headers["cookie"] = f"hc_session={token}"
        return self.client.websocket_connect(f"/calls/{self.id}/signal", headers=headers)


class _Unit:
    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.uow = UnitOfWork(sessions())

    def __enter__(self) -> UnitOfWork:
        return self.uow

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.uow.commit()
        self.uow.close()


@pytest.fixture
def call(
    client: TestClient,
    app: FastAPI,
    sessions: sessionmaker[Session],
    sms: CapturingSender,
    add_staff: Any,
) -> Call:
    return Call(client, app, sessions, sms, add_staff)


def refused_with(call: Call, token: str | None, origin: dict[str, str] = ORIGIN) -> int:
    with pytest.raises(WebSocketDisconnect) as refused, call.connect(token, origin) as socket:
        socket.receive_json()
    return refused.value.code


class TestSignalling:
    def test_the_two_parties_meet_and_only_signalling_is_relayed(self, call: Call) -> None:
        with call.connect(call.issuer) as desk:
            assert desk.receive_json() == {"type": "joined", "party": "issuer", "peer": False}
            with call.connect(call.resident) as phone:
                assert phone.receive_json() == {
                    "type": "joined", "party": "resident", "peer": True,
                }  # fmt: skip
                assert desk.receive_json() == {"type": "peer-joined", "party": "resident"}
                offer = {"type": "offer", "description": {"type": "offer", "sdp": "v=0"}}
                desk.send_json(offer | {"extra": "dropped"})
                assert phone.receive_json() == offer
                phone.send_text("not json")
                phone.send_json({"type": "answer", "description": {"type": "offer", "sdp": ""}})
                phone.send_json({"type": "chat", "text": "not relayed"})
                candidate = {"type": "candidate", "candidate": {"candidate": "a", "sdpMid": "0"}}
                phone.send_json(candidate)
                assert desk.receive_json() == candidate  # the junk before it was dropped
                phone.send_json({"type": "bye"})
                ended = {"type": "ended", "by": "resident", "reason": "hang_up"}
                assert desk.receive_json() == ended
                assert phone.receive_json() == ended
        with call.uow() as uow:
            row = uow.video_calls.by_id(call.id)
            assert row is not None
            assert (row.status, row.end_reason) == ("ended", "hang_up")
            assert row.answered_at is not None
            assert row.ended_by not in (None, call.issuer_id)

    def test_a_dropped_party_that_does_not_come_back_ends_the_call(
        self, call: Call, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(signalling, "GRACE_SECONDS", 0)
        with call.connect(call.issuer) as desk:
            desk.receive_json()
            with call.connect(call.resident) as phone:
                phone.receive_json()
                desk.receive_json()
            assert desk.receive_json() == {"type": "peer-left", "party": "resident"}
            assert desk.receive_json() == {
                "type": "ended", "by": "resident", "reason": "disconnected",
            }  # fmt: skip

    def test_a_reloaded_page_comes_back_into_the_call(self, call: Call) -> None:
        with call.connect(call.issuer) as desk:
            desk.receive_json()
            with call.connect(call.resident) as phone:
                phone.receive_json()
                assert desk.receive_json()["type"] == "peer-joined"
            assert desk.receive_json()["type"] == "peer-left"
            with call.connect(call.resident) as phone:
                assert phone.receive_json()["peer"] is True
                assert desk.receive_json()["type"] == "peer-joined"  # the issuer offers again
                phone.send_json({"type": "bye"})
                assert desk.receive_json()["reason"] == "hang_up"

    def test_a_page_of_another_site_is_refused_at_the_handshake(self, call: Call) -> None:
        assert refused_with(call, call.issuer, {"origin": "https://evil.example"}) == 1008
        assert refused_with(call, call.issuer, {}) == 1008

    def test_without_a_session_it_is_closed_4401(self, call: Call) -> None:
        assert refused_with(call, None) == 4401

    @pytest.mark.parametrize("elsewhere", [True, False], ids=["issuer-elsewhere", "resident"])
    def test_a_third_person_cannot_join(self, call: Call, elsewhere: bool) -> None:
        assert refused_with(call, call.stranger(elsewhere=elsewhere)) == 4404

    def test_an_unanswered_call_is_over_after_two_minutes(
        self, call: Call, clock: FixedClock
    ) -> None:
        clock.advance(timedelta(minutes=2))
        assert refused_with(call, call.resident) == 4410
        with call.uow() as uow:
            row = uow.video_calls.by_id(call.id)
            assert row is not None
            assert row.status == "expired"

    def test_the_waiting_issuer_hears_when_the_offer_lapsed(
        self, call: Call, clock: FixedClock
    ) -> None:
        with call.connect(call.issuer) as desk:
            desk.receive_json()
            clock.advance(timedelta(minutes=3))
            desk.send_json({"type": "ping"})
            assert desk.receive_json() == {"type": "ended", "by": None, "reason": "expired"}


def csrf(app: FastAPI, token: str) -> dict[str, str]:
    """What a page of the signed-in session sends with a script's POST."""
    key = derive(app.state.env.settings.secret, "healthcode/csrf/v1")
    return {
        "x-csrf-token": bound_token(key, session=token, anonymous=""),
        "cookie": f"hc_session={token}",
        "accept": "application/json",
    }


class TestCallRoutes:
    def test_an_issuer_of_another_community_gets_404(self, call: Call) -> None:
        other = call.stranger(elsewhere=True)
        page = call.client.get(
            f"/staff/applications/{call.application_id}/call",
            headers={"cookie": f"hc_session={other}"},
        )
        assert page.status_code == 404
        reading = call.client.post(
            f"/staff/calls/{call.id}/reading",
            data={"temperature": "36.6"},
            headers=csrf(call.app, other),
        )
        assert reading.status_code == 404

    def test_a_resident_cannot_open_the_issuers_page(self, call: Call) -> None:
        page = call.client.get(
            f"/staff/applications/{call.application_id}/call",
            headers={"cookie": f"hc_session={call.resident}"},
        )
        assert page.status_code == 403

    @pytest.mark.parametrize(
        ("typed", "code"),
        [
            ("abc", "float_parsing"),
            ("", "float_parsing"),
            ("nan", "float_parsing"),
            ("37.26", "decimals"),
            ("98.6", "fahrenheit"),
            ("45.0", "out_of_range"),
        ],
    )
    def test_a_bad_reading_is_a_field_error(self, call: Call, typed: str, code: str) -> None:
        with call.connect(call.resident) as phone:  # answered
            phone.receive_json()
            answer = call.client.post(
                f"/staff/calls/{call.id}/reading",
                data={"temperature": typed},
                headers=csrf(call.app, call.issuer),
            )
        assert answer.status_code == 422, answer.text
        [field] = error(answer)["fields"]
        assert (field["field"], field["code"]) == ("temperature", code)

    def test_the_reading_is_kept_with_the_call(self, call: Call) -> None:
        with call.connect(call.resident) as phone:
            phone.receive_json()
            answer = call.client.post(
                f"/staff/calls/{call.id}/reading",
                data={"temperature": "３６．６"},  # a phone's full-width digits
                headers=csrf(call.app, call.issuer),
            )
            assert answer.json() == {"temperature": "36.6"}
            assert phone.receive_json() == {"type": "reading", "value": "36.6"}
        page = call.client.get(
            f"/staff/applications/{call.application_id}/call",
            headers={"cookie": f"hc_session={call.issuer}"},
        )
        assert "36.6" in page.text

    def test_hanging_up_by_form_tells_the_page_in_the_call(self, call: Call) -> None:
        with call.connect(call.issuer) as desk:
            desk.receive_json()
            with call.connect(call.resident) as phone:
                phone.receive_json()
                desk.receive_json()
                gone = call.client.post(
                    f"/calls/{call.id}/end",
                    headers=csrf(call.app, call.resident) | {"accept": "text/html"},
                    follow_redirects=False,
                )
                assert gone.headers["location"] == f"/calls/{call.id}"
                assert desk.receive_json() == {
                    "type": "ended", "by": "resident", "reason": "hang_up",
                }  # fmt: skip

    def test_the_issuer_giving_up_by_form_cancels_the_offer(self, call: Call) -> None:
        gone = call.client.post(
            f"/staff/calls/{call.id}/end",
            headers=csrf(call.app, call.issuer) | {"accept": "text/html"},
            follow_redirects=False,
        )
        assert gone.headers["location"] == f"/staff/applications/{call.application_id}/call"
        with call.uow() as uow:
            row = uow.video_calls.by_id(call.id)
            assert row is not None
            assert (row.status, row.end_reason) == ("ended", "cancelled")


class TestIceServers:
    def test_are_read_from_the_environment_and_must_be_stun_or_turn(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        servers = '[{"urls": "stun:stun.example.org"}, {"urls": ["turns:t.example.org"], "username": "u", "credential": "p"}]'  # noqa: E501
        monkeypatch.setenv("HEALTHCODE_ICE_SERVERS", servers)
        assert Settings(_env_file=None).ice_servers == [
            IceServer(urls="stun:stun.example.org"),
            IceServer(urls=["turns:t.example.org"], username="u", credential="p"),
        ]
        monkeypatch.setenv("HEALTHCODE_ICE_SERVERS", '[{"urls": "https://example.org"}]')
        with pytest.raises(ValidationError):
            Settings(_env_file=None)
        monkeypatch.delenv("HEALTHCODE_ICE_SERVERS")
        assert Settings(_env_file=None).ice_servers == []  # host candidates only

    def test_reach_the_call_page(self, call: Call, monkeypatch: pytest.MonkeyPatch) -> None:
        settings = call.app.state.env.settings
        monkeypatch.setattr(settings, "ice_servers", [IceServer(urls="stun:stun.example.org")])
        page = call.client.get(
            f"/staff/applications/{call.application_id}/call",
            headers={"cookie": f"hc_session={call.issuer}"},
        )
        assert 'data-ice="[{&#34;urls&#34;:&#34;stun:stun.example.org&#34;}]"' in page.text
