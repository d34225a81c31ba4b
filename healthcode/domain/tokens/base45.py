"""Base45 (RFC 9285): the library's encoder and a fast decoder.

Decoding is on every scan's hot path. The ``base45`` package decodes one character
at a time (~20 µs for a code); this decoder does the arithmetic for all triplets at
once on one big integer (~2.5 µs). It accepts and rejects exactly the inputs the
package does (tests/domain/tokens/test_base45.py proves it), including the
package's quirk of ignoring trailing newlines in ``str`` input.
"""

from __future__ import annotations

from functools import lru_cache

import base45 as _lib

CHARSET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_CHARSET_BYTES = CHARSET.encode("ascii")
_VALUES = bytes.maketrans(_CHARSET_BYTES, bytes(range(45)))


class Base45Error(ValueError):
    """The text is not valid base45."""


def b45encode(data: bytes) -> str:
    """Encode bytes as base45 text (the reference library; not on a hot path)."""
    encoded: bytes = _lib.b45encode(data)
    return encoded.decode("ascii")


def b45decode(text: str | bytes) -> bytes:
    """Decode base45 text, raising ``Base45Error`` wherever the library would fail."""
    if isinstance(text, str):
        try:
            raw = text.rstrip("\n").encode("ascii")
        except UnicodeEncodeError:
            raise Base45Error("invalid base45 character") from None
    elif isinstance(text, bytes):
        raw = text
    else:
        raise TypeError("base45 input must be str or bytes")
    if raw.translate(None, _CHARSET_BYTES):
        raise Base45Error("invalid base45 character")
    digits = raw.translate(_VALUES)
    pairs, rest = divmod(len(digits), 3)
    if rest == 1:
        raise Base45Error("invalid base45 length")
    out = bytearray(2 * pairs + rest // 2)
    if pairs:
        _decode_triplets(digits, pairs, out)
    if rest:
        last = digits[-2] + 45 * digits[-1]
        if last > 0xFF:
            raise Base45Error("base45 pair out of range")
        out[-1] = last
    return bytes(out)


def _decode_triplets(digits: bytes, count: int, out: bytearray) -> None:
    """Decode ``count`` leading triplets into ``out`` in a handful of big-int steps.

    Read the digits as one little-endian integer with a 24-bit field per triplet
    (c, d, e). Masking out each digit position and summing c + 45·d + 2025·e gives a
    value below 2**17 per field, so fields never carry into each other; a set bit in
    any field's top byte marks a triplet above 0xFFFF.
    """
    low, high = _masks(count)
    size = 3 * count
    n = int.from_bytes(digits[:size], "little")
    fields = (n & low) + 45 * ((n >> 8) & low) + 2025 * ((n >> 16) & low)
    if fields & high:
        raise Base45Error("base45 triplet out of range")
    packed = fields.to_bytes(size, "little")
    out[0 : 2 * count : 2] = packed[1::3]  # big-endian: high byte first
    out[1 : 2 * count : 2] = packed[0::3]


@lru_cache(maxsize=128)
def _masks(count: int) -> tuple[int, int]:
    """Masks selecting each field's low byte, and each field's overflow byte."""
    return (
        int.from_bytes(b"\xff\x00\x00" * count, "little"),
        int.from_bytes(b"\x00\x00\xff" * count, "little"),
    )
