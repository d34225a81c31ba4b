"""The fast base45 decoder behaves exactly as the reference library."""

from __future__ import annotations

from collections.abc import Callable

import base45 as reference
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from healthcode.domain.tokens.base45 import CHARSET, Base45Error, b45decode, b45encode

INVALID = "invalid"


def outcome(decode: Callable[[str | bytes], bytes], text: str | bytes) -> bytes | str:
    try:
        return decode(text)
    except ValueError:
        return INVALID


def same_as_library(text: str | bytes) -> None:
    ours = outcome(b45decode, text)
    assert ours == outcome(reference.b45decode, text)
    if ours == INVALID:
        with pytest.raises(Base45Error):
            b45decode(text)


@pytest.mark.parametrize(
    ("encoded", "decoded"),
    [  # RFC 9285 §4.3 and §4.4
        ("BB8", b"AB"),
        ("%69 VD92EX0", b"Hello!!"),
        ("UJCLQE7W581", b"base-45"),
        ("QED8WEX0", b"ietf!"),
        ("", b""),
        ("FGW", b"\xff\xff"),
        ("U5", b"\xff"),
    ],
)
def test_rfc_examples(encoded: str, decoded: bytes) -> None:
    assert b45decode(encoded) == decoded
    assert b45decode(encoded.encode()) == decoded
    assert b45encode(decoded) == encoded


@pytest.mark.parametrize(
    "text",
    [
        "GGW",  # 65536: one past the largest triplet
        "::::",  # length 1 mod 3
        "V5",  # 256: one past the largest pair
        "BB8a",  # lowercase is not base45
        "BB\n8",  # newline inside
        "BB8é",  # non-ASCII
        "BB8\r\n",  # only \n is stripped
    ],
)
def test_rejects_invalid_text(text: str) -> None:
    with pytest.raises(Base45Error):
        b45decode(text)
    same_as_library(text)


def test_trailing_newlines_ignored_in_str_only_like_the_library() -> None:
    assert b45decode("BB8\n\n") == b"AB"
    same_as_library("BB8\n")
    same_as_library(b"BB8\n")


def test_other_types_are_type_errors_like_the_library() -> None:
    with pytest.raises(TypeError):
        b45decode(bytearray(b"BB8"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        reference.b45decode(bytearray(b"BB8"))


@settings(max_examples=300)
@given(st.binary(max_size=700))
def test_round_trip_equals_library(data: bytes) -> None:
    text = b45encode(data)
    assert b45decode(text) == data == reference.b45decode(text)
    assert b45decode(text.encode("ascii")) == data


@settings(max_examples=500)
@given(st.text(alphabet=CHARSET, max_size=40))
@example("GGW")
@example(":::")
@example("FGWFGWU5")
@example("FGWV5")
def test_any_alphabet_text_matches_library(text: str) -> None:
    """Random base45 letters: wrong lengths, triplets above 0xFFFF, pairs above 0xFF."""
    same_as_library(text)


@settings(max_examples=300)
@given(st.text(alphabet=CHARSET + "az\n\r\t\x00é张", max_size=30))
def test_any_text_matches_library(text: str) -> None:
    same_as_library(text)
    same_as_library(text.encode("utf-8"))


@settings(max_examples=300)
@given(st.binary(max_size=30))
def test_any_bytes_match_library(data: bytes) -> None:
    same_as_library(data)


@settings(max_examples=200)
@given(st.binary(min_size=1, max_size=300), st.data())
def test_single_digit_changes_match_library(data: bytes, draw: st.DataObject) -> None:
    """Valid text with one character changed: hits overflow at every position."""
    text = b45encode(data)
    index = draw.draw(st.integers(0, len(text) - 1))
    changed = text[:index] + draw.draw(st.sampled_from(CHARSET)) + text[index + 1 :]
    same_as_library(changed)
