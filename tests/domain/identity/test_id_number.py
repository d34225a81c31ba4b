"""ID numbers: what people type is accepted, every refusal says which rule and why."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum.cn import ric

from healthcode.domain.errors import InvalidInput
from healthcode.domain.identity import (
    id_number_age,
    mask_id_number,
    parse_id_number,
)
from healthcode.domain.identity.id_number import id_number_value
from tests.factories.identity import (
    complete_id_number,
    id_check_char,
    id_numbers,
    make_id_number,
    to_fullwidth,
)

TODAY = date(2026, 11, 23)
# The worked example of GB 11643-1999 itself.
STANDARD_EXAMPLE = "11010519491231002X"


def rejection(raw: str, *, today: date = TODAY, field: str = "id_number") -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse_id_number(raw, today=today, field=field)
    return caught.value


@pytest.mark.parametrize(
    "raw",
    [
        STANDARD_EXAMPLE,
        "11010519491231002x",
        " 110105 19491231 002X ",
        "110105-19491231-002X",
        "1101\u200b0519491231002X",
        to_fullwidth(STANDARD_EXAMPLE),
        to_fullwidth("11010519491231002x"),
        "１１０１０５\u3000１９４９１２３１\u3000００２Ｘ",
    ],
)
def test_accepts_what_people_type(raw: str) -> None:
    idn = parse_id_number(raw, today=TODAY)
    assert idn.value == STANDARD_EXAMPLE
    assert idn.birth_date == date(1949, 12, 31)
    assert idn.sex == "F"
    assert idn.region_code == "110105"
    assert idn.province_code == "11"


@pytest.mark.parametrize(
    ("sex", "order"),
    [("M", 1), ("M", 999), ("F", 0), ("F", 998)],
)
def test_sex_comes_from_the_order_code(sex: str, order: int) -> None:
    raw = make_id_number(birth=date(1990, 3, 7), seq=order)
    assert parse_id_number(raw, today=TODAY).sex == sex


@given(id_numbers(today=TODAY))
def test_factory_numbers_round_trip(raw: str) -> None:
    idn = parse_id_number(raw, today=TODAY)
    assert idn.value == raw
    assert idn.region_code == raw[:6]
    assert f"{idn.birth_date:%Y%m%d}" == raw[6:14]
    assert idn.sex == ("M" if int(raw[16]) % 2 else "F")
    assert ric.calc_check_digit(raw) == raw[-1]  # factory agrees with stdnum's arithmetic


@given(id_numbers(today=TODAY), st.data())
def test_spacing_full_width_and_case_do_not_matter(raw: str, data: st.DataObject) -> None:
    cut = data.draw(st.integers(1, 17))
    noisy = to_fullwidth(raw[:cut]) + "  " + raw[cut:].lower()
    assert parse_id_number(noisy, today=TODAY).value == raw


@given(id_numbers(today=TODAY), st.integers(0, 17), st.sampled_from("0123456789X"))
def test_any_single_substitution_is_refused(raw: str, position: int, char: str) -> None:
    changed = raw[:position] + char + raw[position + 1 :]
    if changed != raw:
        with pytest.raises(InvalidInput):
            parse_id_number(changed, today=TODAY)


BAD_INPUTS = [
    pytest.param("", "required", {}, id="empty"),
    pytest.param(" \u3000 ", "required", {}, id="only-spaces"),
    pytest.param("370102900307123", "first_generation", {}, id="15-digit-card"),
    pytest.param("37010219900307123", "length", {"length": 17}, id="one-digit-short"),
    pytest.param("3701021990030712345", "length", {"length": 19}, id="one-digit-long"),
    pytest.param("37010219900307X234", "format", {"char": "X", "position": 15}, id="x-inside"),
    pytest.param("37010219900307123?", "format", {"char": "?", "position": 18}, id="symbol-end"),
    pytest.param("3701O2199003071234", "format", {"char": "O", "position": 5}, id="letter-o"),
    pytest.param(
        make_id_number(birth=date(1990, 3, 7), region="990102"),
        "region",
        {"prefix": "99"},
        id="no-province-99",
    ),
    pytest.param(
        make_id_number(birth=date(1990, 3, 7), region="200102"),
        "region",
        {"prefix": "20"},
        id="no-province-20",
    ),
    pytest.param(
        complete_id_number("37010219900230123"),
        "birth_date",
        {"birth_date": "1990-02-30"},
        id="february-30",
    ),
    pytest.param(
        complete_id_number("37010219901301123"),
        "birth_date",
        {"birth_date": "1990-13-01"},
        id="month-13",
    ),
    pytest.param(
        complete_id_number("37010219000229123"),
        "birth_date",
        {"birth_date": "1900-02-29"},
        id="1900-not-leap",
    ),
    pytest.param(
        make_id_number(birth=date(2099, 1, 1)),
        "birth_in_future",
        {"birth_date": "2099-01-01"},
        id="born-2099",
    ),
    pytest.param(
        make_id_number(birth=date(1899, 12, 31)),
        "birth_too_early",
        {"birth_date": "1899-12-31"},
        id="born-1899",
    ),
    pytest.param(
        "110105194912310021",
        "check_char",
        {"expected": "X", "actual": "1"},
        id="wrong-check",
    ),
    pytest.param(
        "11010519491231012X",  # 002X with the order code mistyped as 012
        "check_char",
        {"expected": "6", "actual": "X"},
        id="typo-in-order-code",
    ),
]


@pytest.mark.parametrize(("raw", "code", "params"), BAD_INPUTS)
def test_each_refusal_has_its_reason(raw: str, code: str, params: dict[str, object]) -> None:
    error = rejection(raw, field="applicant.id_number")
    (only,) = error.errors
    assert (only.field, only.code) == ("applicant.id_number", code)
    assert params.items() <= dict(only.params).items()
    assert "{" not in only.render()


def test_the_length_message_says_how_many_were_given() -> None:
    (only,) = rejection("3701021990030712").errors
    assert only.render() == "An ID number has 18 characters; you entered 16"


def test_the_check_message_names_the_expected_character() -> None:
    (only,) = rejection("110105194912310021").errors
    assert "should be X, not 1" in only.render()


def test_first_generation_message_explains_what_to_do() -> None:
    (only,) = rejection("370102900307123").errors
    assert "2013" in only.render()
    assert "18" in only.render()


@pytest.mark.parametrize(
    ("birth", "today", "code"),
    [
        (TODAY, TODAY, None),
        (TODAY + timedelta(days=1), TODAY, "birth_in_future"),
        (date(1900, 1, 1), TODAY, None),
        (date(1899, 12, 31), TODAY, "birth_too_early"),
        (date(2000, 2, 29), TODAY, None),
        (date(2024, 1, 1), date(2023, 12, 31), "birth_in_future"),
    ],
)
def test_birth_date_boundaries(birth: date, today: date, code: str | None) -> None:
    raw = make_id_number(birth=birth)
    if code is None:
        assert parse_id_number(raw, today=today).birth_date == birth
    else:
        (only,) = rejection(raw, today=today).errors
        assert only.code == code


class TestStdnumGaps:
    """Inputs python-stdnum gets wrong, which we must get right."""

    def test_future_birth_refused_though_stdnum_accepts_it(self) -> None:
        raw = make_id_number(birth=date(2099, 6, 1), region="110101")
        assert ric.is_valid(raw)  # if this fails, stdnum closed the gap
        assert rejection(raw).errors[0].code == "birth_in_future"

    def test_county_created_after_birth_accepted_though_stdnum_refuses(self) -> None:
        # 滨城区 (371602) exists since 2000; a person born 1990 registered there later.
        raw = make_id_number(birth=date(1990, 3, 7), region="371602")
        assert not ric.is_valid(raw)
        assert parse_id_number(raw, today=TODAY).region_code == "371602"

    @pytest.mark.parametrize(
        ("region", "birth"),
        [
            ("372321", date(1975, 5, 1)),  # 惠民县 under 惠民地区, abolished 2000
            ("372321", date(2005, 5, 1)),  # an old code kept by a later registration
            ("370120", date(1960, 1, 1)),  # 济南 市区, abolished 1983
            ("379999", date(1990, 1, 1)),  # unknown county in a real province
        ],
    )
    def test_old_or_unknown_county_accepted(self, region: str, birth: date) -> None:
        raw = make_id_number(birth=birth, region=region)
        assert parse_id_number(raw, today=TODAY).region_code == region


@pytest.mark.parametrize("prefix", ["810000", "820000", "830000"])
def test_residence_permits_of_hong_kong_macao_taiwan(prefix: str) -> None:
    idn = parse_id_number(make_id_number(birth=date(1988, 8, 8), region=prefix), today=TODAY)
    assert idn.is_residence_permit
    assert not parse_id_number(STANDARD_EXAMPLE, today=TODAY).is_residence_permit


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("370102199003071234", "3701**********1234"),
        (STANDARD_EXAMPLE, "1101**********002X"),
        ("12345678", "********"),
        ("", ""),
    ],
)
def test_mask_id_number(value: str, masked: str) -> None:
    assert mask_id_number(value) == masked


def test_repr_never_shows_the_whole_number() -> None:
    idn = parse_id_number(STANDARD_EXAMPLE, today=TODAY)
    assert STANDARD_EXAMPLE not in repr(idn)
    assert STANDARD_EXAMPLE not in str(idn)
    assert STANDARD_EXAMPLE not in f"{[idn]}"
    assert idn.masked in repr(idn)


@pytest.mark.parametrize(
    ("birth", "today", "age"),
    [
        (date(1990, 3, 7), date(2026, 3, 7), 36),
        (date(1990, 3, 7), date(2026, 3, 6), 35),
        (date(2000, 2, 29), date(2025, 2, 28), 24),
        (date(2000, 2, 29), date(2025, 3, 1), 25),
        (date(2026, 11, 23), date(2026, 11, 23), 0),
    ],
)
def test_age(birth: date, today: date, age: int) -> None:
    idn = parse_id_number(make_id_number(birth=birth), today=TODAY)
    assert id_number_age(idn, today) == age


def test_factory_check_char_matches_the_standard_example() -> None:
    assert id_check_char(STANDARD_EXAMPLE[:17]) == "X"
    assert make_id_number(birth=date(1949, 12, 31), region="110105", seq=2) == STANDARD_EXAMPLE
    female = make_id_number(birth=date(1949, 12, 31), region="110105", seq=3, sex="F")
    assert female == STANDARD_EXAMPLE  # order code 3 made even for a woman: 002


def _either(raw: str, today: date) -> tuple[str, str | None]:
    """("ok", the number) or ("refused", the reason) from one of the two parsers."""
    try:
        return "ok", parse_id_number(raw, today=today).value
    except InvalidInput as error:
        return "refused", error.errors[0].code


def _fast(raw: str, today: date) -> tuple[str, str | None]:
    try:
        return "ok", id_number_value(raw, today=today)
    except InvalidInput as error:
        return "refused", error.errors[0].code


@st.composite
def near_id_numbers(draw: st.DrawFn) -> tuple[str, date]:
    """A valid number, maybe broken in one place (a character, the birth date made
    impossible, future or too early, the province unknown, the check character
    wrong), maybe written as people type it; and the day it is checked on (a birth
    on that day, or the day before it)."""
    birth = draw(st.dates(date(1899, 12, 1), date(2030, 1, 1)))
    region = draw(st.sampled_from(["110105", "371602", "810000", "830000", "990000", "000000"]))
    number = complete_id_number(f"{region}{birth:%Y%m%d}{draw(st.integers(0, 999)):03d}")
    how = draw(st.sampled_from(["as is", "char", "date", "check", "typed", "text", "digit"]))
    if how == "char":
        at = draw(st.integers(0, 17))
        number = number[:at] + draw(st.sampled_from("0123456789Xx.E+ ")) + number[at + 1 :]
    elif how == "date":
        number = (
            number[:6] + draw(st.sampled_from(["19000229", "20230230", "20241301"])) + number[14:]
        )
        number = complete_id_number(number[:17])
    elif how == "check":
        number = number[:17] + draw(st.sampled_from("0123456789X"))
    elif how == "typed":
        number = (
            to_fullwidth(number.lower()) if draw(st.booleans()) else f" {number[:6]} {number[6:]}"
        )
    elif how == "digit":  # another script's digit: int() reads it, the rules do not
        number = number.replace(number[7], chr(0x0660 + int(number[7])), 1)
    elif how == "text":
        number = draw(st.text(alphabet="0123456789Xx -E+.", max_size=20))
    today = draw(st.sampled_from([birth, birth - timedelta(days=1), TODAY]))
    return number, today


@given(near_id_numbers())
def test_the_imports_quick_check_says_what_the_full_one_says(case: tuple[str, date]) -> None:
    """``id_number_value`` (an import's check, without ``IdNumber``) accepts exactly
    what ``parse_id_number`` accepts, keeps the same value, and refuses for the same
    reason; what it accepts carries stdnum's check character."""
    raw, today = case
    fast = _fast(raw, today)
    assert fast == _either(raw, today)
    if fast[0] == "ok" and fast[1] is not None:
        assert ric.calc_check_digit(fast[1]) == fast[1][-1]
