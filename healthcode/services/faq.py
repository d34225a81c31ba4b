"""Help-centre FAQ: load the bilingual entries and answer residents' questions.

Seed 003 §四.四: questions go to an online assistant first, and what it cannot answer
goes to the 12345 mayor's hotline. So the search must also say when it is *not* sure;
the caller then shows ``HOTLINE`` rather than a wrong answer.

Ranking is BM25 over two fields per entry — question plus paraphrases, and answer —
the question field weighted higher. Confidence is not the raw BM25 score (that grows
with query length) but ``Coverage``: how much of the query the best entry explains.
The vocabulary (jieba words, topics, stop words, synonyms, typos) is data in faq.yaml;
the functions that use it are pure, and only ``load_faq`` and jieba touch files.
"""

from __future__ import annotations

import functools
import logging
import math
import re
import threading
import unicodedata
import warnings
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from rank_bm25 import BM25Okapi
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

Lang = Literal["zh", "en"]
LANGS: Final[tuple[Lang, ...]] = ("zh", "en")
HOTLINE: Final = "12345"
MAX_QUERY_CHARS: Final = 200

# Calibrated on the question tables in tests/services/test_faq.py (see Coverage).
QUESTION_WEIGHT: Final = 1.0
ANSWER_WEIGHT: Final = 0.3
ANSWER_ONLY_CREDIT: Final = 0.5  # a query word found only in the answer counts half
MIN_TOPICAL_SHARE: Final = 0.1
MIN_SHARE: Final = 0.75
MIN_EVIDENCE: Final = 2.5

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[a-z0-9]+")
_WORD_CHAR = re.compile(r"\w")

Cut = Callable[[str], list[str]]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(?:-[a-z0-9]+)*$")]
Phrases = Annotated[list[Text], Field(min_length=2, max_length=5)]


class FaqDataError(ValueError):
    """The FAQ file is malformed; the message names the file and the entry."""


class Texts(TypedDict):
    zh: Text
    en: Text


class Paraphrases(TypedDict):
    zh: Phrases
    en: Phrases


class _Strict(BaseModel):
    # extra="forbid" catches a misspelt key (alt_question) instead of ignoring it.
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class FaqSection(_Strict):
    id: Slug
    title: Texts


class FaqEntry(_Strict):
    id: Slug
    section: str
    question: Texts
    answer: Texts
    alt_questions: Paraphrases
    tags: list[Text] = []


class Lexicon(BaseModel):
    """Search vocabulary of one language (``lexicon`` in faq.yaml)."""

    model_config = ConfigDict(extra="forbid", frozen=True)  # lax: lists become sets
    words: tuple[Text, ...] = ()  # kept whole by jieba; also topics
    topics: tuple[Text, ...] = ()
    stop_words: frozenset[Text] = frozenset()
    synonyms: dict[str, tuple[Text, ...]] = {}
    typos: dict[str, Text] = {}


@dataclass(frozen=True)
class FaqItem:
    """One entry in one language, for the help page."""

    id: str
    question: str
    answer: str

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.answer.split("\n\n") if p.strip()]


@dataclass(frozen=True)
class FaqSectionView:
    id: str
    title: str
    items: tuple[FaqItem, ...]


@dataclass(frozen=True)
class FaqMatch:
    entry_id: str
    section: str
    question: str
    answer: str
    score: float  # BM25, for ordering only
    coverage: float  # 0..1, share of the query's information this entry explains


@dataclass(frozen=True)
class FaqAnswer:
    query: str  # as searched: capped at MAX_QUERY_CHARS
    lang: Lang
    matches: tuple[FaqMatch, ...]
    confident: bool

    @property
    def best(self) -> FaqMatch | None:
        return self.matches[0] if self.matches and self.confident else None

    @property
    def hotline(self) -> str | None:
        """The number to show when the assistant cannot answer (seed 003 §四.四)."""
        return None if self.confident else HOTLINE


def normalise(text: str, lexicon: Lexicon) -> str:
    """Fold widths and case, cap the length, and fix common IME slips (黄吗 → 黄码)."""
    text = unicodedata.normalize("NFKC", text).lower().strip()[:MAX_QUERY_CHARS]
    for wrong, right in lexicon.typos.items():
        text = text.replace(wrong, right)
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


@dataclass(frozen=True)
class SearchIndex:
    questions: Any  # BM25Okapi over question + paraphrases
    answers: Any  # BM25Okapi over the answer
    question_vocab: tuple[frozenset[str], ...]
    answer_vocab: tuple[frozenset[str], ...]
    idf: Mapping[str, float]  # smoothed, always positive, over whole entries
    topics: frozenset[str]


