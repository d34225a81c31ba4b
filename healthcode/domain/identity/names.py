"""Personal names as written on ID documents, and their masked form.

Han names (张三), minority and transliterated foreign names joined by the middle dot
(买买提·艾力), and Latin-script names of foreign residents (John Smith). Phones
offer several look-alike dots (•, ．, ・, .); all become the '·' that ID cards print.
Digits and other symbols are refused: they are typos or placeholder text.
"""

from __future__ import annotations

import re
import unicodedata

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.identity._normalize import fold, squeeze_spaces

MAX_LENGTH = 40
DOT = "·"
# After NFKC ('．' -> '.', '･' -> '・'): the dots people type for the middle dot.
_DOT_VARIANTS = str.maketrans(dict.fromkeys(".•・‧∙⋅", DOT))
_SPACED_DOT = re.compile(r" ?· ?")
_LATIN_WORD = re.compile(r"[^ ·]+")


def _is_han(char: str) -> bool:
    """A Chinese character, including the rare ones in CJK extensions, and 〇."""
    name = unicodedata.name(char, "")
    return name.startswith(("CJK UNIFIED IDEOGRAPH", "CJK COMPATIBILITY IDEOGRAPH")) or (
        char == "〇"
    )


def _is_latin(char: str) -> bool:
    return char.isalpha() and unicodedata.name(char, "").startswith("LATIN")


def _allowed(char: str) -> bool:
    # Hyphens and apostrophes join Latin names (Jean-Luc, O'Brien) as passports print them.
    return char in (" ", DOT, "-", "'") or _is_han(char) or _is_latin(char)


def normalise_name(raw: str) -> str:
    """Fold full-width forms, unify the dots, trim and squeeze spaces."""
    text = squeeze_spaces(fold(raw).translate(_DOT_VARIANTS))
    return _SPACED_DOT.sub(DOT, text)


def parse_name(raw: str, *, field: str = "name") -> str:
    """Normalise a typed name and check it is 1-40 letters of a real name."""
    name = normalise_name(raw)
    if not name:
        raise InvalidInput.single(field, "required", N_("Please enter the name as on the ID card"))
    if len(name) > MAX_LENGTH:
        raise InvalidInput.single(
            field,
            "length",
            N_("A name has at most 40 characters; you entered {length}"),
            length=len(name),
        )
    for char in name:
        if char.isdigit():
            raise InvalidInput.single(
                field, "format", N_("A name cannot contain digits such as '{char}'"), char=char
            )
        if not _allowed(char):
            raise InvalidInput.single(
                field, "format", N_("'{char}' cannot be part of a name"), char=char
            )
    if name.startswith(DOT) or name.endswith(DOT) or DOT * 2 in name:
        raise InvalidInput.single(
            field, "format", N_("The dot '·' goes between two parts of a name")
        )
    return name


def mask_name(name: str) -> str:
    """Hide all but the first character: '张*', '欧***'; 'J*** S****' for Latin names.

    Latin names keep each word's initial, as a checkpoint operator compares them with
    a passport; a one-character name is fully hidden.
    """
    if len(name) <= 1:
        return "*" * len(name)
    if any(_is_han(char) for char in name):
        return name[0] + "*" * (len(name) - 1)
    return _LATIN_WORD.sub(lambda m: m.group()[0] + "*" * (len(m.group()) - 1), name)
