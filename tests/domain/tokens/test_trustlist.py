"""Trust lists as JWK Sets: exact shape, round trip, and strict rejection."""

from __future__ import annotations

import base64
import copy
import json
import string
import warnings
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from joserfc import jws
from joserfc.errors import JoseError, SecurityWarning
from joserfc.jwk import KeySet, OKPKey

from healthcode.domain.tokens import (
    KeyRing,
    RingKey,
    TrustListError,
    TrustStore,
    VerifyingKey,
    from_jwks,
    kid_of,
    to_jwks,
)
from tests.domain.tokens.factory import NOW

Document = dict[str, Any]
BASE64URL = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def published_ring() -> KeyRing:
    """Three keys: retired, rotated out, current."""
    ring = KeyRing.new(NOW).rotate(NOW + timedelta(days=30)).rotate(NOW + timedelta(days=60))
    return ring.retire(ring.keys[0].kid, NOW + timedelta(days=61))


def document() -> Document:
    return to_jwks(published_ring().trusted(NOW + timedelta(days=61)))


def test_each_key_is_a_standard_okp_jwk_with_its_window() -> None:
    ring = published_ring()
    retired, rotated, current = ring.trusted(NOW + timedelta(days=61))
    jwks = to_jwks([retired, rotated, current])
    epoch = int(NOW.timestamp())
    day = 86_400
    assert jwks["keys"][1] == {
        "kty": "OKP",
        "crv": "Ed25519",
        "x": b64url(rotated.public_key),
        "kid": b64url(rotated.kid),
        "use": "sig",
        "alg": "EdDSA",
        "nbf": epoch + 30 * day,
        "exp": epoch + 60 * day,
    }
    assert "exp" not in jwks["keys"][2]
    assert "retired" not in jwks["keys"][2]
    assert jwks["keys"][0]["retired"] == epoch + 61 * day


def test_round_trip_through_json() -> None:
    keys = published_ring().trusted(NOW + timedelta(days=61))
    assert from_jwks(json.loads(json.dumps(to_jwks(keys)))) == list(keys)


def test_trust_store_is_a_mapping_by_kid() -> None:
    keys = published_ring().trusted(NOW + timedelta(days=61))
    store = TrustStore.from_jwks(to_jwks(keys))
    assert dict(store) == {key.kid: key for key in keys}
    assert len(store) == 3
    assert store.entry(b"\x00" * 8) is None


def test_trust_store_refuses_duplicate_kids() -> None:
    key = published_ring().trusted(NOW)[0]
    with pytest.raises(ValueError, match="duplicate"):
        TrustStore([key, key])


def test_empty_set_and_unknown_members_are_accepted() -> None:
    assert from_jwks({"keys": []}) == []
    doc = document()
    doc["issuer"] = "CN-37"
    doc["keys"][0]["x5u"] = "https://example.invalid/ignored"
    assert len(from_jwks(doc)) == 3


def _set(member: str, value: object) -> Callable[[Document], None]:
    def change(doc: Document) -> None:
        doc["keys"][0][member] = value

    return change


def _drop(member: str) -> Callable[[Document], None]:
    def change(doc: Document) -> None:
        del doc["keys"][0][member]

    return change


def _x_of_wrong_length(doc: Document) -> None:
    doc["keys"][0]["x"] = b64url(b"\x01" * 31)
    doc["keys"][0]["kid"] = b64url(kid_of(b"\x01" * 31))


def _x_not_canonical(doc: Document) -> None:
    """Set an unused bit: 32 bytes take 43 characters, the last with 2 spare bits."""
    x = doc["keys"][0]["x"]
    doc["keys"][0]["x"] = x[:-1] + BASE64URL[BASE64URL.index(x[-1]) | 1]


def _duplicate_kid(doc: Document) -> None:
    doc["keys"].append(copy.deepcopy(doc["keys"][0]))


def _other_kid(doc: Document) -> None:
    doc["keys"][0]["kid"] = doc["keys"][1]["kid"]


