"""Issuing and verifying codes: every refusal from a realistic case, in order."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import cbor2
import pytest

from healthcode.domain.clock import TZ
from healthcode.domain.colour import Colour
from healthcode.domain.tokens import (
    CodeClaims,
    KeyRing,
    Purpose,
    Refusal,
    TrustStore,
    Verification,
    check_person,
    generate_key,
    issue_token,
    same_person,
    verify_token,
)
from healthcode.domain.tokens.base45 import b45encode
from healthcode.domain.tokens.claims import CLAIMS_KEY, claims_to_cbor
from healthcode.domain.tokens.codec import decode_text, encode_text
from healthcode.domain.tokens.refusal import VALID_MESSAGE
from tests.domain.tokens.factory import NOW, claims, ring, sign_claims_map, trust

ONE_SECOND = timedelta(seconds=1)
ANY_PURPOSE = frozenset(Purpose)


def verify(
    text: str,
    keys: KeyRing,
    *,
    at: timedelta = timedelta(0),
    purposes: frozenset[Purpose] = ANY_PURPOSE,
    leeway: int = 0,
    revoked: frozenset[bytes] = frozenset(),
) -> Verification:
    return verify_token(
        text,
        trust=trust(keys, NOW + at),
        now=NOW + at,
        purposes=purposes,
        is_revoked=revoked.__contains__,
        leeway_seconds=leeway,
    )


class TestRoundTrip:
    @pytest.mark.parametrize("purpose", [Purpose.DISPLAY, Purpose.PAPER])
    def test_issue_then_verify(self, purpose: Purpose) -> None:
        keys = ring()
        code = claims(purpose)
        result = verify(issue_token(code, keys.signer(NOW)), keys, purposes=frozenset({purpose}))
        assert result.ok
        assert result.reason is None
        assert result.claims == code
        assert result.kid == keys.keys[0].kid
        assert result.message == VALID_MESSAGE

    def test_any_mapping_of_keys_works_as_a_trust_list(self) -> None:
        keys = ring()
        text = issue_token(claims(), keys.signer(NOW))
        plain = {key.kid: key for key in keys.trusted(NOW)}
        result = verify_token(text, trust=plain, now=NOW, purposes={Purpose.DISPLAY})
        assert result.ok

    def test_a_paper_pass_stays_valid_for_days(self) -> None:
        keys = ring()
        text = issue_token(claims(Purpose.PAPER), keys.signer(NOW))
        assert verify(text, keys, at=timedelta(days=5) - ONE_SECOND).ok
        assert verify(text, keys, at=timedelta(days=5)).reason is Refusal.PASS_LAPSED

    def test_purposes_must_be_a_collection(self) -> None:
        keys = ring()
        text = issue_token(claims(), keys.signer(NOW))
        with pytest.raises(TypeError):
            verify_token(text, trust=trust(keys), now=NOW, purposes="display")  # type: ignore[arg-type]


def forged_colour(text: str) -> str:
    """A red code repainted green, keeping the issuer's signature."""
    message = cbor2.loads(decode_text(text))
    protected, unprotected, payload, signature = message.value
    content = cbor2.loads(payload)
    content[CLAIMS_KEY]["c"] = "g"
    forged = cbor2.dumps(content)
    return encode_text(cbor2.dumps(cbor2.CBORTag(18, [protected, unprotected, forged, signature])))


def flipped_signature(text: str) -> str:
    cose = bytearray(decode_text(text))
    cose[-1] ^= 0x01
    return encode_text(bytes(cose))


