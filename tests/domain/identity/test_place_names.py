"""Typed place names (issue 9, item 3): a name that names one place is its code; an
ambiguous one lists the choices; the picker offers one level at a time."""

from __future__ import annotations

import pytest

from healthcode.domain.errors import InvalidInput
from healthcode.domain.identity import resolve_region, subdivisions


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("滨州市滨城区", "371602"),
        ("山东省滨州市滨城区", "371602"),
        ("滨城区", "371602"),
        ("滨城", "371602"),
        ("滨州 滨城", "371602"),
        ("滨州市", "371600"),
        ("武汉", "420100"),
        ("３７１６０２", "371602"),
    ],
)
def test_a_name_of_one_place_is_its_code(typed: str, code: str) -> None:
    assert resolve_region(typed).code == code


def test_an_ambiguous_name_lists_the_choices() -> None:
    with pytest.raises(InvalidInput) as raised:
        resolve_region("朝阳区", field="destination")
    (error,) = raised.value.errors
    assert (error.field, error.code) == ("destination", "ambiguous_place")
    assert error.params["choices"] == "北京市朝阳区、吉林省长春市朝阳区"


@pytest.mark.parametrize(("typed", "code"), [("火星", "unknown_place"), ("12", "format")])
def test_unknown_names_and_short_codes_are_refused(typed: str, code: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        resolve_region(typed)
    assert raised.value.errors[0].code == code


def test_the_picker_goes_province_city_county() -> None:
    assert len(subdivisions("")) == 34
    assert "滨州市" in [r.name for r in subdivisions("37")]
    assert [r.name for r in subdivisions("3716")][:2] == ["滨城区", "沾化区"]
    assert "东城区" in [r.name for r in subdivisions("11")]  # 市辖区 is skipped
    assert "仙桃市" in [r.name for r in subdivisions("42")]  # 省直辖县级 too
    assert subdivisions("x") == []
