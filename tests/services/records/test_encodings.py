"""Which of UTF-8 and GBK a line is in: a word of another script written in UTF-8,
whose bytes GBK reads as everyday Chinese characters, is read as UTF-8."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from healthcode.services.records import encodings
from healthcode.services.records.encodings import detect_encoding

CYRILLIC = "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
GREEK = "αβγδεζηθικλμνξοπρστυφχψωάέήίόύώ"


def _words(letters: str) -> st.SearchStrategy[str]:
    word = st.text(alphabet=letters, min_size=4, max_size=12)
    return st.one_of(word, word.map(str.capitalize), word.map(str.upper))


@given(word=st.one_of(_words(CYRILLIC), _words(GREEK)), column=st.sampled_from(["", "CC-1,"]))
def test_a_word_of_four_letters_or_more_in_utf8_is_read_as_utf8(word: str, column: str) -> None:
    """Lowercase Cyrillic from а to п is, byte for byte, GB2312's everyday 懈胁邪…:
    "иванов" was read as GBK. A run of Chinese characters that spells a word of one
    script, four letters or more, is that word misread."""
    line = f"{column}{word}\n".encode()
    assert detect_encoding(line).encoding == "utf-8"
    assert line.decode("utf-8").removeprefix(column).strip() == word


# The stretches the scoring reads, as first written: its greedy run of letters was
# tried at every letter of a long ASCII run (a 200,000-character note after a name
# took 90 s); the pattern now starts only where such a run starts.
_PLAIN_TOKEN = re.compile(r"[A-Za-z0-9]*[^\x00-\x7f]+(?:[A-Za-z0-9]+[^\x00-\x7f]+)*[A-Za-z0-9]*")


@given(text=st.text(alphabet="ab1Z ,.-_张三éЖ\u00a0", max_size=40))
def test_the_scored_stretches_are_those_of_the_plain_pattern(text: str) -> None:
    found = [(m.start(), m.group()) for m in encodings._TOKEN.finditer(text)]
    assert found == [(m.start(), m.group()) for m in _PLAIN_TOKEN.finditer(text)]
