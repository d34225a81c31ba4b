"""Properties over generated claims and edits: round trips, and no edit ever passes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import cache

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from healthcode.domain.clock import TZ
from healthcode.domain.tokens import (
    SIGNABLE_COLOURS,
    TOKEN_ID_BYTES,
    CodeClaims,
    KeyRing,
    Purpose,
    Refusal,
    TrustStore,
    generate_key,
    issue_token,
    verify_token,
)
from healthcode.domain.tokens.base45 import CHARSET
from tests.domain.tokens.factory import NOW, claims

EPOCH = datetime(2020, 1, 1, tzinfo=UTC)
ALL = frozenset(Purpose)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@cache
def keys() -> KeyRing:
    return KeyRing.new(EPOCH)


@cache
def trusted() -> TrustStore:
    return TrustStore(keys().trusted(EPOCH))


names = st.text(st.sampled_from("张王李赵欧阳司马·*"), min_size=0, max_size=6) | st.text(
    st.characters(codec="utf-8", categories=["L", "N", "P", "Zs"]), max_size=8
)
words = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=16)
moments = st.datetimes(
    min_value=datetime(2020, 1, 2),
    max_value=datetime(2100, 1, 1),
    timezones=st.sampled_from([UTC, TZ]),
)


@st.composite
def code_claims(draw: st.DrawFn) -> CodeClaims:
    issued = draw(moments)
    until = draw(st.integers(1, 400 * 86_400))  # a pass that ended is refused: see test_verify
    return CodeClaims(
        issuer=draw(words),
        purpose=draw(st.sampled_from([Purpose.DISPLAY, Purpose.PAPER])),
        token_id=draw(st.binary(min_size=TOKEN_ID_BYTES, max_size=TOKEN_ID_BYTES)),
        issued_at=issued,
        expires_at=issued + timedelta(seconds=draw(st.integers(1, 400 * 86_400))),
        colour=draw(st.sampled_from(sorted(SIGNABLE_COLOURS))),
        policy=draw(words),
        policy_version=draw(words),
        pass_valid_until=draw(st.none() | st.just(issued + timedelta(seconds=until))),
        resident_ref=draw(words),
        masked_name=draw(names),
        masked_id=draw(st.from_regex(r"\A([0-9]{4}\*{10}[0-9]{3}[0-9X])?\Z")),
    )


@FAST
@given(code_claims())
def test_any_claims_round_trip(code: CodeClaims) -> None:
    text = issue_token(code, keys().signer(code.issued_at))
    result = verify_token(text, trust=trusted(), now=code.issued_at, purposes={code.purpose})
    assert result.ok, result.reason
    assert result.claims == code


@cache
def samples() -> tuple[str, ...]:
    """Tokens of different shapes: display, paper, no pass validity, long CJK fields."""
    key = keys().signer(NOW)
    return (
        issue_token(claims(), key),
        issue_token(claims(Purpose.PAPER), key),
        issue_token(claims(pass_valid_until=None), key),
        issue_token(claims(masked_name="欧阳**", resident_ref="参考" * 8), key),
    )


EDITS = CHARSET + "abz\n\r\t\x00é张"


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_any_single_changed_character_is_refused(data: st.DataObject) -> None:
    text = data.draw(st.sampled_from(samples()))
    index = data.draw(st.integers(0, len(text) - 1))
    char = data.draw(st.sampled_from(EDITS).filter(lambda c: c != text[index]))
    edited = text[:index] + char + text[index + 1 :]
    result = verify_token(edited, trust=trusted(), now=NOW, purposes=ALL)
    assert not result.ok
    assert result.reason in {Refusal.BAD_PREFIX, Refusal.BAD_ENCODING, Refusal.BAD_SIGNATURE}


def test_every_single_changed_character_of_one_token_is_refused() -> None:
    """Exhaustively, for one token: every position, every base45 character."""
    text = samples()[0]
    assert verify_token(text, trust=trusted(), now=NOW, purposes=ALL).ok
    for index, original in enumerate(text):
        for char in CHARSET:
            if char != original:
                edited = text[:index] + char + text[index + 1 :]
                assert not verify_token(edited, trust=trusted(), now=NOW, purposes=ALL).ok


@FAST
@given(code_claims())
def test_a_key_outside_the_trust_list_is_refused(code: CodeClaims) -> None:
    text = issue_token(code, generate_key(EPOCH))
    result = verify_token(text, trust=trusted(), now=code.issued_at, purposes=ALL)
    assert result.reason is Refusal.UNKNOWN_KEY


@FAST
@given(code_claims(), st.integers(0, 86_400 * 365))
def test_a_retired_key_is_refused(code: CodeClaims, retired_after: int) -> None:
    retired_at = code.issued_at + timedelta(seconds=retired_after)
    ring = keys().retire(keys().keys[0].kid, retired_at)
    store = TrustStore(ring.trusted(retired_at))
    text = issue_token(code, keys().signer(code.issued_at))
    result = verify_token(text, trust=store, now=retired_at, purposes=ALL)
    assert result.reason is Refusal.KEY_RETIRED


@FAST
@given(st.text(max_size=400) | st.text(alphabet=CHARSET, max_size=400).map("CNHC1:".__add__))
def test_arbitrary_text_never_raises(text: str) -> None:
    result = verify_token(text, trust=trusted(), now=NOW, purposes=ALL)
    assert result.reason in {Refusal.BAD_PREFIX, Refusal.BAD_ENCODING}
