"""Logging: structured, to stderr, and never a whole ID or mobile number.

Every log line passes through a processor that masks anything shaped like an
18-character ID number or an 11-digit mainland mobile (with or without +86/0086,
grouped with spaces or dashes), whatever the field, so a careless
``log.info(..., data=payload)`` cannot leak one.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any, TextIO, cast

import structlog

_SEP = r"[ \-]?"  # people and forms write numbers in groups: "138 1234 1234", "370102-1990…"
_ID_NUMBER = re.compile(rf"(?<![0-9A-Za-z])\d(?:{_SEP}\d){{16}}{_SEP}[\dXx](?![0-9A-Za-z])")
_MOBILE = re.compile(
    rf"(?<![0-9A-Za-z+])(?:(?:\+|00)?86{_SEP})?(?P<national>1[3-9]\d{_SEP}\d{{4}}{_SEP}\d{{4}})(?!\d)"
)


def _star(text: str, head: int, tail: int) -> str:
    """Replace every digit but the first ``head`` and last ``tail`` with *, keeping
    the separators so a log line still reads the way it was written."""
    positions = [i for i, c in enumerate(text) if c.isalnum()]
    hidden = set(positions[head : len(positions) - tail])
    return "".join("*" if i in hidden else c for i, c in enumerate(text))


def mask_text(text: str) -> str:
    text = _ID_NUMBER.sub(lambda m: _star(m[0], 4, 4), text)
    return _MOBILE.sub(
        lambda m: m[0][: m.start("national") - m.start()] + _star(m["national"], 3, 4), text
    )


def _mask(value: Any) -> Any:
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        return {k: _mask(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_mask(v) for v in value)
    return value


def mask_personal_numbers(
    _logger: Any, _method: str, event: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    return {key: _mask(value) for key, value in event.items()}


def configure_logging(*, json: bool = False, level: int = logging.INFO) -> None:
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            mask_personal_numbers,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=cast(TextIO, _Stderr())),
        cache_logger_on_first_use=False,
    )


@contextmanager
def quiet_logs() -> Iterator[None]:
    """Only warnings while a bulk job runs (the demo, a benchmark's thousands of
    sign-ins): its own summary says what happened."""
    previous = structlog.get_config()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    try:
        yield
    finally:
        structlog.configure(**previous)


class _Stderr:
    """Whatever ``sys.stderr`` is when a line is written, not when logging was set up:
    a test runner (or a CLI runner) that swaps and closes stderr must not leave every
    later log line writing to a closed file."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()
