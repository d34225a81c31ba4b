"""Nationality is an ISO 3166-1 alpha-3 code; the table names each in Chinese and English."""

from __future__ import annotations

import pytest

from healthcode.domain.errors import InvalidInput
from healthcode.domain.identity import CHINA, COUNTRIES, parse_nationality


def test_the_table_is_iso_3166_1() -> None:
    assert len(COUNTRIES) == 249
    assert COUNTRIES[CHINA].name_zh == "中国"
    assert COUNTRIES["USA"].name_en == "United States"
    assert COUNTRIES["TWN"].name_zh == "中国台湾"
    assert all(c.alpha3.isascii() and len(c.alpha3) == 3 for c in COUNTRIES.values())
    assert len({c.alpha2 for c in COUNTRIES.values()}) == 249
    assert all(c.name_zh and c.name_en for c in COUNTRIES.values())


@pytest.mark.parametrize("code", ["CHN", "USA", "KOR", " JPN "])
def test_a_country_code_is_accepted(code: str) -> None:
    assert parse_nationality(code) == code.strip()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("ΑΒΓ", "unknown_country"),  # Greek capitals: letters, but no country
        ("XYZ", "unknown_country"),
        ("ZZZ", "unknown_country"),
        ("chn", "unknown_country"),
        ("CN", "unknown_country"),
        ("", "required"),
    ],
)
def test_anything_else_is_refused_with_a_reason(raw: str, reason: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_nationality(raw)
    assert [(e.field, e.code) for e in refused.value.errors] == [("nationality", reason)]
