"""Credit codes: all of GB 32100 is checked, including what python-stdnum gets wrong."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import uscc as stdnum_uscc

from healthcode.domain.errors import InvalidInput
from healthcode.domain.identity import parse_uscc
from healthcode.domain.identity.uscc import organisation_check_char
from tests.factories.identity import (
    USCC_ALPHABET,
    complete_uscc,
    make_uscc,
    org_check_char,
    to_fullwidth,
    usccs,
)

# stdnum's doctest example, and two real codes quoted in validator bug reports.
REAL = ["91110000600037341L", "92141127MA0KD1Y64A", "12440600MB2C07549J"]


def rejection(raw: str, *, field: str = "uscc") -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_uscc(raw, field=field)
    return caught.value


@pytest.mark.parametrize("value", REAL)
def test_real_codes_parse_into_their_parts(value: str) -> None:
    code = parse_uscc(value)
    assert code.value == value
    assert (code.authority, code.kind) == (value[0], value[1])
    assert code.region_code == value[2:8]
    assert code.organisation_code == value[8:17]
    assert not code.is_national


@pytest.mark.parametrize(
    "raw",
    [
        "91110000600037341l",
        " 9111 0000 6000 3734 1L ",
        "911100-00600037341-L",
        to_fullwidth("91110000600037341L"),
        to_fullwidth("91110000600037341l"),
    ],
)
def test_accepts_what_people_type(raw: str) -> None:
    assert parse_uscc(raw).value == "91110000600037341L"


class TestStdnumGaps:
    """Valid codes python-stdnum's validate refuses because they start with a letter."""

    @pytest.mark.parametrize(
        ("authority", "kind"),
        [("Y", "1"), ("N", "1"), ("N", "2"), ("N", "3"), ("N", "9"), ("A", "1"), ("A", "9")],
    )
    def test_letter_authorities_accepted(self, authority: str, kind: str) -> None:
        value = make_uscc(authority=authority, kind=kind)
        assert stdnum_uscc.calc_check_digit(value[:17]) == value[-1]
        assert not stdnum_uscc.is_valid(value)  # if this fails, stdnum closed the gap
        code = parse_uscc(value)
        assert (code.authority, code.kind) == (authority, kind)

    def test_national_level_registration(self) -> None:
        code = parse_uscc(make_uscc(authority="1", kind="1", region="100000"))
        assert code.is_national

    def test_stdnum_misses_a_wrong_organisation_code(self) -> None:
        good = make_uscc()
        wrong_org = next(c for c in "0123456789X" if c != good[16])
        value = complete_uscc(good[:16] + wrong_org)
        assert stdnum_uscc.is_valid(value)
        assert rejection(value).errors[0].code == "org_code_check"


@given(usccs())
def test_factory_codes_round_trip(value: str) -> None:
    code = parse_uscc(value)
    assert code.value == value
    assert stdnum_uscc.calc_check_digit(value[:17]) == value[-1]


@given(usccs(), st.integers(0, 17), st.sampled_from(USCC_ALPHABET))
def test_any_single_substitution_is_refused(value: str, position: int, char: str) -> None:
    changed = value[:position] + char + value[position + 1 :]
    if changed != value:
        with pytest.raises(InvalidInput):
            parse_uscc(changed)


@given(st.text(alphabet=USCC_ALPHABET, min_size=8, max_size=8))
def test_organisation_check_agrees_with_the_factory(body: str) -> None:
    assert organisation_check_char(body) == org_check_char(body)


def _with_org_check(first16: str, check: str) -> str:
    return complete_uscc(first16 + check)


GOOD = make_uscc()
BAD_INPUTS = [
    pytest.param("", "required", {}, id="empty"),
    pytest.param(" - ", "required", {}, id="only-separators"),
    pytest.param(GOOD[:17], "length", {"length": 17}, id="one-short"),
    pytest.param(GOOD + "1", "length", {"length": 19}, id="one-long"),
    pytest.param("9137O6" + GOOD[6:], "format", {"char": "O", "suggestion": "0"}, id="letter-o"),
    pytest.param(GOOD[:9] + "I" + GOOD[10:], "format", {"char": "I", "position": 10}, id="i"),
    pytest.param(GOOD[:12] + "S" + GOOD[13:], "format", {"char": "S", "position": 13}, id="s"),
    pytest.param(GOOD[:17] + "Z", "format", {"char": "Z", "position": 18}, id="z-check"),
    pytest.param(GOOD[:5] + "*" + GOOD[6:], "format", {"char": "*"}, id="symbol"),
    pytest.param(make_uscc(authority="B"), "authority", {"char": "B"}, id="authority-b"),
    pytest.param(make_uscc(authority="0"), "authority", {"char": "0"}, id="authority-0"),
    pytest.param(make_uscc(kind="4"), "kind", {"char": "4", "authority": "9"}, id="kind-94"),
    pytest.param(make_uscc(authority="Y", kind="2"), "kind", {"char": "2"}, id="kind-y2"),
    pytest.param(make_uscc(authority="5", kind="5"), "kind", {"authority": "5"}, id="kind-55"),
    pytest.param(make_uscc(region="37A602"), "region", {"region": "37A602"}, id="letter"),
    pytest.param(make_uscc(region="991602"), "region", {"prefix": "99"}, id="no-province"),
    pytest.param(make_uscc(region="100100"), "region", {"prefix": "10"}, id="not-national"),
    pytest.param(
        _with_org_check(GOOD[:16], "0" if GOOD[16] != "0" else "1"),
        "org_code_check",
        {"expected": GOOD[16]},
        id="org-check",
    ),
    pytest.param(
        GOOD[:17] + ("0" if GOOD[17] != "0" else "1"),
        "check_char",
        {"expected": GOOD[17]},
        id="check-char",
    ),
]


@pytest.mark.parametrize(("raw", "code", "params"), BAD_INPUTS)
def test_each_refusal_has_its_reason(raw: str, code: str, params: dict[str, object]) -> None:
    (only,) = rejection(raw, field="employer.uscc").errors
    assert (only.field, only.code) == ("employer.uscc", code)
    assert params.items() <= dict(only.params).items()
    assert "{" not in only.render()


def test_real_code_with_a_typo_names_the_expected_character() -> None:
    (only,) = rejection("91110000600037341M").errors
    assert only.code == "check_char"
    assert "should be L, not M" in only.render()


def test_factory_refuses_a_body_outside_the_alphabet() -> None:
    with pytest.raises(ValueError, match="organisation code body"):
        make_uscc(org_body="MA3XKPO1")
