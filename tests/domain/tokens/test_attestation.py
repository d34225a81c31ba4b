"""Device-bound codes in the domain (issue 11): an attestation signed by us, a
presentation signed by the phone's key, and every refusal with its own reason."""

from __future__ import annotations

import os
import zlib
from datetime import datetime, timedelta

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from healthcode.domain.colour import Colour
from healthcode.domain.qr import qr_symbol
from healthcode.domain.tokens import (
    DEVICE_PREFIX,
    AttestationClaims,
    KeyRing,
    Purpose,
    Refusal,
    Verification,
    b45encode,
    check_person,
    compressed_point,
    encode_presentation,
    issue_token,
    new_attestation,
    present,
    sign_attestation,
    verify_any,
    verify_presentation,
)
from healthcode.domain.tokens.attestation import decode_presentation
from healthcode.domain.tokens.base45 import b45decode
from tests.domain.tokens.factory import NOW, claims, ring, trust

ID_NUMBER = "37010219800101123X"
AT = int(NOW.timestamp())


def attestation(
    keys: KeyRing, device: ec.EllipticCurvePrivateKey, *, now: datetime = NOW, **changes: object
) -> bytes:
    """A realistic attestation: the longest policy name, a four-character name."""
    fields: dict[str, object] = {
        "now": now,
        "colour": Colour.GREEN,
        "policy": "shandong-pass",
        "policy_version": "2020-02-14",
        "device_key": compressed_point(device.public_key()),
        "pseudonym": os.urandom(16),
        "id_number": ID_NUMBER,
        "masked_name": "欧阳*锋",
        "masked_id": "3701**********123X",
        "pass_valid_until": now + timedelta(days=5),
        "recheck_at": now + timedelta(hours=8),
    } | changes
    return sign_attestation(new_attestation(**fields), keys.signer(now))  # type: ignore[arg-type]


@pytest.fixture
def device() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def check(text: str, keys: KeyRing, *, now: datetime = NOW) -> Verification:
    return verify_presentation(text, trust=trust(keys), now=now)


class TestValid:
    def test_a_fresh_presentation_verifies_with_its_claims(
        self, device: ec.EllipticCurvePrivateKey
    ) -> None:
        keys = ring()
        text = present(attestation(keys, device), AT, device)
        result = check(text, keys)
        assert result.ok, result.reason
        assert result.may_pass
        assert isinstance(result.claims, AttestationClaims)
        assert result.claims.purpose is Purpose.DEVICE
        assert result.claims.masked_name == "欧阳*锋"
        assert result.claims.expires_at == NOW + timedelta(hours=1)  # the maximum

    def test_it_lives_until_the_colour_may_change_or_the_pass_ends(
        self, device: ec.EllipticCurvePrivateKey
    ) -> None:
        soon = new_attestation(
            now=NOW, colour=Colour.GREEN, policy="p", policy_version="1",
            device_key=compressed_point(device.public_key()), pseudonym=b"x" * 16,
            id_number=ID_NUMBER, masked_name="", masked_id="",
            pass_valid_until=NOW + timedelta(minutes=20), recheck_at=NOW + timedelta(minutes=40),
        )  # fmt: skip
        assert soon.expires_at == NOW + timedelta(minutes=20)

    def test_the_size_fits_qr_version_17_at_level_q(
        self, device: ec.EllipticCurvePrivateKey
    ) -> None:
        text = present(attestation(ring(), device), AT, device)
        symbol = qr_symbol(text)
        assert symbol.error == "Q"
        assert symbol.mode == "alphanumeric"
        assert isinstance(symbol.version, int)
        assert symbol.version <= 17, (len(text), symbol.version)

    def test_the_id_card_check_is_exact(self, device: ec.EllipticCurvePrivateKey) -> None:
        keys = ring()
        result = check(present(attestation(keys, device), AT, device), keys)
        assert check_person(result, ID_NUMBER.lower()).ok
        same_4_and_4 = "37010219990101123X"  # the same first and last four digits
        assert check_person(result, same_4_and_4).reason is Refusal.WRONG_PERSON

    def test_verify_any_reads_both_prefixes(self, device: ec.EllipticCurvePrivateKey) -> None:
        keys = ring()
        everything = set(Purpose)
        token = issue_token(claims(), keys.signer(NOW))
        device_code = present(attestation(keys, device), AT, device)
        for text in (token, device_code):
            assert verify_any(text, trust=trust(keys), now=NOW, purposes=everything).ok
        only_tokens = {Purpose.DISPLAY}
        result = verify_any(device_code, trust=trust(keys), now=NOW, purposes=only_tokens)
        assert result.reason is Refusal.WRONG_PURPOSE

    @pytest.mark.parametrize("slow", [10, 29, 30])
    def test_a_scanner_slow_within_the_window_takes_a_brand_new_attestation(
        self, device: ec.EllipticCurvePrivateKey, slow: int
    ) -> None:
        keys = ring(NOW - timedelta(days=1))
        text = present(attestation(keys, device), AT, device)  # issued and shown at NOW
        result = check(text, keys, now=NOW - timedelta(seconds=slow))
        assert result.ok, (slow, result.reason)  # until stop 44, 6 s slow: not_yet_valid