MALFORMED: dict[str, Callable[[Document], None] | object] = {
    "not an object": [],
    "keys missing": {"keys_": []},
    "keys not an array": {"keys": {}},
    "jwk not an object": {"keys": ["x"]},
    "kty EC": _set("kty", "EC"),
    "kty missing": _drop("kty"),
    "crv X25519": _set("crv", "X25519"),
    "x missing": _drop("x"),
    "x padded": lambda doc: _set("x", doc["keys"][0]["x"] + "=")(doc),
    "x standard base64": lambda doc: _set("x", doc["keys"][0]["x"][:-2] + "+/")(doc),
    "x not text": _set("x", 12),
    "x wrong length": _x_of_wrong_length,
    "x not canonical": _x_not_canonical,
    "kid missing": _drop("kid"),
    "kid of another key": _other_kid,
    "kid too long": _set("kid", b64url(b"\x00" * 9)),
    "private d": _set("d", b64url(b"\x00" * 32)),
    "use enc": _set("use", "enc"),
    "alg ES256": _set("alg", "ES256"),
    "key_ops sign": _set("key_ops", ["sign"]),
    "nbf missing": _drop("nbf"),
    "nbf float": _set("nbf", 1.8e9),
    "nbf bool": _set("nbf", True),
    "nbf negative": _set("nbf", -1),
    "nbf text": _set("nbf", "2026-11-23"),
    "exp before nbf": _set("exp", 0),
    "exp null": _set("exp", None),
    "retired text": _set("retired", "yes"),
    "duplicate kid": _duplicate_kid,
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_malformed_sets_are_refused_clearly(case: str) -> None:
    change = MALFORMED[case]
    if callable(change):
        doc: object = document()
        change(doc)  # type: ignore[arg-type]
    else:
        doc = change
    with pytest.raises(TrustListError) as refusal:
        from_jwks(doc)
    assert isinstance(refusal.value, ValueError)
    if isinstance(doc, dict) and isinstance(doc.get("keys"), list) and doc["keys"]:
        assert "keys[" in str(refusal.value)  # names the bad key


def test_non_canonical_base64url_is_named() -> None:
    doc = document()
    _x_not_canonical(doc)
    with pytest.raises(TrustListError, match=r"keys\[0\]\.x: non-canonical"):
        from_jwks(doc)


def test_a_kid_that_does_not_match_its_key_is_refused_in_code_too() -> None:
    key = published_ring().trusted(NOW)[0]
    with pytest.raises(ValueError, match="kid"):
        VerifyingKey(b"\x00" * 8, key.public_key, key.valid_from)


class TestStandardLibraries:
    """A JOSE library reads only standard members: withdrawal must be by removal."""

    def setup_method(self) -> None:
        ring = KeyRing.new(NOW).rotate(NOW + timedelta(days=1))
        self.retired_key, self.current_key = ring.keys
        self.at = NOW + timedelta(days=2)
        self.ring = ring.retire(self.retired_key.kid, self.at)

    def signed_by(self, key: RingKey) -> str:
        """A JWS by ``key`` (joserfc warns that "EdDSA" is superseded by "Ed25519")."""
        private = OKPKey.import_key(
            {
                "kty": "OKP",
                "crv": "Ed25519",
                "x": b64url(key.signing.public_key),
                "d": b64url(key.signing.seed),
            }
        )
        header = {"alg": "EdDSA", "kid": b64url(key.kid)}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)
            return jws.serialize_compact(header, b"code", private, algorithms=["EdDSA"])

    def accepts(self, key_set: KeySet, token: str) -> bool:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SecurityWarning)
            try:
                jws.deserialize_compact(token, key_set, algorithms=["EdDSA"])
            except JoseError:
                return False
        return True

    def test_joserfc_does_not_find_a_retired_key(self) -> None:
        key_set = KeySet.import_key_set(to_jwks(self.ring.published(self.at)))  # type: ignore[arg-type]
        assert [key.kid for key in key_set] == [b64url(self.current_key.kid)]
        assert not self.accepts(key_set, self.signed_by(self.retired_key))
        assert self.accepts(key_set, self.signed_by(self.current_key))
