"""Mobile numbers as people write them, and their masked form."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthcode.domain.errors import InvalidInput
from healthcode.domain.identity import mask_mobile, parse_mobile
from tests.factories.identity import to_fullwidth


@pytest.mark.parametrize(
    "raw",
    [
        "13812341234",
        " 138 1234 1234 ",
        "138-1234-1234",
        "+86 138 1234 1234",
        "+8613812341234",
        "(+86) 138-1234-1234",
        "0086 13812341234",
        "8613812341234",
        to_fullwidth("13812341234"),
        to_fullwidth("+86 138-1234-1234"),
        "138\u200b1234\u20131234",
    ],
)
def test_accepts_what_people_type(raw: str) -> None:
    assert parse_mobile(raw) == "13812341234"


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.sampled_from(["", "+86", "0086"]))
def test_every_mainland_mobile_round_trips(number: str, prefix: str) -> None:
    typed = f"{prefix} {number[:3]} {number[3:7]} {number[7:]}"
    assert parse_mobile(typed) == number


@pytest.mark.parametrize(
    ("raw", "code", "params"),
    [
        ("", "required", {}),
        (" - ", "required", {}),
        ("+86", "required", {}),
        ("1381234abcd", "format", {"char": "a"}),
        ("138#12341234", "format", {"char": "#"}),
        ("+1 415 555 0100", "format", {}),
        ("0044 7700 900123", "format", {}),
        ("12812341234", "format", {"number": "12812341234"}),
        ("23812341234", "format", {"number": "23812341234"}),
        ("1381234123", "length", {"length": 10}),
        ("138123412345", "length", {"length": 12}),
        ("0531-88881234", "length", {"length": 12}),
    ],
)
def test_each_refusal_has_its_reason(raw: str, code: str, params: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_mobile(raw, field="applicant.phone")
    (only,) = caught.value.errors
    assert (only.field, only.code) == ("applicant.phone", code)
    assert params.items() <= dict(only.params).items()
    assert "{" not in only.render()


@pytest.mark.parametrize(
    ("number", "masked"),
    [("13812341234", "138****1234"), ("19900000000", "199****0000"), ("1234", "****")],
)
def test_mask_mobile(number: str, masked: str) -> None:
    assert mask_mobile(number) == masked
