"""Translation at the edge: English message ids in, the request's language out.

Simplified Chinese is the default; English is the switch. The catalog is a gettext
.po file read with Babel at start-up (no compile step). The language of the current
request lives in a context variable, never in shared state.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from contextvars import ContextVar
from functools import cache
from importlib import resources

from babel.messages.pofile import read_po

from healthcode.domain.i18n import Words

LANGUAGES = ("zh", "en")
DEFAULT = "zh"
_current: ContextVar[str] = ContextVar("language", default=DEFAULT)
_QVALUE = re.compile(r"0(\.[0-9]{0,3})?|1(\.0{0,3})?")  # RFC 9110 §12.4.2


@cache
def catalog(lang: str) -> Mapping[str, str]:
    if lang == "en":
        return {}
    path = resources.files("healthcode") / "locale" / lang / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        po = read_po(handle, locale="zh_Hans_CN")
    return {
        m.id: m.string
        for m in po
        if isinstance(m.id, str) and m.id and isinstance(m.string, str) and m.string
    }


def language() -> str:
    return _current.get()


def set_language(lang: str) -> None:
    _current.set(lang if lang in LANGUAGES else DEFAULT)


def negotiate(query: str | None, cookie: str | None, accept: str | None) -> str:
    """?lang= beats the cookie, which beats Accept-Language; Chinese by default."""
    for choice in (query, cookie):
        if choice in LANGUAGES:
            return choice
    return _preferred(accept or "")


def _preferred(accept: str) -> str:
    """The language Accept-Language weighs highest (RFC 9110 §12.5.4): ``q=0`` is not
    acceptable, a tie goes to the one named first, ``*`` stands for the languages not
    named; none acceptable: the default. The first ``en`` or ``zh`` tag used to win
    whatever its weight, so ``en;q=0, zh`` read English."""
    ranges = [_language_range(part) for part in accept.split(",")]
    named = {language for language, _ in ranges if language in LANGUAGES}
    best, weight = DEFAULT, 0.0
    for language, q in ranges:
        meant = [lang for lang in LANGUAGES if lang not in named] if language == "*" else [language]
        for choice in meant:
            if choice in LANGUAGES and q > weight:
                best, weight = choice, q
    return best


def _language_range(part: str) -> tuple[str, float]:
    """One range of the header: its primary language (``zh`` of ``zh-CN``) and its
    weight, 1 when not given and 0 (not acceptable) when not a valid qvalue."""
    tag, *params = part.split(";")
    q = 1.0
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            value = value.strip()
            q = float(value) if _QVALUE.fullmatch(value) else 0.0
    return tag.strip().lower().split("-", 1)[0], q


def gettext(message: str) -> str:
    return catalog(language()).get(message, message) if message else message


def translate(message: str, params: Mapping[str, object] | None = None) -> str:
    """The message in the request's language; a parameter marked ``Words`` (a name
    the domain gives as a message id) is translated too."""
    text = gettext(message)
    if not params:
        return text
    return text.format(**{k: _word(v) for k, v in params.items()})


def _word(value: object) -> object:
    """A ``Words`` parameter translated, a policy's {zh, en} texts picked."""
    if isinstance(value, Words):
        return gettext(value)
    if isinstance(value, Mapping):
        return pick(value)
    return value


def pick(texts: Mapping[str, str] | None) -> str:
    """Choose from a policy's {zh, en} texts."""
    if not texts:
        return ""
    return texts.get(language()) or texts.get(DEFAULT, "")
