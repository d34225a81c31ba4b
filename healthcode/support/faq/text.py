"""The assistant's reading of a question: normalise, segment, and canonicalise.

Pure functions over a ``Lexicon`` (data from faq.yaml), plus jieba for Chinese word
segmentation, loaded lazily on first use. ``healthcode.support.faq.engine`` ranks what
these produce.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import unicodedata
import warnings
from collections.abc import Callable, Sequence
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

Lang = Literal["zh", "en"]
LANGS: Final[tuple[Lang, ...]] = ("zh", "en")
MAX_QUERY_CHARS: Final = 200

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[a-z0-9]+")
_WORD_CHAR = re.compile(r"\w")

Cut = Callable[[str], list[str]]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class Lexicon(BaseModel):
    """Search vocabulary of one language (``lexicon`` in faq.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)  # lax: lists become sets
    words: tuple[Text, ...] = ()  # kept whole by jieba; also topics
    topics: tuple[Text, ...] = ()
    stop_words: frozenset[Text] = frozenset()
    synonyms: dict[str, tuple[Text, ...]] = {}
    typos: dict[str, Text] = {}
    phrases: dict[str, Text] = {}  # several words read as one: "log out" → logout
    # canonical question word → what is asked (怎么 → how, 多久 → when): the intent an
    # entry's own question must share to be preferred; never a topic
    intents: dict[str, Text] = {}
    # words of other services' business (好吃, 话费, buy): a question with one must be
    # mostly explained by an entry, not merely touch a topic word such as 手机
    off_topic: frozenset[Text] = frozenset()


def normalise(text: str, lexicon: Lexicon) -> str:
    """Fold widths and case, cap the length, fix common IME slips (黄吗 → 黄码) and
    join phrases (log out → logout)."""
    text = unicodedata.normalize("NFKC", text).lower().strip()[:MAX_QUERY_CHARS]
    for wrong, right in lexicon.typos.items():
        text = text.replace(wrong, right)
    for phrase, word in lexicon.phrases.items():
        text = text.replace(phrase, f" {word} ")
    return text


def script_of(text: str) -> Lang:
    """Which index a query belongs to: residents type Chinese in the English UI too."""
    cjk = len(_CJK.findall(text))
    return "zh" if cjk and cjk >= len(_WORD.findall(text.lower())) else "en"


def stem(word: str) -> str:
    """A light English stemmer: enough to join expired/expires/expire, codes/code."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        word = word[:-1]
    if len(word) > 5 and word.endswith("ing"):
        return word[:-3]
    if len(word) > 4 and word.endswith("ed"):
        word = word[:-2]
    return word[:-1] if len(word) > 4 and word.endswith("e") else word


def tokenize_en(text: str, lexicon: Lexicon) -> list[str]:
    tokens: list[str] = []
    for word in _WORD.findall(normalise(text, lexicon)):
        if word not in lexicon.stop_words and (len(word) > 1 or word.isdigit()):
            tokens.extend(stem(w) for w in lexicon.synonyms.get(word, (word,)))
    return tokens


def tokenize_zh(text: str, lexicon: Lexicon, cut: Cut) -> list[str]:
    """Segment with ``cut`` (jieba in production), drop stop words and punctuation,
    and map colloquial forms onto one spelling (黄 → 黄码, 咋 → 怎么, 变绿 → 转 绿码)."""
    tokens: list[str] = []
    for piece in (p.strip() for p in cut(normalise(text, lexicon))):
        if piece and piece not in lexicon.stop_words and _WORD_CHAR.search(piece):
            tokens.extend(lexicon.synonyms.get(piece, (piece,)))
    return tokens


_jieba_lock = threading.Lock()


@functools.cache
def _jieba(words: tuple[str, ...]) -> Any:
    """A jieba tokenizer knowing our words, built once (its dictionary takes ~0.5 s).

    Private, so our words do not leak into other users of jieba's global one."""
    with warnings.catch_warnings():  # jieba imports the deprecated pkg_resources
        warnings.simplefilter("ignore")
        import jieba
    jieba.setLogLevel(logging.WARNING)  # its import logs at DEBUG to stderr
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in words:
        tokenizer.add_word(word)
    return tokenizer


def jieba_cut(words: Sequence[str]) -> Cut:
    """Segmentation for search (健康码 → 健康, 健康码), loading jieba on first use."""
    key = tuple(words)

    def cut(text: str) -> list[str]:
        with _jieba_lock:  # functools.cache alone would let two threads build it
            tokenizer = _jieba(key)
        return list(tokenizer.lcut_for_search(text))

    return cut