class TestRefusals:
    """Each reason from the case a checkpoint would really meet."""

    def test_wrong_prefix(self) -> None:
        keys = ring()
        text = issue_token(claims(), keys.signer(NOW))
        assert verify("HC1:" + text[6:], keys).reason is Refusal.BAD_PREFIX

    def test_garbage_after_the_prefix(self) -> None:
        assert verify("CNHC1:hello world", ring()).reason is Refusal.BAD_ENCODING

    def test_base45_of_something_not_compressed(self) -> None:
        """A genuine COSE_Sign1 that skipped the zlib layer."""
        keys = ring()
        cose = decode_text(issue_token(claims(), keys.signer(NOW)))
        assert verify("CNHC1:" + b45encode(cose), keys).reason is Refusal.BAD_ENCODING

    def test_whitespace_inside_the_text(self) -> None:
        keys = ring()
        text = issue_token(claims(), keys.signer(NOW))
        assert verify(text[:20] + "\n" + text[20:], keys).reason is Refusal.BAD_ENCODING

    def test_compressed_cbor_that_is_not_cose(self) -> None:
        text = encode_text(cbor2.dumps(claims_to_cbor(claims())))
        assert verify(text, ring()).reason is Refusal.BAD_ENCODING

    def test_signed_by_a_key_not_in_the_trust_list(self) -> None:
        stranger = generate_key(NOW)
        result = verify(issue_token(claims(), stranger), ring())
        assert result.reason is Refusal.UNKNOWN_KEY
        assert result.kid == stranger.kid
        assert result.claims is None

    def test_a_repainted_code(self) -> None:
        keys = ring()
        text = issue_token(claims(colour=Colour.RED), keys.signer(NOW))
        result = verify(forged_colour(text), keys)
        assert result.reason is Refusal.BAD_SIGNATURE
        assert result.claims is None

    def test_a_damaged_signature(self) -> None:
        keys = ring()
        text = issue_token(claims(), keys.signer(NOW))
        assert verify(flipped_signature(text), keys).reason is Refusal.BAD_SIGNATURE

    def test_signed_by_a_retired_key(self) -> None:
        keys = ring()
        text = issue_token(claims(Purpose.PAPER), keys.signer(NOW))
        retired = keys.retire(keys.keys[0].kid, NOW + timedelta(hours=1))
        assert verify(text, retired, at=timedelta(hours=1) - ONE_SECOND).ok
        result = verify(text, retired, at=timedelta(hours=1))
        assert result.reason is Refusal.KEY_RETIRED
        assert result.claims is None

    def test_signed_after_the_key_stopped_signing(self) -> None:
        """An old key (stolen, say) signing after rotation handed over is refused."""
        keys = ring().rotate(NOW + timedelta(days=1))
        late = claims(now=NOW + timedelta(days=2))
        result = verify(issue_token(late, keys.keys[0].signing), keys, at=timedelta(days=2))
        assert result.reason is Refusal.KEY_RETIRED
        assert result.claims == late  # the signature was genuine

    def test_signed_before_the_key_existed(self) -> None:
        keys = ring()
        early = claims(now=NOW - timedelta(hours=1))
        result = verify(issue_token(early, keys.signer(NOW)), keys)
        assert result.reason is Refusal.KEY_RETIRED

    def test_signed_content_that_is_not_our_layout(self) -> None:
        keys = ring()
        layout = claims_to_cbor(claims())
        layout[CLAIMS_KEY]["c"] = "purple"
        result = verify(sign_claims_map(layout, keys.signer(NOW)), keys)
        assert result.reason is Refusal.MALFORMED_CLAIMS
        assert result.claims is None
        not_cbor = sign_claims_map(b"\xff\xff", keys.signer(NOW))
        assert verify(not_cbor, keys).reason is Refusal.MALFORMED_CLAIMS

    def test_a_display_code_where_only_paper_passes_are_accepted(self) -> None:
        keys = ring()
        text = issue_token(claims(Purpose.DISPLAY), keys.signer(NOW))
        result = verify(text, keys, purposes=frozenset({Purpose.PAPER}))
        assert result.reason is Refusal.WRONG_PURPOSE
        assert result.claims is not None
        assert result.claims.purpose is Purpose.DISPLAY

    def test_not_yet_valid(self) -> None:
        keys = ring()
        text = issue_token(claims(now=NOW + timedelta(minutes=10)), keys.signer(NOW))
        assert verify(text, keys, at=timedelta(minutes=10) - ONE_SECOND).reason is (
            Refusal.NOT_YET_VALID
        )
        assert verify(text, keys, at=timedelta(minutes=10)).ok
        assert verify(text, keys, at=timedelta(minutes=10) - 5 * ONE_SECOND, leeway=5).ok

    def test_expired_at_exactly_exp(self) -> None:
        keys = ring()
        text = issue_token(claims(), keys.signer(NOW))  # expires NOW + 60 s
        assert verify(text, keys, at=timedelta(seconds=59)).ok
        assert verify(text, keys, at=timedelta(seconds=60)).reason is Refusal.EXPIRED

    def test_leeway_extends_expiry_by_that_many_seconds(self) -> None:
        keys = ring()
        text = issue_token(claims(), keys.signer(NOW))
        assert verify(text, keys, at=timedelta(seconds=64), leeway=5).ok
        assert verify(text, keys, at=timedelta(seconds=65), leeway=5).reason is Refusal.EXPIRED

    def test_a_revoked_paper_pass(self) -> None:
        keys = ring()
        code = claims(Purpose.PAPER)
        text = issue_token(code, keys.signer(NOW))
        result = verify(text, keys, revoked=frozenset({code.token_id}))
        assert result.reason is Refusal.REVOKED
        assert result.claims == code
        assert verify(text, keys, revoked=frozenset({bytes(16)})).ok

    @pytest.mark.parametrize("reason", list(Refusal))
    def test_every_reason_has_a_message_and_a_stable_code(self, reason: Refusal) -> None:
        result = Verification(reason)
        assert not result.ok
        assert result.message == reason.message
        assert result.message.endswith(".")
        assert reason.value == reason.name.lower()


