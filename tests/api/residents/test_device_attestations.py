"""The attestation endpoint over HTTP (issue 11): a phone's key gets a signed colour
that a scanner verifies offline; the pseudonym resolves only on our server; bad keys
are field errors; the colour watch ends with the change."""

from __future__ import annotations

import base64
from datetime import timedelta

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec
from fastapi import FastAPI
from fastapi.testclient import TestClient

from healthcode.domain.clock import FixedClock
from healthcode.domain.tokens import (
    AttestationClaims,
    compressed_point,
    present,
    verify_presentation,
)
from healthcode.domain.tokens.attestation import attestation_from_cbor
from healthcode.domain.tokens.codec import parse_sign1
from healthcode.services.codes import device_codes
from healthcode.store.uow import UnitOfWorkFactory
from tests.api.helpers import CapturingSender, declare, error, report, resident_headers
from tests.factories.inputs import declaration_data

API = "/api/v1"
CODE = "binzhou-code"


def _key() -> tuple[ec.EllipticCurvePrivateKey, str]:
    device = ec.generate_private_key(ec.SECP256R1())
    raw = compressed_point(device.public_key())
    return device, base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _attest(client: TestClient, me: dict[str, str], key: str) -> dict[str, object]:
    answer = client.get(f"{API}/codes/{CODE}/attestation", params={"device_key": key}, headers=me)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    body: dict[str, object] = answer.json()
    return body


def _attestation_bytes(body: dict[str, object]) -> bytes:
    text = str(body["attestation"])
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_a_presentation_of_the_attestation_verifies_online_and_resolves_only_here(
    app: FastAPI, client: TestClient, sms: CapturingSender, clock: FixedClock
) -> None:
    me = resident_headers(client, sms)
    declare(client, me, declaration_data())
    device, key = _key()
    body = _attest(client, me, key)
    assert body["colour"] == "green"
    assert body["present_every"] == 10
    assert body["server_ms"] == int(clock.now().timestamp() * 1000)
    attestation = _attestation_bytes(body)
    text = present(attestation, int(clock.now().timestamp()), device)

    result = client.post(f"{API}/verify", json={"token": text}).json()
    assert (result["valid"], result["may_pass"], result["reason"]) == (True, True, None)
    assert result["claims"]["purpose"] == "device"

    env = app.state.env
    units: UnitOfWorkFactory = app.state.uow_factory
    with units() as uow:
        trust = env.keys.get(uow, env.protector, clock.now()).trust
        claims = verify_presentation(text, trust=trust, now=clock.now()).claims
        assert isinstance(claims, AttestationClaims)
        resident = device_codes.resolve_pseudonym(uow, env, claims.pseudonym)
        assert resident is not None
        row = uow.residents.by_id(resident)
        assert row is not None
        raw_ref = base64.urlsafe_b64decode(row.ref + "=" * (-len(row.ref) % 4))
        assert row.ref.encode() not in attestation  # no stable reference in the code
        assert raw_ref not in attestation


def test_two_attestations_share_no_identifier(client: TestClient, sms: CapturingSender) -> None:
    me = resident_headers(client, sms)
    declare(client, me, declaration_data())
    first, second = (
        attestation_claims(_attestation_bytes(_attest(client, me, _key()[1]))) for _ in range(2)
    )
    for field in ("device_key", "pseudonym", "id_salt", "id_hash"):
        assert getattr(first, field) != getattr(second, field), field
    assert (first.masked_name, first.masked_id) == (second.masked_name, second.masked_id)


def attestation_claims(attestation: bytes) -> AttestationClaims:
    return attestation_from_cbor(cbor2.loads(parse_sign1(attestation).payload))


def test_a_bad_device_key_is_a_field_error(client: TestClient, sms: CapturingSender) -> None:
    me = resident_headers(client, sms)
    declare(client, me, declaration_data())
    for bad in ("AAAA", "%%%", base64.urlsafe_b64encode(b"\x02" + b"\xff" * 32).decode()):
        answer = client.get(
            f"{API}/codes/{CODE}/attestation", params={"device_key": bad}, headers=me
        )
        assert answer.status_code == 422, bad
        assert error(answer)["code"] == "invalid_input"


def test_no_code_yet_and_no_session(client: TestClient, sms: CapturingSender) -> None:
    key = _key()[1]
    assert (
        client.get(f"{API}/codes/{CODE}/attestation", params={"device_key": key}).status_code == 401
    )
    me = resident_headers(client, sms)
    answer = client.get(f"{API}/codes/{CODE}/attestation", params={"device_key": key}, headers=me)
    assert answer.status_code == 409


def test_the_watch_ends_with_the_colour_change(
    client: TestClient, sms: CapturingSender, clock: FixedClock
) -> None:
    me = resident_headers(client, sms)
    declare(client, me, declaration_data())
    assert report(client, me, CODE, temperature=38.6).status_code == 200
    clock.advance(timedelta(seconds=1))
    with client.stream(
        "GET", f"{API}/codes/{CODE}/watch", params={"colour": "green", "hold": 5}, headers=me
    ) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        text = "".join(stream.iter_text())
    assert "event: colour\ndata: yellow" in text
