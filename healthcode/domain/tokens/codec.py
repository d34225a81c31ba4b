"""The layers around a signed code: prefix, base45, zlib, COSE_Sign1 structure.

``CNHC1:`` + base45(zlib(COSE_Sign1)), the EU DCC's layering ("HC1:") with our own
prefix. Every prefix character is in the QR alphanumeric set, so the whole text
stays in the compact alphanumeric mode. The 1 is the layout version: a change
old scanners must not misread gets a new prefix.

Decoding is strict: a COSE_Sign1 must be exactly the encoding we produce (tag 18,
protected header ``{1: -8, 4: kid}`` — or ``{1: -19, 4: kid}``, RFC 9864's fully
specified Ed25519 — empty unprotected header, 64-byte signature),
so no two COSE encodings carry the same signed message in different framings.

The signature covers the COSE bytes, not the text: the same COSE_Sign1 deflated at
another zlib level, or by another deflate implementation, is a different text that
verifies as the same code. That is deliberate: requiring our exact zlib output would
tie every scanner to one zlib build (zlib-ng deflates differently) and gain nothing,
as the signed bytes are identical. So a code is identified by its token id (``cti``),
never by its text or a hash of it. Whitespace around the text is not part of it:
``trim`` removes it the same way for every verifier.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

from healthcode.domain.tokens.base45 import Base45Error, b45decode, b45encode
from healthcode.domain.tokens.refusal import Refusal

PREFIX = "CNHC1:"
ALG_EDDSA = -8
ALG_ED25519 = -19  # RFC 9864: the same signature, named by its curve
SIGNATURE_BYTES = 64
MAX_TEXT_CHARS = 4296  # the most a QR code holds in alphanumeric mode (40-L)
MAX_COSE_BYTES = 4096  # decompression stops here: a small code cannot be a zip bomb
_SIGN1_HEAD = b"\xd2\x84"  # tag 18, array of 4
_PROTECTED_HEADS = (
    b"\xa2\x01\x27\x04",  # map of 2: alg (1) EdDSA (-8), kid (4) …
    b"\xa2\x01\x32\x04",  # … or alg (1) Ed25519 (-19, RFC 9864)
)
_SIG_HEAD = b"\x58\x40"  # byte string of 64
_SIG_STRUCTURE_HEAD = b"\x84\x6aSignature1"  # ["Signature1", ...


class TokenFormatError(ValueError):
    """The text is not a well-formed code; ``refusal`` says at which layer."""

    def __init__(self, refusal: Refusal, detail: str) -> None:
        super().__init__(detail)
        self.refusal = refusal


@dataclass(frozen=True, slots=True)
class Sign1:
    """A COSE_Sign1 (RFC 9052 §4.2) whose structure has been checked."""

    protected: bytes
    kid: bytes
    payload: bytes
    signature: bytes

    def to_be_signed(self) -> bytes:
        """The Sig_structure ``["Signature1", protected, h'', payload]`` it signs."""
        return b"".join(
            (
                _SIG_STRUCTURE_HEAD,
                _bstr_head(len(self.protected)),
                self.protected,
                b"\x40",
                _bstr_head(len(self.payload)),
                self.payload,
            )
        )


def protected_header(kid: bytes) -> dict[int, object]:
    """The protected header we sign: EdDSA, and the key id (protected, so it cannot be
    swapped without breaking the signature)."""
    return {1: ALG_EDDSA, 4: kid}


def encode_text(cose: bytes) -> str:
    return PREFIX + b45encode(zlib.compress(cose, 9))


def trim(text: str) -> str:
    """A code's text without the whitespace a reader or a copy adds around it (zbarimg
    ends its output with a newline). Never changes a code: it starts with the prefix,
    and base45 never ends in a space (a group's last digit is at most 32)."""
    return text.strip()


def decode_text(text: str) -> bytes:
    """The COSE bytes inside a code's text (trimmed), or ``TokenFormatError``."""
    return decode_body(text, PREFIX)


def decode_body(text: str, prefix: str) -> bytes:
    """The bytes behind ``prefix`` in base45(zlib(…)), or ``TokenFormatError``: one
    strict reading for every prefix of ours (``CNHC1:`` tokens, ``CNHC2:`` device
    presentations), so no layout skips a check another makes."""
    if not isinstance(text, str) or not (text := trim(text)).startswith(prefix):
        raise TokenFormatError(Refusal.BAD_PREFIX, f"text does not start with {prefix}")
    if len(text) > MAX_TEXT_CHARS:
        raise TokenFormatError(Refusal.BAD_ENCODING, "text too long")
    try:
        compressed = b45decode(text[len(prefix) :])
    except Base45Error as error:
        raise TokenFormatError(Refusal.BAD_ENCODING, str(error)) from None
    inflater = zlib.decompressobj()
    try:
        body = inflater.decompress(compressed, MAX_COSE_BYTES)
    except zlib.error as error:
        raise TokenFormatError(Refusal.BAD_ENCODING, f"zlib: {error}") from None
    if not inflater.eof or inflater.unused_data or inflater.unconsumed_tail:
        raise TokenFormatError(Refusal.BAD_ENCODING, "zlib stream truncated, long or trailed")
    if not _padding_is_zero(compressed, body):
        raise TokenFormatError(Refusal.BAD_ENCODING, "deflate padding bits are set")
    return body


def _padding_is_zero(compressed: bytes, body: bytes) -> bool:
    """Whether the bits inflate ignores are zero, as zlib writes them.

    Inflate skips the bits after the final block, and those after a stored block's
    header. Were they free, a one-character change of a code's text could still
    verify; requiring zeros keeps a damaged or edited character visible. The final
    padding's width is unknown, so clear the highest set bit of the last deflate
    byte: if the output is unchanged it was padding (refuse), otherwise it and every
    lower bit are data. Costs one extra inflate of a few hundred bytes (~1 µs).
    """
    first = compressed[2]  # after the 2-byte zlib header: BFINAL, BTYPE, …
    if (first >> 1) & 3 == 0 and first >> 3:  # stored block with header padding set
        return False
    last = len(compressed) - 5  # the final deflate byte, before the Adler-32
    byte = compressed[last]
    if not byte & 0xFE:
        return True  # bit 0 is always data: the final block ends in this byte
    top = 1 << (byte.bit_length() - 1)
    altered = b"".join((compressed[:last], bytes((byte ^ top,)), compressed[last + 1 :]))
    try:
        return zlib.decompress(altered) != body
    except zlib.error:
        return True


def parse_sign1(data: bytes) -> Sign1:
    """Split ``data`` into the parts of a COSE_Sign1 encoded exactly as we encode it,
    or raise ``TokenFormatError`` (bad_encoding).

    The layout is fixed, so reading it by hand is both stricter than a general
    CBOR decoder (minimal heads, no trailing bytes) and several times faster:
    ``d2 84 | bstr(a2 01 27 04 bstr(kid)) | a0 | bstr(payload) | 58 40 signature``.
    """
    if data[:2] != _SIGN1_HEAD:
        raise TokenFormatError(Refusal.BAD_ENCODING, "not a tagged COSE_Sign1")
    protected, at = _read_bstr(data, 2)
    if protected[:4] not in _PROTECTED_HEADS:
        raise TokenFormatError(
            Refusal.BAD_ENCODING, "protected header is not {1: -8 or -19, 4: kid}"
        )
    kid, end = _read_bstr(protected, 4)
    if end != len(protected) or data[at : at + 1] != b"\xa0":
        raise TokenFormatError(Refusal.BAD_ENCODING, "unexpected COSE headers")
    payload, at = _read_bstr(data, at + 1)
    if data[at : at + 2] != _SIG_HEAD or len(data) != at + 2 + SIGNATURE_BYTES:
        raise TokenFormatError(Refusal.BAD_ENCODING, "signature is not 64 bytes at the end")
    return Sign1(protected, kid, payload, data[at + 2 :])


def _read_bstr(data: bytes, at: int) -> tuple[bytes, int]:
    """The byte string whose minimal CBOR head starts at ``at``, and the offset after it."""
    head = data[at] if at < len(data) else -1
    if 0x40 <= head < 0x58:
        length, start = head - 0x40, at + 1
    elif head == 0x58:
        length, start = int.from_bytes(data[at + 1 : at + 2], "big"), at + 2
    elif head == 0x59:
        length, start = int.from_bytes(data[at + 1 : at + 3], "big"), at + 3
    else:
        raise TokenFormatError(Refusal.BAD_ENCODING, "expected a short byte string")
    end = start + length
    if end > len(data) or _bstr_head(length) != data[at:start]:
        raise TokenFormatError(Refusal.BAD_ENCODING, "byte string truncated or not minimal")
    return data[start:end], end


def _bstr_head(length: int) -> bytes:
    """The minimal CBOR head of a byte string of ``length`` bytes."""
    if length < 24:
        return bytes((0x40 + length,))
    if length < 0x100:
        return bytes((0x58, length))
    if length < 0x10000:
        return b"\x59" + length.to_bytes(2, "big")
    return b"\x5a" + length.to_bytes(4, "big")


read_bstr = _read_bstr  # for the presentation layer, which reads its array the same way