class TestCheckOrder:
    def test_signature_before_claims(self) -> None:
        """A forged, expired, wrong-purpose code is refused for its signature."""
        keys = ring()
        text = issue_token(claims(colour=Colour.RED), keys.signer(NOW))
        result = verify(forged_colour(text), keys, at=timedelta(days=1), purposes=frozenset())
        assert result.reason is Refusal.BAD_SIGNATURE

    def test_purpose_then_validity_then_revocation(self) -> None:
        keys = ring()
        hour = NOW + timedelta(hours=1)
        code = claims(Purpose.PAPER, pass_valid_until=hour, expires_at=hour)
        text = issue_token(code, keys.signer(NOW))
        late, revoked = timedelta(hours=2), frozenset({code.token_id})
        display_only = frozenset({Purpose.DISPLAY})
        assert verify(text, keys, at=late, purposes=display_only, revoked=revoked).reason is (
            Refusal.WRONG_PURPOSE
        )
        assert verify(text, keys, at=late, revoked=revoked).reason is Refusal.PASS_LAPSED
        assert verify(text, keys, revoked=revoked).reason is Refusal.REVOKED


class TestPassLapse:
    """A green pass fetched at 23:59:40 on its last day, scanned at 00:00:20 the next:
    the code already reads yellow, so the scanner must not say "may pass"."""

    LAST_DAY = datetime(2020, 2, 28, tzinfo=TZ)
    PASS_END = datetime(2020, 2, 29, tzinfo=TZ)
    FETCHED = LAST_DAY.replace(hour=23, minute=59, second=40)

    def scan(self, text: str, keys: KeyRing, at: datetime) -> Verification:
        """Scanned with the default leeway, as the API and the CLI do."""
        return verify_token(text, trust=trust(keys, at), now=at, purposes=ANY_PURPOSE)

    def test_the_token_expires_with_the_pass(self) -> None:
        code = claims(now=self.FETCHED, pass_valid_until=self.PASS_END)
        assert code.expires_at == self.PASS_END  # not 00:00:40

    @pytest.mark.parametrize("purpose", [Purpose.DISPLAY, Purpose.PAPER])
    def test_refused_from_the_pass_end_with_its_own_reason(self, purpose: Purpose) -> None:
        keys = ring(self.FETCHED)
        code = claims(purpose, now=self.FETCHED, pass_valid_until=self.PASS_END)
        text = issue_token(code, keys.signer(self.FETCHED))
        assert self.scan(text, keys, self.PASS_END - ONE_SECOND).ok
        for late in (self.PASS_END, self.PASS_END + timedelta(seconds=20)):
            result = self.scan(text, keys, late)
            assert result.reason is Refusal.PASS_LAPSED, late
            assert result.claims == code  # genuine: whose it is can still be shown

    def test_a_token_that_outlives_its_pass_is_still_refused(self) -> None:
        """Tokens issued before the cap, or by another issuer, expire after the pass."""
        keys = ring(self.FETCHED)
        code = replace(
            claims(now=self.FETCHED, pass_valid_until=self.PASS_END),
            expires_at=self.FETCHED + timedelta(seconds=60),
        )
        text = issue_token(code, keys.signer(self.FETCHED))
        late = self.scan(text, keys, self.PASS_END + timedelta(seconds=20))
        assert late.reason is Refusal.PASS_LAPSED

    def test_a_code_without_a_pass_only_expires(self) -> None:
        keys = ring()
        text = issue_token(claims(pass_valid_until=None), keys.signer(NOW))
        assert verify(text, keys, at=timedelta(seconds=60)).reason is Refusal.EXPIRED


