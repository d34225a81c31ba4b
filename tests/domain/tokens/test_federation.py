"""Another region's codes checked with its own entry; every layer reported."""

from __future__ import annotations

import json
import zlib
from datetime import timedelta

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from healthcode.domain.colour import Colour
from healthcode.domain.tokens import KeyRing, Purpose, issue_token, present
from healthcode.domain.tokens.base45 import b45decode, b45encode
from healthcode.domain.tokens.codec import encode_text
from healthcode.domain.tokens.federation import FederationError, key_from_json, region_from_json
from healthcode.domain.tokens.foreign import ForeignVerification, plain_claims
from healthcode.domain.tokens.layers import LayeredResult, verify_layers
from healthcode.domain.tokens.lists import (
    ListKind,
    TrustList,
    load_trust_list,
    sign_list,
    trust_payload,
)
from healthcode.domain.tokens.refusal import Refusal
from healthcode.domain.tokens.trustlist import to_jwks
from tests.domain.tokens import foreign_factory as ff
from tests.domain.tokens.factory import NOW, claims
from tests.domain.tokens.test_attestation import AT, attestation
from tests.domain.tokens.test_lists import OURS, T0

START = NOW - timedelta(days=30)
World = tuple[TrustList, KeyRing, dict[str, ff.ForeignIssuer]]


@pytest.fixture(scope="module")
def world() -> World:
    """Our region and three foreign ones (P-256, RSA-PSS, Ed25519 with alg -19)."""
    list_ring, code_ring = KeyRing.new(START), KeyRing.new(START)
    hubei = ff.p256_issuer("420000", "CNHB1:", START)
    guangdong = ff.rsa_pss_issuer("440000", "CNGD1:", START)
    zhejiang = ff.ed25519_issuer("330000", "CNZJ1:", START)
    ours = [{**to_jwks([k])["keys"][0], "region": "370000"} for k in code_ring.published(NOW)]
    payload = trust_payload(
        version=1,
        issued_at=T0,
        list_keys=list_ring.published(NOW),
        regions=[OURS, ff.HUBEI, ff.GUANGDONG, ff.ZHEJIANG],
        keys=[*ours, hubei.entry, guangdong.entry, zhejiang.entry],
    )
    text = sign_list(ListKind.TRUST, payload, list_ring.signer(NOW))
    held = load_trust_list(text, pinned=list_ring.published(NOW))
    return held, code_ring, {"hubei": hubei, "guangdong": guangdong, "zhejiang": zhejiang}


def _colour(result: LayeredResult) -> Colour | None:
    assert isinstance(result.outcome, ForeignVerification)
    return result.outcome.colour


def _layers(result: LayeredResult) -> dict[str, bool | None]:
    return {layer.name: layer.ok for layer in result.layers}


