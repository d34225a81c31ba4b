"""The layers around the signature: prefix, base45, zlib and a strict COSE_Sign1."""

from __future__ import annotations

import zlib

import cbor2
import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthcode.domain.tokens import (
    PREFIX,
    CodeClaims,
    Purpose,
    Refusal,
    TokenFormatError,
    issue_token,
    verify_token,
)
from healthcode.domain.tokens.base45 import CHARSET, b45decode, b45encode
from healthcode.domain.tokens.codec import MAX_TEXT_CHARS, decode_text, parse_sign1, trim
from tests.domain.tokens.factory import NOW, claims, ring, trust


def genuine() -> tuple[str, bytes, bytes]:
    """A token's text, its COSE bytes and its kid."""
    key = ring().keys[0].signing
    text = issue_token(claims(), key)
    return text, decode_text(text), key.kid


def sign1(cose: bytes) -> list[object]:
    message = cbor2.loads(cose)
    assert isinstance(message, cbor2.CBORTag)
    parts = message.value
    assert isinstance(parts, list)
    return parts


def as_text(cose: bytes, *, level: int = 9) -> str:
    return PREFIX + b45encode(zlib.compress(cose, level))


def test_the_text_is_prefix_and_qr_alphanumeric_characters() -> None:
    text, _, _ = genuine()
    assert text.startswith("CNHC1:")
    assert set(text) <= set(CHARSET)
    assert zlib.decompress(b45decode(text[len(PREFIX) :]))[:2] == b"\xd2\x84"


def test_the_kid_is_in_the_protected_header() -> None:
    _, cose, kid = genuine()
    message = cbor2.loads(cose)
    assert message.tag == 18
    protected, unprotected, payload, signature = message.value
    assert cbor2.loads(protected) == {1: -8, 4: kid}
    assert unprotected == {}
    assert isinstance(payload, bytes)
    assert len(signature) == 64
    assert parse_sign1(cose).kid == kid


def _rebuilt(change: str, cose: bytes, kid: bytes) -> bytes:
    protected, _, payload, signature = sign1(cose)
    assert isinstance(payload, bytes)
    assert isinstance(signature, bytes)
    header: object = {1: -8, 4: kid}
    unprotected: object = {}
    match change:
        case "untagged":
            return cose[1:]
        case "COSE_Sign tag 98":
            return b"\xd8\x62" + cose[1:]
        case "trailing byte":
            return cose + b"\x00"
        case "truncated":
            return cose[:-1]
        case "kid unprotected":  # how cwt.encode places it by default
            header, unprotected = {1: -8}, {4: kid}
        case "alg ES256":
            header = {1: -7, 4: kid}
        case "extra protected parameter":
            header = {1: -8, 4: kid, 3: 60}
        case "headers reordered":
            header = {4: kid, 1: -8}
        case "unprotected not empty":
            unprotected = {-70000: 1}
        case "signature 63 bytes":
            signature = signature[:63]
        case "payload head not minimal":
            head = cbor2.dumps(payload)[:2]
            assert head[0] == 0x58
            return cose.replace(head + payload, b"\x59\x00" + head[1:2] + payload)
        case "kid is text":
            header = {1: -8, 4: kid.hex()}
    protected = cbor2.dumps(header)
    return cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, payload, signature]))


STRUCTURES = [
    "untagged",
    "COSE_Sign tag 98",
    "trailing byte",
    "truncated",
    "kid unprotected",
    "alg ES256",
    "extra protected parameter",
    "headers reordered",
    "unprotected not empty",
    "signature 63 bytes",
    "payload head not minimal",
    "kid is text",
]


@pytest.mark.parametrize("change", STRUCTURES)
def test_only_our_exact_cose_sign1_is_accepted(change: str) -> None:
    _, cose, kid = genuine()
    with pytest.raises(TokenFormatError) as refusal:
        parse_sign1(_rebuilt(change, cose, kid))
    assert refusal.value.refusal is Refusal.BAD_ENCODING


def test_rebuilding_unchanged_gives_the_same_bytes() -> None:
    _, cose, _kid = genuine()
    protected, unprotected, payload, signature = sign1(cose)
    assert cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, payload, signature])) == cose