class TestRefused:
    def test_a_minute_later_it_is_stale(self, device: ec.EllipticCurvePrivateKey) -> None:
        keys = ring()
        text = present(attestation(keys, device), AT, device)
        assert check(text, keys, now=NOW + timedelta(seconds=30)).ok
        later = check(text, keys, now=NOW + timedelta(seconds=60))
        assert later.reason is Refusal.PRESENTATION_STALE

    def test_made_ahead_of_the_scanner(self, device: ec.EllipticCurvePrivateKey) -> None:
        keys = ring()
        text = present(attestation(keys, device), AT + 45, device)
        assert check(text, keys).reason is Refusal.PRESENTATION_FROM_FUTURE

    def test_a_scanner_slower_than_the_window_refuses_a_new_attestation(
        self, device: ec.EllipticCurvePrivateKey
    ) -> None:
        keys = ring(NOW - timedelta(days=1))
        text = present(attestation(keys, device), AT, device)
        result = check(text, keys, now=NOW - timedelta(seconds=31))
        assert result.reason is Refusal.NOT_YET_VALID

    def test_signed_by_another_device(self, device: ec.EllipticCurvePrivateKey) -> None:
        keys = ring()
        thief = ec.generate_private_key(ec.SECP256R1())
        text = present(attestation(keys, device), AT, thief)
        assert check(text, keys).reason is Refusal.DEVICE_SIGNATURE_BAD

    def test_a_signature_over_another_time(self, device: ec.EllipticCurvePrivateKey) -> None:
        keys = ring()
        parts = decode_presentation(present(attestation(keys, device), AT - 50, device))
        moved = encode_presentation(parts.attestation, AT, parts.signature)
        assert check(moved, keys).reason is Refusal.DEVICE_SIGNATURE_BAD

    def test_a_tampered_colour(self, device: ec.EllipticCurvePrivateKey) -> None:
        keys = ring()
        red = attestation(keys, device, colour=Colour.RED)
        tampered = red.replace(b"\x01ar", b"\x01ag", 1)
        assert tampered != red
        text = present(tampered, AT, device)
        assert check(text, keys).reason is Refusal.BAD_SIGNATURE

    def test_a_lapsed_attestation(self, device: ec.EllipticCurvePrivateKey) -> None:
        keys = ring(NOW - timedelta(days=1))
        old = attestation(keys, device, now=NOW - timedelta(hours=2))
        text = present(old, AT, device)  # a fresh presentation cannot revive it
        assert check(text, keys).reason is Refusal.ATTESTATION_EXPIRED

    def test_a_lapsed_pass_says_so(self, device: ec.EllipticCurvePrivateKey) -> None:
        keys = ring(NOW - timedelta(days=1))
        ended = attestation(keys, device, now=NOW - timedelta(minutes=30), pass_valid_until=NOW)
        assert check(present(ended, AT, device), keys).reason is Refusal.PASS_LAPSED

    def test_an_unknown_issuer(self, device: ec.EllipticCurvePrivateKey) -> None:
        text = present(attestation(ring(), device), AT, device)
        assert check(text, ring()).reason is Refusal.UNKNOWN_KEY

    def test_a_deflate_padding_bit_set_is_refused(self, device: ec.EllipticCurvePrivateKey) -> None:
        """As for ``CNHC1:`` (codec.decode_body): inflate ignores the bits after the final
        block, and with them free an edited character could still verify."""
        keys = ring()
        for _ in range(50):  # each presentation's ECDSA signature differs: so does its end
            text = present(attestation(keys, device), AT, device)
            packed = b45decode(text.removeprefix(DEVICE_PREFIX))
            padded = _with_padding_bit(packed)
            if padded is not None:
                break
        else:
            pytest.fail("no presentation with deflate padding in 50 tries")
        assert zlib.decompress(padded) == zlib.decompress(packed)  # zlib does not mind
        assert check(text, keys).ok
        result = check(DEVICE_PREFIX + b45encode(padded), keys)
        assert result.reason is Refusal.BAD_ENCODING  # until stop 44: valid

    @pytest.mark.parametrize(
        "text",
        [
            "CNHC1:",
            "hello",
            DEVICE_PREFIX + "!!",
            DEVICE_PREFIX + b45encode(zlib.compress(cbor2.dumps([b"x", AT, b"s" * 64]))),
            DEVICE_PREFIX + b45encode(zlib.compress(cbor2.dumps([b"x", AT]))),
            DEVICE_PREFIX + b45encode(zlib.compress(b"\x83\x41x\x19\x01\x00\x58\x40" + bytes(64))),
        ],
    )
    def test_malformed_text_is_refused_not_raised(self, text: str) -> None:
        result = verify_presentation(text, trust=trust(ring()), now=NOW)
        assert result.reason in (Refusal.BAD_PREFIX, Refusal.BAD_ENCODING)


def _with_padding_bit(packed: bytes) -> bytes | None:
    """``packed`` with a bit of its last deflate byte set that inflate ignores, if any."""
    last, body = len(packed) - 5, zlib.decompress(packed)
    for bit in (0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02):
        altered = packed[:last] + bytes((packed[last] | bit,)) + packed[last + 1 :]
        try:
            if altered != packed and zlib.decompress(altered) == body:
                return altered
        except zlib.error:
            continue
    return None
