"""The edge keys a client's budgets and in-flight cap on the session exactly as
authentication reads it: a cookie header the standard library's parser gave up on
(``a="b; hc_session=…``) counted as no session at the edge while authentication
still found the session, so 16 parallel QR requests all got through (found by
probing a served app from outside)."""

from __future__ import annotations

import hashlib

import pytest
from starlette.requests import Request
from starlette.types import Scope

from healthcode.http.asgi import session_hash
from healthcode.http.middleware import request_language

TOKEN = "t0k3n-of-a-resident"


def scope_with(cookie: str) -> Scope:
    return {"type": "http", "headers": [(b"cookie", cookie.encode("latin-1"))], "query_string": b""}


@pytest.mark.parametrize(
    "cookie",
    [
        f"hc_session={TOKEN}",
        f'a="b; hc_session={TOKEN}',
        f"a=b c; hc_session={TOKEN}",
        f"\x00; hc_session={TOKEN}",
        f"a,b=1; hc_session={TOKEN}",
        f'hc_session={TOKEN}; lang=en; x="unterminated',
    ],
)
def test_the_session_the_edge_counts_is_the_one_authentication_finds(cookie: str) -> None:
    scope = scope_with(cookie)
    assert Request(scope).cookies.get("hc_session") == TOKEN  # what signs the caller in
    assert session_hash(scope) == hashlib.sha256(TOKEN.encode()).digest()


def test_the_language_cookie_is_read_from_a_malformed_header_too() -> None:
    assert request_language(scope_with('a="b; lang=en')) == "en"
