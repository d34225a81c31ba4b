"""Text bounds: exactly Unicode's controls (but tab, line feed and carriage return),
lone surrogates and the bidirectional overrides are refused, named by code point and
position."""

from __future__ import annotations

import sys
import unicodedata

import pytest
from pydantic_core import PydanticCustomError

from healthcode.services.shared.bounds import check_text

BIDI = {*range(0x202A, 0x202F), *range(0x2066, 0x206A)}  # embeddings, overrides, isolates


def test_refuses_exactly_controls_surrogates_and_bidi_overrides_but_layout() -> None:
    refused = set()
    for point in range(sys.maxunicode + 1):
        try:
            check_text(chr(point))
        except PydanticCustomError:
            refused.add(point)
    expected = {
        point
        for point in range(sys.maxunicode + 1)
        if unicodedata.category(chr(point)) in ("Cc", "Cs") and chr(point) not in "\t\n\r"
    }
    assert refused == expected | BIDI
    assert len(refused) == 65 - 3 + 2048 + 9


def test_names_the_first_offending_character_and_its_position() -> None:
    assert check_text("第一行\n\tok\r\n") == "第一行\n\tok\r\n"
    with pytest.raises(PydanticCustomError) as raised:
        check_text("CNHC1:ABC\x1b[0m\x00")
    assert raised.value.context == {"codepoint": "001B", "position": 10}
