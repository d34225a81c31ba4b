"""A reason a person writes (a fraud finding's, an appeal's, a decision's): what the
four-eyes rule and the audit trail rest on, so it must be readable text.

Its length counts only the characters one can see: zero-width and other format
characters (Unicode Cf), controls and spaces do not count, so twelve U+200B are not
"a reason of 12 characters" (found by probing: such a reason confirmed a fraud case
whose credit record then read as empty). Control characters other than line breaks
and tabs are refused.
"""

from __future__ import annotations

import unicodedata

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_


def visible_length(text: str) -> int:
    return sum(1 for c in text if unicodedata.category(c)[0] not in "CZ")


def written_reason(text: str, *, field: str, least: int, most: int) -> str:
    """``text`` stripped; refused when fewer than ``least`` of its characters can be
    seen (``too_short``) or it is longer than ``most`` in all (``too_long``)."""
    text = text.strip()
    if any(_control(c) for c in text):
        raise InvalidInput.single(  # a NUL, a bell: nothing a person types, and PostgreSQL
            field,  # stores no NUL in text at all
            "control_character",
            N_("The reason holds a control character: write it as plain text"),
        )
    if visible_length(text) < least:
        raise InvalidInput.single(
            field, "too_short", N_("Give the reason in at least {n} characters"), n=least
        )
    if len(text) > most:
        raise InvalidInput.single(
            field, "too_long", N_("Keep the reason under {n} characters"), n=most
        )
    return text


def _control(char: str) -> bool:
    """A control character other than a line break or tab, or a bidirectional override
    or isolate (U+202A-202E, U+2066-2069: a reason shown otherwise than it is written)."""
    if char in "\n\r\t":
        return False
    return (
        unicodedata.category(char) == "Cc"
        or "\u202a" <= char <= "\u202e"
        or "\u2066" <= char <= "\u2069"
    )