class TestForeignRegions:
    @pytest.mark.parametrize("name", ["hubei", "guangdong", "zhejiang"])
    def test_a_foreign_code_verifies_with_its_regions_key(self, world: World, name: str) -> None:
        held, _, issuers = world
        text = issuers[name].sign(ff.foreign_claims(NOW, colour=1))
        result = verify_layers(text, now=NOW + timedelta(minutes=1), trust_list=held)
        assert result.reason is None
        assert result.region is not None
        assert result.region.code == issuers[name].entry["region"]
        assert isinstance(result.outcome, ForeignVerification)
        assert result.outcome.claims[-260][1]["n"] == "李*"  # as the region sent it
        assert all(ok for ok in _layers(result).values())

    def test_the_colour_is_read_where_the_entry_says(self, world: World) -> None:
        held, _, issuers = world
        text = issuers["hubei"].sign(ff.foreign_claims(NOW, colour=2))
        assert _colour(verify_layers(text, now=NOW, trust_list=held)) is Colour.RED
        unmapped = issuers["guangdong"].sign(ff.foreign_claims(NOW, colour=2))
        assert _colour(verify_layers(unmapped, now=NOW, trust_list=held)) is None

    def test_a_key_verifies_only_its_own_regions_codes(self, world: World) -> None:
        held, _, issuers = world
        forged = issuers["hubei"].sign(ff.foreign_claims(NOW))
        as_guangdong = "CNGD1:" + forged[len("CNHB1:") :]
        result = verify_layers(as_guangdong, now=NOW, trust_list=held)
        assert result.reason is Refusal.UNKNOWN_KEY
        assert _layers(result)["key"] is False
        assert _layers(result)["signature"] is None

    def test_an_algorithm_the_key_does_not_allow_is_refused(self, world: World) -> None:
        held, _, issuers = world
        text = issuers["hubei"].sign(ff.foreign_claims(NOW), alg=-37)
        assert verify_layers(text, now=NOW, trust_list=held).reason is Refusal.BAD_SIGNATURE

    def test_an_expired_foreign_code_fails_the_validity_layer(self, world: World) -> None:
        held, _, issuers = world
        text = issuers["guangdong"].sign(ff.foreign_claims(NOW, minutes=5))
        result = verify_layers(text, now=NOW + timedelta(minutes=6), trust_list=held)
        assert result.reason is Refusal.EXPIRED
        assert _layers(result)["signature"] is True
        assert _layers(result)["validity"] is False

    def test_a_code_signed_after_the_certificate_ended_is_refused(self, world: World) -> None:
        held, _, issuers = world
        late = START + timedelta(days=400)
        text = issuers["hubei"].sign(ff.foreign_claims(late))
        assert verify_layers(text, now=late, trust_list=held).reason is Refusal.KEY_RETIRED

    def test_a_tampered_foreign_code_fails_the_signature_layer(self, world: World) -> None:
        held, _, issuers = world
        issuer = issuers["hubei"]
        honest = ff.foreign_claims(NOW, colour=2)
        text = issuer.sign(honest)
        # re-encode with the payload changed and the old signature kept
        cose = cbor2.loads(zlib.decompress(b45decode(text[6:])))
        honest[-260][1]["c"] = 0
        cose.value[2] = cbor2.dumps(honest)
        forged = "CNHB1:" + b45encode(zlib.compress(cbor2.dumps(cose)))
        result = verify_layers(forged, now=NOW, trust_list=held)
        assert result.reason is Refusal.BAD_SIGNATURE
        assert _layers(result)["signature"] is False

    @pytest.mark.parametrize(
        ("value", "colour"),
        [(0, Colour.GREEN), (0.0, Colour.GREEN), ("0", Colour.GREEN), (1, Colour.YELLOW),
         (False, None), (True, None), (None, None), ([0], None)],
    )  # fmt: skip
    def test_a_boolean_is_not_a_colours_integer(
        self, world: World, value: object, colour: Colour | None
    ) -> None:
        """Hubei's "0" is green, and the integer 0 with it; false was read as 0 (Python's
        False == 0) and released, where the scanner page reads no colour and stops."""
        held, _, issuers = world
        claims = ff.foreign_claims(NOW)
        claims[-260][1]["c"] = value
        text = issuers["hubei"].sign(claims)
        assert _colour(verify_layers(text, now=NOW, trust_list=held)) is colour

    def test_claims_json_cannot_hold_are_shown_as_json_holds_them(self) -> None:
        """Kept as sent, but for what no JSON column holds (PostgreSQL refused a NUL,
        NaN and Infinity: the scan was a 500): the rest untouched."""
        sent = {
            99: "a\x00b", "k\x00": [float("nan"), float("inf"), -float("inf"), 1.5],
            7: b"\x01\x02", 8: 2**64, 9: -(2**63), True: False, 10: cbor2.CBORTag(1000, "x\x00"),
        }  # fmt: skip
        shown = plain_claims(sent)
        assert shown == {
            "99": "a\ufffdb", "k\ufffd": [None, None, None, 1.5], "7": "h'0102'",
            "8": str(2**64), "9": -(2**63), "True": False, "10": {"tag": 1000, "value": "x\ufffd"},
        }  # fmt: skip
        assert json.loads(json.dumps(shown, allow_nan=False)) == shown

    @pytest.mark.parametrize("name", ["hubei", "guangdong", "zhejiang"])
    def test_the_signed_token_is_one_whatever_its_encoding(self, world: World, name: str) -> None:
        """What identifies another region's code (``signed``, what its signature covers)
        is the same for the code deflated at zlib level 1, framed untagged, or (P-256)
        signed as (r, n - s), which anyone can make from the code."""
        held, _, issuers = world
        issuer = issuers[name]
        text = issuer.sign(ff.foreign_claims(NOW))
        cose = cbor2.loads(zlib.decompress(b45decode(text[6:])))
        texts = [
            text,
            text[:6] + b45encode(zlib.compress(cbor2.dumps(cose), 1)),
            text[:6] + b45encode(zlib.compress(cbor2.dumps(cose.value), 6)),
        ]
        if name == "hubei":
            texts.append(ff.malleated(text, "CNHB1:"))
        found = [verify_layers(t, now=NOW, trust_list=held).outcome for t in texts]
        assert all(isinstance(f, ForeignVerification) and f.ok for f in found)
        signed = {f.signed for f in found if isinstance(f, ForeignVerification)}
        assert len(signed) == 1
        assert None not in signed
        assert len(set(texts)) == len(texts)

    @pytest.mark.parametrize(
        ("entry", "where"),
        [
            ({"kty": "OKP", "crv": "Ed25519", "x": "AAAA", "kid": "AA"}, "region"),
            ({"region": "420000", "x5c": ["bm90IGEgY2VydA=="]}, "x5c"),
            ({"region": "420000", "kty": "EC"}, "Ed25519"),
        ],
    )
    def test_a_bad_key_entry_says_where(self, entry: dict[str, object], where: str) -> None:
        with pytest.raises(FederationError, match=where):
            key_from_json(entry)

    def test_a_region_needs_a_gbt_2260_code(self) -> None:
        with pytest.raises(FederationError, match="code"):
            region_from_json({**ff.HUBEI, "code": "42"})


