"""Which language a request is answered in: ?lang=, the ``lang`` cookie, then the
weights of Accept-Language."""

from __future__ import annotations

import pytest

from healthcode.i18n import negotiate

ACCEPT_LANGUAGE = [
    (None, "zh"),
    ("", "zh"),
    ("en", "en"),
    ("en-US,en;q=0.9", "en"),
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
    ("en;q=0.1, zh;q=0.9", "zh"),  # read English: the first tag won whatever its weight
    ("en;q=0, zh", "zh"),  # q=0: not acceptable at all
    ("zh;q=0, en", "en"),
    ("en;q=0", "zh"),  # nothing acceptable: the default
    ("fr", "zh"),
    ("fr, en;q=0.5", "en"),
    ("de, zh;q=0.2, en;q=0.3", "en"),
    ("en, zh", "en"),  # a tie: the one named first
    ("zh;q=0.5, en;q=0.5", "zh"),
    ("en;q=0.500, zh;q=0.5", "en"),
    ("en;q=0.8, zh-TW;q=0.9", "zh"),
    ("en-GB;q=0, en;q=0.8, zh;q=0.5", "en"),
    ("EN;Q=0.9, zh;q=0.8", "en"),
    (" en ; q=0.9 ,zh ; q=0.8", "en"),
    ("*", "zh"),
    ("en;q=0.5, *;q=0.9", "zh"),  # the wildcard: any language not named
    ("zh;q=0, *", "en"),
    ("en;q=abc, zh;q=0.1", "zh"),  # not a qvalue: not acceptable
    ("en;q=1.5, zh;q=0.1", "zh"),
    ("en;q=-1, zh;q=0.1", "zh"),
    ("en;q=nan, zh;q=0.1", "zh"),
    ("en;q=0.0001, zh;q=0", "zh"),  # four decimals is no qvalue: nothing acceptable
    (",;q=1,,en;level=1", "en"),
]


@pytest.mark.parametrize(("accept", "expected"), ACCEPT_LANGUAGE)
def test_accept_language_by_its_weights(accept: str | None, expected: str) -> None:
    assert negotiate(None, None, accept) == expected


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        (None, "en", "zh", "en"),  # the cookie (the switch) still wins
        (None, "zh", "en;q=1, zh;q=0", "zh"),
        ("zh", "en", "en", "zh"),  # ?lang= beats the cookie
        (None, "fr", "en", "en"),  # a cookie of no language we speak is ignored
        ("fr", None, "en;q=0.2, zh;q=0.3", "zh"),
    ],
)
def test_the_switch_beats_the_header(
    query: str | None, cookie: str | None, accept: str, expected: str
) -> None:
    assert negotiate(query, cookie, accept) == expected
