"""One corpus of scanned codes for both verifiers (Python and the browser's verify.js).

Every item is a text a scanner may read, the purposes the scanner accepts, and the
verdict expected at ``NOW``: valid codes of the three kinds and one code for each
way a code is refused. The trust list travels as the JWK Set a scanner downloads
(``to_jwks``) and the revocations as ``GET /api/v1/revocations`` lists them.
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec

from healthcode.domain.colour import Colour
from healthcode.domain.tokens import (
    KeyRing,
    Purpose,
    SigningKey,
    TrustStore,
    Verification,
    VerifyingKey,
    check_person,
    compressed_point,
    issue_token,
    new_attestation,
    new_claims,
    present,
    sign_attestation,
)
from healthcode.domain.tokens.base45 import b45decode, b45encode
from healthcode.domain.tokens.claims import claims_to_cbor
from healthcode.domain.tokens.codec import decode_text, encode_text, parse_sign1
from healthcode.domain.tokens.layers import verify_layers
from healthcode.domain.tokens.lists import (
    ListKind,
    TrustList,
    load_trust_list,
    sign_list,
    trust_payload,
)
from healthcode.domain.tokens.trustlist import to_jwks
from tests.domain.tokens import foreign_factory as ff

HOLDER_ID = "37010219800101123X"  # the device attestations' subject
LOOKALIKE_ID = "37010219900202123X"  # the same first and last four, another person
TOKEN_ID = "370102198001011234"  # matches the tokens' masked 3701**********1234
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai
AT = int(NOW.timestamp())
ALL = (Purpose.DISPLAY, Purpose.PAPER, Purpose.DEVICE)


@dataclass(frozen=True)
class Item:
    name: str
    text: str
    expected: str | None  # the refusal's value, None for a valid code
    purposes: tuple[Purpose, ...] = ALL
    id_number: str | None = None  # the ID card shown with the code (check_person)


@dataclass(frozen=True)
class Corpus:
    items: tuple[Item, ...]
    trust: TrustStore
    jwks: dict[str, Any]
    revoked: frozenset[bytes]
    revocations: list[dict[str, str]]
    signed_trust: str  # the signed trust list (JWS) with our region and two others
    list_keys: dict[str, Any]  # the JWK Set of its list-signing keys (pinned)
    held: TrustList

    def python_verdict(self, item: Item) -> str | None:
        result = verify_layers(
            item.text,
            now=NOW,
            trust_list=self.held,
            purposes=item.purposes,
            is_revoked=self.revoked.__contains__,
        )
        reason = result.reason
        if item.id_number is not None:
            assert isinstance(result.outcome, Verification)  # ID-card items are our codes
            reason = check_person(result.outcome, item.id_number).reason
        return None if reason is None else reason.value

    def for_js(self) -> dict[str, Any]:
        """What the browser test hands to verify.js."""
        return {
            "now": AT,
            "jwks": self.jwks,
            "revocations": self.revocations,
            "signed_trust": self.signed_trust,
            "list_keys": self.list_keys,
            "items": [
                {
                    "name": i.name,
                    "text": i.text,
                    "purposes": [p.value for p in i.purposes],
                    "id_number": i.id_number,
                }
                for i in self.items
            ],
        }


def _claims(purpose: Purpose, *, now: datetime = NOW, **changes: Any) -> Any:
    base = new_claims(
        purpose,
        now=now,
        issuer="CN-37",
        colour=Colour.GREEN,
        policy="binzhou-code",
        policy_version="2026.3",
        resident_ref="r8Hq3ZkT2mNwXc4P",
        masked_name="张*",
        masked_id="3701**********1234",
        pass_valid_until=changes.pop("pass_valid_until", now + timedelta(days=5)),
    )
    return replace(base, **changes)


def _attestation(key: SigningKey, device: ec.EllipticCurvePrivateKey, **changes: Any) -> bytes:
    claims = new_attestation(
        now=changes.pop("now", NOW),
        colour=Colour.GREEN,
        policy="shandong-pass",
        policy_version="2020-02-14",
        device_key=compressed_point(device.public_key()),
        pseudonym=os.urandom(16),
        id_number=HOLDER_ID,
        masked_name="欧阳*锋",
        masked_id="3701**********123X",
        pass_valid_until=changes.pop("pass_valid_until", NOW + timedelta(days=5)),
        recheck_at=NOW + timedelta(hours=8),
    )
    return sign_attestation(replace(claims, **changes), key)


def _sign1(protected: bytes, payload: bytes, signature: bytes) -> bytes:
    return cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, signature]))


def build() -> Corpus:
    ring = KeyRing.new(NOW - timedelta(days=1))
    key = ring.signer(NOW)
    stranger = KeyRing.new(NOW - timedelta(days=1)).signer(NOW)
    withdrawn = KeyRing.new(NOW - timedelta(days=2)).signer(NOW)
    withdrawn_view = VerifyingKey(
        withdrawn.kid,
        withdrawn.public_key,
        valid_from=NOW - timedelta(days=2),
        retired_at=NOW - timedelta(hours=1),
    )
    keys = (*ring.trusted(NOW), withdrawn_view)
    device = ec.generate_private_key(ec.SECP256R1())
    other_device = ec.generate_private_key(ec.SECP256R1())

    display = issue_token(_claims(Purpose.DISPLAY), key)
    paper_claims = _claims(Purpose.PAPER)
    paper = issue_token(paper_claims, key)
    revoked_claims = _claims(Purpose.PAPER)
    attestation = _attestation(key, device)

    cose = decode_text(display)
    sign1 = parse_sign1(cose)
    flipped = bytes((sign1.signature[0] ^ 1,)) + sign1.signature[1:]
    red = parse_sign1(decode_text(issue_token(_claims(Purpose.DISPLAY, colour=Colour.RED), key)))
    body = b45encode(zlib.compress(cose, 9))

    items = [
        Item("valid display token", display, None),
        Item("valid paper pass", paper, None),
        Item("valid device presentation", present(attestation, AT - 3, device), None),
        Item("valid, with a keyboard wedge's line end", display + "\r\n", None),
        Item("valid, with a reader's group separator", display + "\x1d", None),
        Item("a byte-order mark is not whitespace", "\ufeff" + display, "bad_prefix"),
        Item(
            "expired display token (a screenshot)",
            issue_token(_claims(Purpose.DISPLAY, now=NOW - timedelta(minutes=10)), key),
            "expired",
        ),
        Item(
            "tampered signature",
            encode_text(_sign1(sign1.protected, sign1.payload, flipped)),
            "bad_signature",
        ),
        Item(
            "tampered payload (red claims under a green signature)",
            encode_text(_sign1(sign1.protected, red.payload, sign1.signature)),
            "bad_signature",
        ),
        Item("unknown key", issue_token(_claims(Purpose.DISPLAY), stranger), "unknown_key"),
        Item("retired key", issue_token(_claims(Purpose.PAPER), withdrawn), "key_retired"),
        Item(
            "signed before the key's window",
            issue_token(_claims(Purpose.PAPER, now=NOW - timedelta(days=3)), key),
            "key_retired",
        ),
        Item("revoked paper pass", issue_token(revoked_claims, key), "revoked"),
        Item(
            "wrong purpose (paper at a display-only scanner)",
            paper,
            "wrong_purpose",
            (Purpose.DISPLAY,),
        ),
        Item(
            "device code at a scanner without device codes",
            present(attestation, AT, device),
            "wrong_purpose",
            (Purpose.DISPLAY, Purpose.PAPER),
        ),
        Item(
            "not yet valid",
            issue_token(_claims(Purpose.DISPLAY, now=NOW + timedelta(minutes=5)), key),
            "not_yet_valid",
        ),
        Item(
            "pass lapsed",
            issue_token(
                _claims(
                    Purpose.PAPER,
                    now=NOW - timedelta(hours=3),
                    pass_valid_until=NOW - timedelta(hours=1),
                ),
                key,
            ),
            "pass_lapsed",
        ),
        Item(
            "malformed claims (signed, not our layout)",
            encode_text(_sign1_signed(key, cbor2.dumps({1: "CN-37", 4: AT + 60}))),
            "malformed_claims",
        ),
        Item(
            "a time sent as a CBOR float",
            encode_text(
                _sign1_signed(key, cbor2.dumps({**claims_to_cbor(paper_claims), 6: float(AT)}))
            ),
            "malformed_claims",
        ),
        Item(
            "attestation expired",
            present(
                _attestation(
                    key, device, now=NOW - timedelta(hours=2), expires_at=NOW - timedelta(hours=1)
                ),
                AT,
                device,
            ),
            "attestation_expired",
        ),
        Item(
            "device signature by another key",
            present(attestation, AT, other_device),
            "device_signature_bad",
        ),
        Item(
            "a new attestation at a scanner 20 s slow",
            present(_attestation(key, device, now=NOW + timedelta(seconds=20)), AT + 20, device),
            None,
        ),
        Item("stale presentation", present(attestation, AT - 120, device), "presentation_stale"),
        Item(
            "presentation from the future",
            present(attestation, AT + 120, device),
            "presentation_from_future",
        ),
        Item("bad prefix", "HC1:" + body, "bad_prefix"),
        Item("not a code at all", "https://example.org/", "bad_prefix"),
        Item("bad base45 (lower case)", "CNHC1:" + body.lower(), "bad_encoding"),
        Item("bad base45 (length)", "CNHC1:" + body + "0" * ((1 - len(body)) % 3), "bad_encoding"),
        Item("bad zlib (raw COSE)", "CNHC1:" + b45encode(cose), "bad_encoding"),
        Item(
            "bad zlib (truncated)", "CNHC1:" + b45encode(zlib.compress(cose)[:-6]), "bad_encoding"
        ),
        Item(
            "bad zlib (trailing bytes)",
            "CNHC1:" + b45encode(zlib.compress(cose) + b"\0"),
            "bad_encoding",
        ),
        Item("deflate padding bits set", "CNHC1:" + b45encode(_padded(cose)), "bad_encoding"),
        Item(
            "device deflate padding bits set",
            "CNHC2:" + b45encode(_padded(_inflated(present(attestation, AT, device)))),
            "bad_encoding",
        ),
        Item("bad device zlib", "CNHC2:" + b45encode(b"\x78\x9c\x00\x01"), "bad_encoding"),
        Item(
            "not a COSE_Sign1",
            "CNHC1:" + b45encode(zlib.compress(cbor2.dumps([1, 2]))),
            "bad_encoding",
        ),
    ]
    items += _id_cards(display, present(attestation, AT - 3, device), items[6].text)
    items += _foreign_items(display, key)
    list_ring = KeyRing.new(NOW - timedelta(days=1))
    ours = [{**jwk, "region": "370000"} for jwk in to_jwks(keys)["keys"]]
    payload = trust_payload(
        version=1,
        issued_at=AT,
        list_keys=list_ring.published(NOW),
        regions=[OURS, ff.HUBEI, ff.GUANGDONG],
        keys=[*ours, HUBEI_ISSUER.entry, GUANGDONG_ISSUER.entry],
    )
    signed = sign_list(ListKind.TRUST, payload, list_ring.signer(NOW))
    return Corpus(
        items=tuple(items),
        signed_trust=signed,
        list_keys=to_jwks(list_ring.published(NOW)),
        held=load_trust_list(signed, pinned=list_ring.published(NOW)),
        trust=TrustStore(keys),
        jwks=to_jwks(keys),
        revoked=frozenset({revoked_claims.token_id}),
        revocations=[{"token_id": revoked_claims.token_id.hex(), "revoked_at": NOW.isoformat()}],
    )


def _id_cards(token: str, device_code: str, expired: str) -> list[Item]:
    """The ID-card lane: a number typed (or a card reader's text) with the code."""
    wrong = "wrong_person"
    return [
        Item("ID card: the device code's holder", device_code, None, id_number=HOLDER_ID),
        Item("ID card: lower-case x, spaces around", device_code, None,
             id_number=" " + HOLDER_ID.lower() + "\r\n"),
        Item("ID card: same first and last four, another person (device code: exact)",
             device_code, wrong, id_number=LOOKALIKE_ID),
        Item("ID card: another length (device code)", device_code, wrong,
             id_number=HOLDER_ID[:-1]),
        Item("ID card: a token compares only the first and last four", token, None,
             id_number=TOKEN_ID.replace("19800101", "19900202")),
        Item("ID card: a token and other last four", token, wrong,
             id_number=TOKEN_ID[:-1] + "5"),
        Item("ID card: a token and a number with a space (no strip, as Python)", token, wrong,
             id_number=TOKEN_ID + " "),
        Item("ID card: a refused code stays refused as it was", expired, "expired",
             id_number=LOOKALIKE_ID),
    ]  # fmt: skip


OURS = {"code": "370000", "name": "山东省", "prefixes": ["CNHC1:", "CNHC2:"], "colour": None}
# Hubei signs with a P-256 certificate, Guangdong with RSA-PSS; both valid from 30 days ago
HUBEI_ISSUER = ff.p256_issuer("420000", "CNHB1:", NOW - timedelta(days=30))
GUANGDONG_ISSUER = ff.rsa_pss_issuer("440000", "CNGD1:", NOW - timedelta(days=30))


def _foreign_items(display: str, key: SigningKey) -> list[Item]:
    """Other regions' codes (docs/federation.md) and ours signed with alg -19."""
    hubei = HUBEI_ISSUER.sign(ff.foreign_claims(NOW - timedelta(minutes=5), colour=1))
    body = b45decode(hubei[len("CNHB1:") :])
    cose = bytearray(zlib.decompress(body))
    cose[-1] ^= 1  # the signature's last byte
    sign1 = parse_sign1(decode_text(display))
    protected = b"\xa2\x01\x32\x04" + sign1.protected[4:]  # {1: -19, 4: kid}
    tbs = cbor2.dumps(["Signature1", protected, b"", sign1.payload])
    ours_19 = _sign1(protected, sign1.payload, key.private_key.sign(tbs))
    return [
        Item("valid Hubei code (ES256, P-256 certificate)", hubei, None),
        Item(
            "valid Guangdong code (PS256, RSA-PSS certificate)",
            GUANGDONG_ISSUER.sign(ff.foreign_claims(NOW - timedelta(minutes=5))),
            None,
        ),
        Item(
            "tampered Hubei code", "CNHB1:" + b45encode(zlib.compress(bytes(cose))), "bad_signature"
        ),
        Item(
            "Hubei code signed before its certificate's validity",
            HUBEI_ISSUER.sign(ff.foreign_claims(NOW - timedelta(days=31), minutes=60 * 24 * 40)),
            "key_retired",
        ),
        Item(
            "a region the trust list does not know",
            "CNZJ1:" + hubei[len("CNHB1:") :],
            "bad_prefix",
        ),
        Item("our code with alg -19 (RFC 9864)", encode_text(ours_19), None),
    ]


def _sign1_signed(key: SigningKey, payload: bytes) -> bytes:
    """A COSE_Sign1 with a genuine signature over any payload."""
    from cwt import COSE

    from healthcode.domain.tokens.codec import protected_header

    cose = COSE.new().encode_and_sign(
        payload, key.cose_key, protected=protected_header(key.kid), unprotected={}
    )
    assert isinstance(cose, bytes)
    return cose


def _inflated(text: str) -> bytes:
    """The bytes a code's base45(zlib(…)) holds behind its prefix."""
    return zlib.decompress(b45decode(text.partition(":")[2]))


def _padded(cose: bytes) -> bytes:
    """A zlib stream of ``cose`` with a padding bit set that inflate ignores, so only
    the padding check (codec._padding_is_zero) refuses it: after the final block if
    its last byte has a free bit, else in a stored block's header."""
    compressed = bytearray(zlib.compress(cose, 9))
    last = len(compressed) - 5
    for bit in range(7, 0, -1):
        altered = bytearray(compressed)
        altered[last] |= 1 << bit
        try:
            if altered != compressed and zlib.decompress(bytes(altered)) == cose:
                return bytes(altered)
        except zlib.error:
            continue
    stored = bytearray(zlib.compress(cose, 0))
    stored[2] |= 1 << 3  # BFINAL, BTYPE 00, then five bits inflate skips
    assert zlib.decompress(bytes(stored)) == cose
    return bytes(stored)
