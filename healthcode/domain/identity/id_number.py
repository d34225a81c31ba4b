"""Resident ID numbers (GB 11643-1999 公民身份号码).

18 characters: a 6-digit region code, the birth date as YYYYMMDD, a 3-digit order
code (odd for men, even for women) and an ISO 7064 MOD 11-2 check character.

python-stdnum's ``cn.ric`` computes the check character correctly, but its validate
is wrong for us in two ways: it accepts birth dates in the future, and it rejects
real numbers whose county code was created after the birth year (people keep the
county code of their first registration for life, and counties are renamed all the
time). So only the check-character arithmetic is taken from stdnum; the region rule
is "the province exists", and the birth date must lie between 1900-01-01 and today.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from functools import cache, lru_cache
from typing import Literal

from stdnum.cn import ric

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.identity._normalize import compact, first_bad_char
from healthcode.domain.identity.regions import is_province

Sex = Literal["M", "F"]

LENGTH = 18
EARLIEST_BIRTH = date(1900, 1, 1)
# Residence permits for Hong Kong, Macao and Taiwan residents (港澳台居民居住证, 2018)
# carry 18-digit numbers with the same layout under 810000, 820000 and 830000; 83 is
# not a GB/T 2260 province but is a valid first pair here.
RESIDENCE_PERMIT_PREFIXES = frozenset({"810000", "820000", "830000"})
_EXTRA_PROVINCES = frozenset({"83"})
_DIGITS = "0123456789"


@dataclass(frozen=True, repr=False)
class IdNumber:
    """A checked ID number and what it says about its holder."""

    value: str
    birth_date: date
    sex: Sex
    region_code: str

    @property
    def province_code(self) -> str:
        return self.region_code[:2]

    @property
    def masked(self) -> str:
        return mask_id_number(self.value)

    @property
    def is_residence_permit(self) -> bool:
        """Issued to a Hong Kong, Macao or Taiwan resident living on the mainland."""
        return self.region_code in RESIDENCE_PERMIT_PREFIXES

    def __repr__(self) -> str:
        # Never leak a full ID number into logs or tracebacks.
        return f"IdNumber({self.masked!r})"

    __str__ = __repr__


_AS_NUMBER = re.compile(r"\d(\.\d+)?E\+?\d+")  # a spreadsheet's 3.71602199303038E+17


def parse_id_number(raw: str, *, today: date, field: str = "id_number") -> IdNumber:
    """Normalise what a person typed and check it as an 18-character ID number.

    ``today`` is the resident's calendar day (Asia/Shanghai), passed in so the
    domain stays clock-free; a birth on ``today`` is valid, tomorrow is not.
    """
    value = compact(raw)
    _check_shape(value, field)
    _check_region(value, field)
    birth = _birth_date(value, today, field)
    expected = ric.calc_check_digit(value)
    if value[-1] != expected:
        raise InvalidInput.single(
            field,
            "check_char",
            N_("The last character should be {expected}, not {actual}: please check for typos"),
            expected=expected,
            actual=value[-1],
        )
    sex: Sex = "M" if int(value[16]) % 2 else "F"
    return IdNumber(value=value, birth_date=birth, sex=sex, region_code=value[:6])


def id_number_value(raw: str, *, today: date, field: str = "id_number") -> str:
    """``parse_id_number(raw, ...).value``: the number alone, as an import keeps it
    (thousands a second; building each ``IdNumber`` was half of checking a row). A
    number in the usual form is checked here by the same rules, in one expression;
    anything else goes through ``parse_id_number``, whose refusal names the rule
    broken (tests/domain/identity/test_id_number.py compares the two)."""
    value = compact(raw)
    if (
        len(value) == LENGTH
        and value.isascii()
        and value[:17].isdigit()
        and value[:2] in _first_pairs()
        and _born_between(value[6:14], today)
        and ric.calc_check_digit(value) == value[17]
    ):
        return value
    return parse_id_number(raw, today=today, field=field).value


@cache
def _first_pairs() -> frozenset[str]:
    """The first two digits ``_check_region`` accepts."""
    pairs = (f"{n:02d}" for n in range(100))
    return frozenset(p for p in pairs if is_province(p) or p in _EXTRA_PROVINCES)


@lru_cache(maxsize=1 << 16)  # a file's birth dates repeat: at most ~46,000 since 1900
def _born_between(digits: str, today: date) -> bool:
    """YYYYMMDD (ASCII digits) a real date from 1900-01-01 to ``today``, as
    ``_birth_date`` accepts it."""
    try:
        birth = date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return False
    return EARLIEST_BIRTH <= birth <= today


def id_number_key(raw: str) -> str:
    """The form ``parse_id_number`` keeps a valid ID number in (``IdNumber.value``),
    unchecked: an import looks residents up by it while it checks the rows."""
    return compact(raw)


def _check_shape(value: str, field: str) -> None:
    if not value:
        raise InvalidInput.single(field, "required", N_("Please enter your ID number"))
    if _AS_NUMBER.fullmatch(value):
        raise InvalidInput.single(
            field,
            "stored_as_number",
            N_(
                "This ID number was stored as a number, which loses its last digits: "
                "format the column as text and send the file again"
            ),
        )
    if len(value) == 15 and first_bad_char(value, _DIGITS) is None:
        raise InvalidInput.single(
            field,
            "first_generation",
            N_(
                "15-digit first-generation ID numbers ceased to be valid in 2013; "
                "please enter your 18-character ID number"
            ),
        )
    if len(value) != LENGTH:
        raise InvalidInput.single(
            field,
            "length",
            N_("An ID number has 18 characters; you entered {length}"),
            length=len(value),
        )
    body = value[:-1]
    bad = None if body.isascii() and body.isdigit() else first_bad_char(body, _DIGITS)
    if bad is None and value[-1] not in _DIGITS + "X":
        bad = (LENGTH, value[-1])
    if bad is not None:
        raise InvalidInput.single(
            field,
            "format",
            N_("'{char}' at position {position} is not allowed: only digits, and X at the end"),
            position=bad[0],
            char=bad[1],
        )


def _check_region(value: str, field: str) -> None:
    prefix = value[:2]
    if not (is_province(prefix) or prefix in _EXTRA_PROVINCES):
        raise InvalidInput.single(
            field,
            "region",
            N_("The number starts with {prefix}, which is not a province or region code"),
            prefix=prefix,
        )


def _birth_date(value: str, today: date, field: str) -> date:
    year, month, day = int(value[6:10]), int(value[10:12]), int(value[12:14])
    shown = f"{value[6:10]}-{value[10:12]}-{value[12:14]}"
    try:
        birth = date(year, month, day)
    except ValueError:
        raise InvalidInput.single(
            field,
            "birth_date",
            N_("Characters 7-14 should be a birth date, but {birth_date} is not a real date"),
            birth_date=shown,
        ) from None
    if birth > today:
        raise InvalidInput.single(
            field,
            "birth_in_future",
            N_("The birth date {birth_date} is in the future"),
            birth_date=shown,
        )
    if birth < EARLIEST_BIRTH:
        raise InvalidInput.single(
            field,
            "birth_too_early",
            N_("The birth date {birth_date} is before 1900"),
            birth_date=shown,
        )
    return birth


def id_number_age(idn: IdNumber, today: date) -> int:
    """Age in whole years on ``today`` (a 29 February birthday counts on 1 March)."""
    had_birthday = (today.month, today.day) >= (idn.birth_date.month, idn.birth_date.day)
    return today.year - idn.birth_date.year - (0 if had_birthday else 1)


def mask_id_number(value: str) -> str:
    """Keep the first 4 and last 4 characters: '3701**********1234'."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]
