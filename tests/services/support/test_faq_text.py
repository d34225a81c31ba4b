"""The FAQ's words: normalising, segmenting Chinese, stemming English, the script."""

from __future__ import annotations

import pytest

from healthcode.support.faq.text import (
    MAX_QUERY_CHARS,
    Lexicon,
    script_of,
    stem,
    tokenize_en,
    tokenize_zh,
)


class TestText:
    LEXICON = Lexicon(
        stop_words=frozenset({"的", "吗", "the", "is"}),
        synonyms={
            "黄": ("黄码",),
            "变绿": ("转", "绿码"),
            "colour": ("colour",),
            "color": ("colour",),
        },
        typos={"黄吗": "黄码"},
    )

    def test_zh_tokens_are_canonical(self) -> None:
        tokens = tokenize_zh("黄的 变绿 吗 ？", self.LEXICON, str.split)
        assert tokens == ["黄的", "转", "绿码"]
        assert tokenize_zh("黄 吗", self.LEXICON, str.split) == ["黄码"]

    def test_typos_are_fixed_before_segmentation(self) -> None:
        assert tokenize_zh("黄吗", self.LEXICON, lambda s: [s]) == ["黄码"]

    def test_en_tokens(self) -> None:
        assert tokenize_en("Is the COLOR of codes expired?", self.LEXICON) == [
            "colour",
            "of",
            "code",
            "expir",
        ]

    def test_input_is_capped(self) -> None:
        assert len(tokenize_en("a b " + "x" * 1000, Lexicon())) == 1
        assert len(tokenize_en("word " * 1000, Lexicon())) == MAX_QUERY_CHARS // 5

    @pytest.mark.parametrize(
        ("word", "stemmed"),
        [
            ("expired", "expir"),
            ("expires", "expir"),
            ("codes", "code"),
            ("pass", "pass"),
            ("passes", "pass"),
            ("yellow", "yellow"),
            ("red", "red"),
        ],
    )
    def test_stem(self, word: str, stemmed: str) -> None:
        assert stem(word) == stemmed

    @pytest.mark.parametrize(
        ("text", "script"),
        [
            ("黄码", "zh"),
            ("yellow code", "en"),
            ("QR code 是什么", "zh"),
            ("", "en"),
            ("my 码 expired", "en"),
        ],
    )
    def test_script_of(self, text: str, script: str) -> None:
        assert script_of(text) == script
