"""The signed trust and revocation lists over HTTP: full, deltas, the list key."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from healthcode.domain.clock import FixedClock
from healthcode.domain.tokens.federation import b64url
from healthcode.domain.tokens.lists import (
    ListError,
    ListRefusal,
    TrustList,
    load_revocations,
    load_trust_list,
    trusted_list_keys,
)
from healthcode.domain.tokens.trustlist import from_jwks
from healthcode.services.shared.keys import retire_key, rotate_keys
from healthcode.services.shared.lists import revoke_token, rotate_list_key
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork

API = "/api/v1"
Run = Callable[[Callable[[UnitOfWork], Any]], Any]


@pytest.fixture
def run(app: FastAPI, sessions: sessionmaker[Session]) -> Run:
    """Run a service in its own committed unit of work, as a CLI command would."""

    def call(action: Callable[[UnitOfWork], Any]) -> Any:
        uow = UnitOfWork(sessions())
        try:
            result = action(uow)
            uow.commit()
            return result
        finally:
            uow.close()

    return call


def _pinned(client: TestClient) -> list[Any]:
    return from_jwks(client.get(f"{API}/list-keys").json())


def _trust(client: TestClient, since: int | None = None) -> str:
    params: dict[str, Any] = {"format": "signed"}
    if since is not None:
        params["since"] = since
    response = client.get(f"{API}/trust-list", params=params)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/jose"
    return response.text


def _revocations(client: TestClient, since: int | None = None) -> str:
    params: dict[str, Any] = {"format": "signed"}
    if since is not None:
        params["since"] = since
    response = client.get(f"{API}/revocations", params=params)
    assert response.status_code == 200
    return response.text


def _payload(text: str) -> dict[str, Any]:
    body = text.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))  # type: ignore[no-any-return]


class TestSignedTrustList:
    def test_the_signed_list_holds_the_keys_of_the_plain_one(self, client: TestClient) -> None:
        held = load_trust_list(_trust(client), pinned=_pinned(client))
        plain = {k["kid"] for k in client.get(f"{API}/trust-list").json()["keys"]}
        assert {b64url(kid) for kid in held.keys} == plain
        assert held.region_for("CNHC1:X") is not None

    def test_the_plain_list_is_unchanged_for_old_clients(self, client: TestClient) -> None:
        response = client.get(f"{API}/trust-list")
        assert response.headers["content-type"] == "application/json"
        assert set(response.json()) == {"keys"}

    def test_a_delta_after_a_key_rotation_carries_exactly_the_change(
        self, client: TestClient, app: FastAPI, run: Run, clock: FixedClock
    ) -> None:
        env = app.state.env
        pinned = _pinned(client)
        held = load_trust_list(_trust(client), pinned=pinned)
        new = run(
            lambda uow: rotate_keys(
                uow, env.protector, env.keys, now=clock.now(), publish_ahead=timedelta(hours=48)
            )
        )
        delta_text = _trust(client, since=held.version)
        delta = _payload(delta_text)
        assert delta["since"] == held.version
        assert delta["version"] == held.version + 1
        old_kid = next(iter(held.keys))
        assert sorted(k["kid"] for k in delta["keys"]) == sorted(
            [b64url(new.kid), b64url(old_kid)]
        )  # the new key, and the old one now ending ("exp")
        assert delta["removed"] == []
        after = load_trust_list(delta_text, pinned=pinned, held=held)
        full = load_trust_list(_trust(client), pinned=pinned)
        assert set(after.keys) == set(full.keys) == {old_kid, new.kid}
        assert after.keys[old_kid].not_after == int(new.valid_from.timestamp())

    def test_a_retired_key_is_removed_by_the_delta(
        self, client: TestClient, app: FastAPI, run: Run, clock: FixedClock
    ) -> None:
        env = app.state.env
        pinned = _pinned(client)
        run(
            lambda uow: rotate_keys(
                uow, env.protector, env.keys, now=clock.now(), publish_ahead=timedelta(0)
            )
        )
        held = load_trust_list(_trust(client), pinned=pinned)
        old_kid = min(held.keys, key=lambda kid: held.keys[kid].not_before or 0)
        run(lambda uow: retire_key(uow, env.protector, env.keys, kid=old_kid, now=clock.now()))
        delta = _payload(_trust(client, since=held.version))
        assert (delta["keys"], delta["removed"]) == ([], [b64url(old_kid)])

    def test_nothing_changed_gives_an_empty_delta(self, client: TestClient) -> None:
        held = load_trust_list(_trust(client), pinned=_pinned(client))
        delta = _payload(_trust(client, since=held.version))
        assert (delta["version"], delta["keys"], delta["removed"]) == (held.version, [], [])

    @pytest.mark.parametrize("since", [0, 999])
    def test_a_client_too_far_behind_or_ahead_gets_the_full_list(
        self, client: TestClient, since: int
    ) -> None:
        payload = _payload(_trust(client, since=since))
        assert "since" not in payload
        assert payload["keys"]

    def test_a_rotated_list_key_is_announced_and_then_signs(
        self, client: TestClient, app: FastAPI, run: Run, clock: FixedClock
    ) -> None:
        env = app.state.env
        pinned = _pinned(client)
        new = run(
            lambda uow: rotate_list_key(
                uow, env.protector, env.settings, now=clock.now(), ahead=timedelta(hours=48)
            )
        )
        held: TrustList = load_trust_list(_trust(client), pinned=pinned)
        assert new.kid in {k.kid for k in held.list_keys}
        clock.advance(timedelta(hours=49))
        text = _trust(client, since=held.version)
        assert _header_kid_hex(text) == new.kid.hex()
        with pytest.raises(ListError) as caught:
            load_trust_list(text, pinned=pinned)  # without the announcement: unknown
        assert caught.value.refusal is ListRefusal.UNKNOWN_KEY
        assert load_trust_list(text, pinned=pinned, held=held).version >= held.version

    @pytest.mark.parametrize(
        "params", [{"format": "signed", "since": "abc"}, {"since": "3"}, {"format": "xml"}]
    )
    def test_a_bad_parameter_is_refused_with_its_field(
        self, client: TestClient, params: dict[str, str]
    ) -> None:
        response = client.get(f"{API}/trust-list", params=params)
        assert response.status_code == 422
        assert response.json()["error"]["fields"][0]["field"] in {"since", "format"}


def _header_kid_hex(text: str) -> str:
    head = text.split(".")[0]
    kid = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))["kid"]
    return base64.urlsafe_b64decode(kid + "=" * (-len(kid) % 4)).hex()


class TestSignedRevocations:
    def test_a_delta_after_a_revocation_carries_exactly_it(
        self, client: TestClient, run: Run, clock: FixedClock
    ) -> None:
        trust = load_trust_list(_trust(client), pinned=_pinned(client))
        keys = trusted_list_keys(_pinned(client), trust)
        first = secrets.token_bytes(16)
        run(lambda uow: revoke_token(uow, token_id=first, reason="test", now=clock.now()))
        held = load_revocations(_revocations(client), list_keys=keys)
        assert held.is_revoked(first)
        second = secrets.token_bytes(16)
        run(lambda uow: revoke_token(uow, token_id=second, reason="test", now=clock.now()))
        text = _revocations(client, since=held.version)
        payload = _payload(text)
        assert [r["cti"] for r in payload["revoked"]] == [second.hex()]
        after = load_revocations(text, list_keys=keys, held=held)
        assert after.is_revoked(first)
        assert after.is_revoked(second)
        assert after.version == held.version + 1

    def test_the_plain_revocations_still_answer_by_time(
        self, client: TestClient, run: Run, clock: FixedClock
    ) -> None:
        token = secrets.token_bytes(16)
        run(lambda uow: revoke_token(uow, token_id=token, reason="test", now=clock.now()))
        rows = client.get(f"{API}/revocations").json()
        assert token.hex() in {r["token_id"] for r in rows}

    def test_a_revocation_written_directly_joins_the_signed_list(
        self, client: TestClient, run: Run, clock: FixedClock
    ) -> None:
        keys = trusted_list_keys(_pinned(client), None)
        held = load_revocations(_revocations(client), list_keys=keys)
        token = secrets.token_bytes(16)
        run(
            lambda uow: uow.add(
                t.Revocation(token_id=token, revoked_at=clock.now(), reason="x", resident_id=None)
            )
        )
        after = load_revocations(
            _revocations(client, since=held.version), list_keys=keys, held=held
        )
        assert after.is_revoked(token)
        assert after.version == held.version + 1