@dataclass(frozen=True)
class Coverage:
    """How well one entry explains a query; decides ``FaqAnswer.confident``.

    Overlap alone cannot tell "股票怎么买" (shares a rare 买 with "买退烧药") from
    "绿码可以到处走吗" (two words the FAQ never uses), so a matched topic word
    (黄码, 通行卡, 签发人, login…) lowers the bar; without one, most of the query
    must be explained, by more than a bare "怎么办"."""

    share: float  # of the query's IDF mass found in the entry
    evidence: float  # that mass itself
    topical: bool  # a topic word of the query is in the entry

    @property
    def confident(self) -> bool:
        if self.topical:
            return self.share >= MIN_TOPICAL_SHARE
        return self.share >= MIN_SHARE and self.evidence >= MIN_EVIDENCE


def _idf(docs: int, containing: int) -> float:
    return math.log(1 + (docs - containing + 0.5) / (containing + 0.5))


def build_index(
    question_docs: Sequence[list[str]], answer_docs: Sequence[list[str]], topics: frozenset[str]
) -> SearchIndex:
    vocab_q = tuple(frozenset(d) for d in question_docs)
    vocab_a = tuple(frozenset(d) for d in answer_docs)
    counts = Counter(t for q, a in zip(vocab_q, vocab_a, strict=True) for t in q | a)
    return SearchIndex(  # "\0" keeps an empty field from dividing by zero in BM25
        questions=BM25Okapi([d or ["\0"] for d in question_docs], b=0.5),
        answers=BM25Okapi([d or ["\0"] for d in answer_docs]),
        question_vocab=vocab_q,
        answer_vocab=vocab_a,
        idf={t: _idf(len(vocab_q), c) for t, c in counts.items()},
        topics=topics,
    )


def coverage(index: SearchIndex, doc: int, tokens: Sequence[str]) -> Coverage:
    total = found = 0.0
    topical = False
    unknown = _idf(len(index.question_vocab), 0)
    for term in set(tokens):
        weight = index.idf.get(term, unknown)
        total += weight
        if term in index.question_vocab[doc]:
            found += weight
        elif term in index.answer_vocab[doc]:
            found += weight * ANSWER_ONLY_CREDIT
        else:
            continue
        topical = topical or term in index.topics
    return Coverage(found / total if total else 0.0, found, topical)


def rank(index: SearchIndex, tokens: Sequence[str], limit: int) -> list[tuple[int, float]]:
    """Entries (position, score) with a positive score, best first."""
    if not tokens or limit < 1:
        return []
    scores = QUESTION_WEIGHT * np.asarray(index.questions.get_scores(list(tokens)))
    scores += ANSWER_WEIGHT * np.asarray(index.answers.get_scores(list(tokens)))
    order = np.argsort(-scores, kind="stable")[:limit]
    return [(int(i), float(scores[i])) for i in order if scores[i] > 0]


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


