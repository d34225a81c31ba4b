"""Mainland China mobile numbers.

Eleven digits, 1[3-9]xxxxxxxxx. People write them with a country code (+86, 0086,
86), in groups ("138 1234 1234", "138-1234-1234") or with full-width digits; the
canonical form stored and used for SMS is the bare eleven digits.
"""

from __future__ import annotations

import re
import string

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.identity._normalize import DASHES, compact, first_bad_char

LENGTH = 11
_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_SEPARATORS = DASHES + "()."


def _strip_country_code(number: str) -> str:
    for prefix in ("+86", "0086"):
        if number.startswith(prefix):
            return number[len(prefix) :]
    # A bare "86" is only a country code when eleven digits follow it.
    if len(number) == LENGTH + 2 and number.startswith("861"):
        return number[2:]
    return number


def parse_mobile(raw: str, *, field: str = "phone") -> str:
    """Normalise a typed mobile number to its eleven digits."""
    number = _strip_country_code(compact(raw, drop=_SEPARATORS, upper=False))
    if not number:
        raise InvalidInput.single(field, "required", N_("Please enter your mobile number"))
    if number.startswith(("+", "00")):
        raise InvalidInput.single(
            field,
            "format",
            N_("Only mainland China mobile numbers (+86) can receive our messages"),
        )
    bad = first_bad_char(number, string.digits)
    if bad is not None:
        raise InvalidInput.single(
            field, "format", N_("'{char}' is not allowed in a phone number"), char=bad[1]
        )
    if len(number) != LENGTH:
        raise InvalidInput.single(
            field,
            "length",
            N_("A mobile number has 11 digits; you entered {length}"),
            length=len(number),
        )
    if not _MOBILE.fullmatch(number):
        raise InvalidInput.single(
            field,
            "format",
            N_("{number} is not a mainland mobile number: it should start with 13 to 19"),
            number=number,
        )
    return number


def mask_mobile(number: str) -> str:
    """Keep the first 3 and last 4 digits: '138****1234'."""
    if len(number) <= 7:
        return "*" * len(number)
    return number[:3] + "*" * (len(number) - 7) + number[-4:]