class TestRotation:
    def test_new_tokens_carry_the_new_kid_and_old_ones_verify_until_retired(self) -> None:
        keys = ring()
        old_text = issue_token(claims(Purpose.PAPER), keys.signer(NOW))
        rotated = keys.rotate(NOW + timedelta(days=1))
        later = NOW + timedelta(days=1)
        new_text = issue_token(claims(now=later), rotated.signer(later))
        new = verify(new_text, rotated, at=timedelta(days=1))
        old = verify(old_text, rotated, at=timedelta(days=1))
        assert new.ok
        assert old.ok
        assert new.kid == rotated.keys[1].kid != old.kid == rotated.keys[0].kid
        retired = rotated.retire(rotated.keys[0].kid, later)
        assert verify(old_text, retired, at=timedelta(days=1)).reason is Refusal.KEY_RETIRED
        assert verify(new_text, retired, at=timedelta(days=1)).ok

    def test_a_key_published_ahead_verifies_once_it_signs(self) -> None:
        keys = ring().rotate(NOW, publish_ahead=timedelta(days=7))
        cached = TrustStore(keys.trusted(NOW))  # a scanner that went offline today
        week = NOW + timedelta(days=7)
        text = issue_token(claims(now=week), keys.signer(week))
        assert keys.signer(week).kid == keys.keys[1].kid
        assert verify_token(text, trust=cached, now=week, purposes=ANY_PURPOSE).ok


def test_a_typical_code_is_compact() -> None:
    """Regression guard on size: the QR code grows with every byte."""
    keys = ring()
    display = issue_token(claims(), keys.signer(NOW))
    paper = issue_token(claims(Purpose.PAPER), keys.signer(NOW))
    assert len(display) <= 340
    assert len(paper) <= 340


def test_claims_equal_after_round_trip_keep_whole_seconds() -> None:
    keys = ring()
    code: CodeClaims = replace(claims(), issued_at=NOW + timedelta(microseconds=10))
    result = verify(issue_token(code, keys.signer(NOW)), keys)
    assert result.claims == code
    assert code.issued_at == NOW


def test_the_id_card_must_match_the_codes_subject() -> None:
    claims_ = claims(Purpose.DISPLAY)
    holder = claims_.masked_id.replace("*", "0")
    assert same_person(claims_, holder)
    assert not same_person(claims_, "9" + holder[1:])
    assert not same_person(claims_, holder[:-1])
    genuine = Verification(None, claims_)
    assert check_person(genuine, holder) is genuine
    assert check_person(genuine, "9" + holder[1:]).reason is Refusal.WRONG_PERSON
    refused = Verification(Refusal.EXPIRED, claims_)
    assert check_person(refused, "9" + holder[1:]).reason is Refusal.EXPIRED
