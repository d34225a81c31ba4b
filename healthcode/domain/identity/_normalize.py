"""Input normalisation shared by the identity parsers.

People type numbers on phones: full-width digits from a Chinese keyboard (１２３, Ｘ),
spaces every few digits, pasted zero-width characters, lowercase letters. NFKC folds
the full-width forms to ASCII; the helpers here then drop what carries no meaning, so
each parser validates one canonical string.
"""

from __future__ import annotations

import unicodedata

# Hyphen-like characters NFKC leaves alone but people use as separators.
DASHES = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63"


def fold(raw: str) -> str:
    """NFKC-fold full-width and compatibility characters to their plain forms."""
    return unicodedata.normalize("NFKC", raw)


def _is_invisible(char: str) -> bool:
    """Whitespace and format characters (zero-width space, BOM) that pasting adds."""
    return char.isspace() or unicodedata.category(char) == "Cf"


def compact(raw: str, *, drop: str = DASHES, upper: bool = True) -> str:
    """Fold, remove whitespace, invisible characters and separators, upper-case."""
    if raw.isascii() and raw.isalnum():  # the common case, unchanged by all of the below
        return raw.upper() if upper else raw
    kept = "".join(c for c in fold(raw) if not _is_invisible(c) and c not in drop)
    return kept.upper() if upper else kept


def squeeze_spaces(text: str) -> str:
    """Drop format characters, trim, and fold every run of whitespace into one space."""
    visible = "".join(c for c in text if unicodedata.category(c) != "Cf")
    return " ".join(visible.split())


def first_bad_char(value: str, allowed: str) -> tuple[int, str] | None:
    """The 1-based position and character of the first character not in ``allowed``."""
    for index, char in enumerate(value, start=1):
        if char not in allowed:
            return index, char
    return None