@pytest.mark.parametrize(
    ("text", "refusal"),
    [
        ("HC1:NCFOXN%TS3DH", Refusal.BAD_PREFIX),
        ("cnhc1:NCFOXN%TS3DH", Refusal.BAD_PREFIX),
        ("https://example.invalid/code", Refusal.BAD_PREFIX),
        ("", Refusal.BAD_PREFIX),
        ("CNHC1:", Refusal.BAD_ENCODING),
        ("CNHC1:abc", Refusal.BAD_ENCODING),
        ("CNHC1:BB8B", Refusal.BAD_ENCODING),
        ("CNHC1:" + "0" * MAX_TEXT_CHARS, Refusal.BAD_ENCODING),
        (PREFIX + b45encode(b"not zlib at all"), Refusal.BAD_ENCODING),
    ],
)
def test_text_layers(text: str, refusal: Refusal) -> None:
    with pytest.raises(TokenFormatError) as error:
        decode_text(text)
    assert error.value.refusal is refusal


def test_zlib_stream_must_be_whole_and_alone() -> None:
    _, cose, _ = genuine()
    packed = zlib.compress(cose, 9)
    for bad in (packed[:-1], packed + b"\x00", packed[:-4]):
        with pytest.raises(TokenFormatError):
            decode_text(PREFIX + b45encode(bad))


def test_a_zip_bomb_stops_early() -> None:
    with pytest.raises(TokenFormatError, match="truncated, long"):
        decode_text(PREFIX + b45encode(zlib.compress(b"\x00" * 1_000_000, 9)))


def _padding_bit(packed: bytes, cose: bytes) -> int | None:
    """A bit of the last deflate byte that inflate ignores, if there is one."""
    last = len(packed) - 5
    for bit in (0x80, 0x40, 0x20, 0x10, 0x08, 0x04, 0x02):
        altered = packed[:last] + bytes((packed[last] ^ bit,)) + packed[last + 1 :]
        try:
            if zlib.decompress(altered) == cose:
                return bit
        except zlib.error:
            pass
    return None


def test_deflate_padding_must_be_zero() -> None:
    """Inflate ignores the bits after the final block; with them set, a one-character
    edit of a code's text would still verify, so it is refused."""
    for _ in range(50):
        _, cose, _ = genuine()
        packed = zlib.compress(cose, 9)
        bit = _padding_bit(packed, cose)
        if bit is not None:
            break
    else:
        pytest.fail("no token with deflate padding in 50 tries")
    last = len(packed) - 5
    padded = packed[:last] + bytes((packed[last] | bit,)) + packed[last + 1 :]
    assert zlib.decompress(padded) == cose  # zlib itself does not mind
    assert decode_text(PREFIX + b45encode(packed)) == cose
    with pytest.raises(TokenFormatError, match="padding"):
        decode_text(PREFIX + b45encode(padded))


def test_stored_block_header_padding_must_be_zero() -> None:
    _, cose, _ = genuine()
    stored = zlib.compress(cose, 0)
    assert stored[2] == 0x01  # final stored block
    padded = stored[:2] + b"\x09" + stored[3:]
    assert zlib.decompress(padded) == cose
    assert decode_text(PREFIX + b45encode(stored)) == cose
    with pytest.raises(TokenFormatError, match="padding"):
        decode_text(PREFIX + b45encode(padded))


@pytest.mark.parametrize(
    "around", [("", "\n"), ("", "\r\n"), (" ", " "), ("\t", "\n\n"), ("\n", "")]
)
def test_whitespace_around_a_code_is_trimmed(around: tuple[str, str]) -> None:
    """zbarimg ends its output with a newline; every verifier trims the same way."""
    keys = ring()
    text = issue_token(claims(), keys.signer(NOW))
    result = verify_token(
        around[0] + text + around[1], trust=trust(keys), now=NOW, purposes=set(Purpose)
    )
    assert result.ok, result.reason
    assert trim(around[0] + text + around[1]) == text


@given(st.binary(min_size=1, max_size=64))
def test_trimming_never_changes_a_code(data: bytes) -> None:
    """Lossless: base45 never ends in a space, and the prefix starts every code."""
    text = PREFIX + b45encode(data)
    assert trim(text) == text


@pytest.mark.parametrize("level", [0, 1])
def test_the_signature_covers_the_cose_bytes_not_the_text(level: int) -> None:
    """The chosen behaviour (see the module's docstring): the same COSE_Sign1 deflated
    at another level is another text of the same code, with the same token id."""
    keys = ring()
    code = claims()
    text = issue_token(code, keys.signer(NOW))
    other = as_text(decode_text(text), level=level)
    assert other != text
    result = verify_token(other, trust=trust(keys), now=NOW, purposes=set(Purpose))
    assert result.ok, result.reason
    assert isinstance(result.claims, CodeClaims)
    assert result.claims.token_id == code.token_id