class TestOurCodesLayerByLayer:
    def test_a_valid_code_passes_every_layer(self, world: World) -> None:
        held, code_ring, _ = world
        result = verify_layers(
            issue_token(claims(), code_ring.signer(NOW)), now=NOW, trust_list=held
        )
        assert result.reason is None
        assert all(_layers(result).values())

    def test_an_ed25519_code_with_alg_minus_19_verifies(self, world: World) -> None:
        held, code_ring, _ = world
        key = code_ring.signer(NOW)
        text = issue_token(claims(), key)
        cose = cbor2.loads(zlib.decompress(b45decode(text[6:])))
        protected = cbor2.dumps({1: -19, 4: key.kid})
        tbs = cbor2.dumps(["Signature1", protected, b"", cose.value[2]])
        signed = cbor2.CBORTag(18, [protected, {}, cose.value[2], key.private_key.sign(tbs)])
        result = verify_layers(encode_text(cbor2.dumps(signed)), now=NOW, trust_list=held)
        assert result.reason is None

    def test_a_tampered_code_fails_at_the_signature(self, world: World) -> None:
        held, code_ring, _ = world
        other = KeyRing.new(START).signer(NOW)
        text = issue_token(claims(), other)
        # same kid as a trusted key, another key's signature
        cose = cbor2.loads(zlib.decompress(b45decode(text[6:])))
        kid = code_ring.signer(NOW).kid
        protected = cbor2.dumps({1: -8, 4: kid})
        forged = cbor2.CBORTag(18, [protected, {}, cose.value[2], cose.value[3]])
        result = verify_layers(encode_text(cbor2.dumps(forged)), now=NOW, trust_list=held)
        assert result.reason is Refusal.BAD_SIGNATURE
        layers = _layers(result)
        assert layers["key"] is True
        assert layers["signature"] is False
        assert layers["validity"] is None

    def test_an_expired_code_fails_at_validity(self, world: World) -> None:
        held, code_ring, _ = world
        text = issue_token(claims(), code_ring.signer(NOW))
        result = verify_layers(text, now=NOW + timedelta(minutes=5), trust_list=held)
        assert result.reason is Refusal.EXPIRED
        assert _layers(result)["validity"] is False

    def test_a_revoked_code_fails_at_revocation(self, world: World) -> None:
        held, code_ring, _ = world
        paper = claims(Purpose.PAPER)
        text = issue_token(paper, code_ring.signer(NOW))
        result = verify_layers(
            text, now=NOW, trust_list=held, is_revoked=lambda cti: cti == paper.token_id
        )
        assert result.reason is Refusal.REVOKED
        assert _layers(result)["validity"] is True
        assert _layers(result)["revocation"] is False

    @pytest.mark.parametrize(
        ("text", "layer"),
        [
            ("HC1:ABC", "prefix"),
            ("CNHC1:::", "base45"),
            ("CNHC1:" + "0" * 9, "zlib"),
        ],
    )
    def test_an_unreadable_code_names_its_layer(self, world: World, text: str, layer: str) -> None:
        held, _, _ = world
        result = verify_layers(text, now=NOW, trust_list=held)
        assert _layers(result)[layer] is False


class TestDeviceCodesLayerByLayer:
    """A phone's live code (``CNHC2:``) has a device layer after the others."""

    def test_a_live_presentation_passes_the_device_layer(self, world: World) -> None:
        held, code_ring, _ = world
        device = ec.generate_private_key(ec.SECP256R1())
        text = present(attestation(code_ring, device), AT, device)
        result = verify_layers(text, now=NOW, trust_list=held)
        assert result.reason is None
        assert list(_layers(result))[-1] == "device"
        assert all(_layers(result).values())

    def test_a_screenshot_fails_only_the_device_layer(self, world: World) -> None:
        held, code_ring, _ = world
        device = ec.generate_private_key(ec.SECP256R1())
        text = present(attestation(code_ring, device), AT - 120, device)
        result = verify_layers(text, now=NOW, trust_list=held)
        assert result.reason is Refusal.PRESENTATION_STALE
        layers = _layers(result)
        assert layers["device"] is False
        assert layers["signature"] is True
        assert layers["validity"] is True
