"""Help-centre FAQ: load the bilingual entries and answer residents' questions.

Seed 003 §四.四: questions go to an online assistant first, and what it cannot answer
goes to the 12345 mayor's hotline. So the search must also say when it is *not* sure;
the caller then shows ``HOTLINE`` rather than a wrong answer.

Ranking is BM25 over two fields per entry — question plus paraphrases, and answer —
the question field weighted higher, then nudged towards entries whose own question
asks what the query asks (its intent: how, why, when, where) and is mostly asked.
Confidence is not the raw BM25 score (that grows with query length) but ``Coverage``:
how much of the query the best entry explains. The vocabulary (jieba words, topics,
stop words, synonyms, typos, phrases, intents, off-topic words) is data in faq.yaml,
read by ``faq_text``; the functions are pure, and only ``load_faq`` and jieba touch
files."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Final

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError
from typing_extensions import TypedDict  # pydantic needs this one before Python 3.12

from healthcode.support.faq.search import SearchIndex, Vocabulary, build_index, coverage, rank
from healthcode.support.faq.text import (
    LANGS,
    MAX_QUERY_CHARS,
    Lang,
    Lexicon,
    Text,
    jieba_cut,
    script_of,
    tokenize_en,
    tokenize_zh,
)

HOTLINE: Final = "12345"
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
        vocabulary = self._vocabulary(script)
        intents = [
            vocabulary.intents_of(self.tokenize(e.question[script], script)) for e in self._entries
        ]
        heads = [frozenset(self.tokenize(e.question[script], script)) for e in self._entries]
        return build_index(questions, answers, vocabulary, intents, heads)

    def _vocabulary(self, script: Lang) -> Vocabulary:
        lexicon = self._lexicons[script]

        def canonical(words: Iterable[str]) -> frozenset[str]:
            if script == "en":
                return frozenset(t for w in words for t in tokenize_en(w, lexicon))
            return frozenset(t for w in words for t in lexicon.synonyms.get(w, (w,)))

        intents = {t: intent for w, intent in lexicon.intents.items() for t in canonical([w])}
        topics = canonical((*lexicon.words, *lexicon.topics)) - intents.keys()
        return Vocabulary(topics, canonical(lexicon.off_topic), intents)


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