class Faq:
    """The loaded FAQ: the help page by section, and question answering.

    Each language's index is built on first use (or by ``warm_up``) and then shared
    by all threads; a query after that costs well under a millisecond."""

    def __init__(
        self,
        sections: Sequence[FaqSection],
        entries: Sequence[FaqEntry],
        lexicons: Mapping[Lang, Lexicon],
    ) -> None:
        self.sections = tuple(sections)
        self._entries = tuple(entries)
        self._by_id = {e.id: e for e in self._entries}
        self._lexicons = {lang: lexicons.get(lang, Lexicon()) for lang in LANGS}
        self._cut = jieba_cut(self._lexicons["zh"].words)
        self._indexes: dict[Lang, SearchIndex] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def entry(self, entry_id: str) -> FaqEntry:
        return self._by_id[entry_id]

    def entries(self, lang: Lang) -> list[FaqSectionView]:
        """Entries grouped by section, in file order; empty sections left out."""
        views = []
        for section in self.sections:
            items = tuple(
                FaqItem(e.id, e.question[lang], e.answer[lang])
                for e in self._entries
                if e.section == section.id
            )
            if items:
                views.append(FaqSectionView(section.id, section.title[lang], items))
        return views

    def answer(self, question: str, *, lang: Lang, limit: int = 3) -> FaqAnswer:
        """The best entries for ``question``, rendered in ``lang`` whatever language
        it was asked in. Never raises on input: empty, huge or nonsense questions
        come back not confident, and the caller shows ``HOTLINE``."""
        text = question[:MAX_QUERY_CHARS] if isinstance(question, str) else ""
        script = script_of(text)
        tokens = self.tokenize(text, script)
        index = self._index(script)
        ranked = rank(index, tokens, max(limit, 1))
        confident = bool(ranked) and coverage(index, ranked[0][0], tokens).confident
        matches = []
        for doc, score in ranked[: max(limit, 0)]:
            e, share = self._entries[doc], coverage(index, doc, tokens).share
            matches.append(
                FaqMatch(e.id, e.section, e.question[lang], e.answer[lang], score, share)
            )
        return FaqAnswer(text, lang, tuple(matches), confident)

    def tokenize(self, text: str, script: Lang) -> list[str]:
        if script == "zh":
            return tokenize_zh(text, self._lexicons["zh"], self._cut)
        return tokenize_en(text, self._lexicons["en"])

    def warm_up(self) -> None:
        """Build both indexes now (at start-up) rather than on the first question."""
        for lang in LANGS:
            self._index(lang)

    def _index(self, script: Lang) -> SearchIndex:
        index = self._indexes.get(script)
        if index is None:
            with self._lock:
                index = self._indexes.get(script) or self._build(script)
                self._indexes[script] = index
        return index

    def _build(self, script: Lang) -> SearchIndex:
        # The main question counts twice: it is the entry's own, most careful wording.
        questions = [
            self.tokenize(" ".join([e.question[script]] * 2 + e.alt_questions[script]), script)
            for e in self._entries
        ]
        answers = [self.tokenize(e.answer[script], script) for e in self._entries]
        lexicon = self._lexicons[script]
        topics = (*lexicon.words, *lexicon.topics)
        if script == "en":
            canonical = {t for w in topics for t in tokenize_en(w, lexicon)}
        else:
            canonical = {t for w in topics for t in lexicon.synonyms.get(w, (w,))}
        return build_index(questions, answers, frozenset(canonical))


def load_faq(path: str | Path | None = None) -> Faq:
    """Read and validate the FAQ file (the packaged one by default).

    Raises ``FaqDataError`` naming the entry at fault, so a content edit that breaks
    the help centre fails at start-up and in CI, not in front of a resident."""
    if path is None:
        source = "healthcode/data/faq.yaml"
        text = resources.files("healthcode").joinpath("data/faq.yaml").read_text("utf-8")
    else:
        source, text = str(path), Path(path).read_text(encoding="utf-8")
    return parse_faq(text, source=source)


@functools.cache
def default_faq() -> Faq:
    """The packaged FAQ, loaded once per process."""
    return load_faq()


def parse_faq(text: str, *, source: str = "faq.yaml") -> Faq:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise FaqDataError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(raw, dict):
        raise FaqDataError(f"{source}: expected a mapping with 'sections' and 'entries'")
    try:
        doc = _FaqFile.model_validate(raw)
    except ValidationError as exc:
        raise _located(exc, raw, source) from exc
    section_ids = [s.id for s in doc.sections]
    for kind, ids in (("section", section_ids), ("entry", [e.id for e in doc.entries])):
        if duplicate := next((i for i in ids if ids.count(i) > 1), None):
            raise FaqDataError(f"{source}: {kind} {duplicate!r}: duplicate id")
    for entry in doc.entries:
        if entry.section not in section_ids:
            raise FaqDataError(f"{source}: entry {entry.id!r}: unknown section {entry.section!r}")
    return Faq(doc.sections, doc.entries, doc.lexicon)


class _FaqFile(_Strict):
    version: int = 1
    sections: Annotated[list[FaqSection], Field(min_length=1)]
    entries: Annotated[list[FaqEntry], Field(min_length=1)]
    lexicon: dict[Lang, Lexicon] = {}


def _located(exc: ValidationError, raw: dict[str, Any], source: str) -> FaqDataError:
    """Every error, naming the entry by its id, which is what an editor searches for."""
    problems = []
    for error in exc.errors():
        loc, where = list(error["loc"]), source
        if len(loc) > 1 and loc[0] in ("sections", "entries") and isinstance(loc[1], int):
            item = raw[str(loc[0])][loc[1]]
            item_id = item.get("id") if isinstance(item, dict) else None
            kind = "section" if loc[0] == "sections" else "entry"
            where += (
                f": {kind} {item_id!r}" if isinstance(item_id, str) else f": {kind} #{loc[1] + 1}"
            )
            loc = loc[2:]
        message = error["msg"]
        if isinstance(error.get("input"), bool):
            message += " (YAML reads a bare yes/no/on/off as a boolean: quote it)"
        path = ".".join(str(part) for part in loc)
        problems.append(f"{where}: {path}: {message}" if path else f"{where}: {message}")
    return FaqDataError("; ".join(problems))
