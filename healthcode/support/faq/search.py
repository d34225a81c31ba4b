"""Ranking FAQ entries for a question: BM25 over questions and answers, then how much
of the question an entry explains (coverage), its intent and its topic words."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from rank_bm25 import BM25Okapi

# Calibrated on the question tables in tests/services/support/test_faq.py and the plain
# questions in tests/services/support/faq_questions.yaml (see Coverage).
QUESTION_WEIGHT: Final = 1.0
ANSWER_WEIGHT: Final = 0.3
ANSWER_ONLY_CREDIT: Final = 0.5  # a query word found only in the answer counts half
MIN_TOPICAL_SHARE: Final = 0.1
MIN_SHARE: Final = 0.75
MIN_EVIDENCE: Final = 2.5
# An entry whose own question asks what the query asks (how / why / when / where)
# is preferred: "通行卡多久审核" is about review time, not the pass's validity.
INTENT_BONUS: Final = 0.25
# ...and one whose own question is mostly asked, not only its paraphrases: "为什么是
# 黄码" is "why am I yellow", not "why did it change though I declared nothing".
HEAD_BONUS: Final = 0.3


@dataclass(frozen=True)
class Vocabulary:
    """One language's lexicon in canonical tokens, as the index compares them."""

    topics: frozenset[str]
    off_topic: frozenset[str]
    intents: Mapping[str, str]  # question word → what it asks

    def intents_of(self, tokens: Sequence[str]) -> frozenset[str]:
        return frozenset(self.intents[t] for t in tokens if t in self.intents)


@dataclass(frozen=True)
class SearchIndex:
    questions: Any  # BM25Okapi over question + paraphrases
    answers: Any  # BM25Okapi over the answer
    question_vocab: tuple[frozenset[str], ...]
    answer_vocab: tuple[frozenset[str], ...]
    idf: Mapping[str, float]  # smoothed, always positive, over whole entries
    vocabulary: Vocabulary
    intents: tuple[frozenset[str], ...]  # what each entry's own question asks
    heads: tuple[frozenset[str], ...]  # each entry's own question, as tokens


@dataclass(frozen=True)
class Coverage:
    """How well one entry explains a query; decides ``FaqAnswer.confident``.

    Overlap alone cannot tell "股票怎么买" (shares a rare 买 with "买退烧药") from
    "绿码可以到处走吗" (two words the FAQ never uses), so a matched topic word
    (黄码, 通行卡, 签发人, login…) lowers the bar; without one, most of the query
    must be explained, by more than a bare "怎么办". A word of another service's
    business (好吃, 话费, buy) takes the topic's discount away: "哪个牌子的手机好用"
    touches 手机 but is not about a code."""

    share: float  # of the query's IDF mass found in the entry
    evidence: float  # that mass itself
    topical: bool  # a topic word of the query is in the entry
    off_topic: bool = False  # the query names another service's business

    @property
    def confident(self) -> bool:
        if self.topical and not self.off_topic:
            return self.share >= MIN_TOPICAL_SHARE
        return self.share >= MIN_SHARE and self.evidence >= MIN_EVIDENCE


def _idf(docs: int, containing: int) -> float:
    return math.log(1 + (docs - containing + 0.5) / (containing + 0.5))


def build_index(
    question_docs: Sequence[list[str]],
    answer_docs: Sequence[list[str]],
    vocabulary: Vocabulary,
    intents: Sequence[frozenset[str]] = (),
    heads: Sequence[frozenset[str]] = (),
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
        vocabulary=vocabulary,
        intents=tuple(intents) or (frozenset(),) * len(vocab_q),
        heads=tuple(heads) or (frozenset(),) * len(vocab_q),
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
        topical = topical or term in index.vocabulary.topics
    off_topic = not index.vocabulary.off_topic.isdisjoint(tokens)
    return Coverage(found / total if total else 0.0, found, topical, off_topic)


def _asked_share(index: SearchIndex, head: frozenset[str], tokens: Sequence[str]) -> float:
    """How much of an entry's own question the query asks (IDF-weighted)."""
    total = sum(index.idf.get(t, 0.0) for t in head)
    return sum(index.idf.get(t, 0.0) for t in head if t in tokens) / total if total else 0.0


def rank(index: SearchIndex, tokens: Sequence[str], limit: int) -> list[tuple[int, float]]:
    """Entries (position, score) with a positive score, best first."""
    if not tokens or limit < 1:
        return []
    scores = QUESTION_WEIGHT * np.asarray(index.questions.get_scores(list(tokens)))
    scores += ANSWER_WEIGHT * np.asarray(index.answers.get_scores(list(tokens)))
    if asked := index.vocabulary.intents_of(tokens):
        scores *= [1 + INTENT_BONUS * bool(asked & entry) for entry in index.intents]
    scores *= [1 + HEAD_BONUS * _asked_share(index, head, tokens) for head in index.heads]
    order = np.argsort(-scores, kind="stable")[:limit]
    return [(int(i), float(scores[i])) for i in order if scores[i] > 0]
