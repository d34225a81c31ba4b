"""Signed trust and revocation lists: who may sign them, order, deltas, staleness."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

import pytest

from healthcode.domain.tokens import KeyRing
from healthcode.domain.tokens.lists import (
    ListError,
    ListKind,
    ListRefusal,
    is_stale,
    load_revocations,
    load_trust_list,
    revocations_payload,
    sign_list,
    trust_payload,
)
from healthcode.domain.tokens.trustlist import to_jwks
from tests.domain.tokens.factory import NOW

OURS = {"code": "370000", "name": "山东省", "prefixes": ["CNHC1:", "CNHC2:"], "colour": None}
T0 = int(NOW.timestamp())


def _jwk(key: object, region: str = "370000") -> dict[str, object]:
    return {**to_jwks([key])["keys"][0], "region": region}  # type: ignore[list-item]


@pytest.fixture
def list_ring() -> KeyRing:
    return KeyRing.new(NOW - timedelta(days=1))


@pytest.fixture
def code_ring() -> KeyRing:
    return KeyRing.new(NOW - timedelta(days=1))


def _trust(list_ring: KeyRing, code_ring: KeyRing, version: int = 1, **more: object) -> str:
    payload = trust_payload(
        version=version,
        issued_at=more.pop("issued_at", T0),  # type: ignore[arg-type]
        list_keys=list_ring.published(NOW),
        regions=[OURS],
        keys=[_jwk(k) for k in code_ring.published(NOW)],
        **more,  # type: ignore[arg-type]
    )
    return sign_list(ListKind.TRUST, payload, list_ring.signer(NOW))


class TestSignature:
    def test_a_list_signed_by_the_pinned_list_key_is_taken(
        self, list_ring: KeyRing, code_ring: KeyRing
    ) -> None:
        held = load_trust_list(_trust(list_ring, code_ring), pinned=list_ring.published(NOW))
        assert held.version == 1
        assert set(held.keys) == {k.kid for k in code_ring.published(NOW)}
        assert held.region_for("CNHC1:ABC").code == "370000"  # type: ignore[union-attr]

    def test_a_list_signed_by_a_code_key_is_refused(
        self, list_ring: KeyRing, code_ring: KeyRing
    ) -> None:
        payload = trust_payload(version=1, issued_at=T0, list_keys=[], regions=[OURS], keys=[])
        text = sign_list(ListKind.TRUST, payload, code_ring.signer(NOW))
        with pytest.raises(ListError) as caught:
            load_trust_list(text, pinned=list_ring.published(NOW))
        assert caught.value.refusal is ListRefusal.UNKNOWN_KEY

    def test_a_tampered_list_is_refused(self, list_ring: KeyRing, code_ring: KeyRing) -> None:
        header, payload, signature = _trust(list_ring, code_ring).split(".")
        body = json.loads(base64.urlsafe_b64decode(payload + "=="))
        body["keys"] = []  # drop every key: a scanner would refuse every code
        forged = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
        with pytest.raises(ListError) as caught:
            load_trust_list(f"{header}.{forged}.{signature}", pinned=list_ring.published(NOW))
        assert caught.value.refusal is ListRefusal.BAD_SIGNATURE

    @pytest.mark.parametrize("text", ['{"keys": []}', "a.b", "", "x.y.z"])
    def test_an_unsigned_list_is_refused(self, list_ring: KeyRing, text: str) -> None:
        with pytest.raises(ListError) as caught:
            load_trust_list(text, pinned=list_ring.published(NOW))
        assert caught.value.refusal in (ListRefusal.UNSIGNED, ListRefusal.BAD_HEADER)

    def test_a_revocation_list_is_not_taken_as_a_trust_list(self, list_ring: KeyRing) -> None:
        payload = revocations_payload(version=1, issued_at=T0, revoked=[])
        text = sign_list(ListKind.REVOCATIONS, payload, list_ring.signer(NOW))
        with pytest.raises(ListError) as caught:
            load_trust_list(text, pinned=list_ring.published(NOW))
        assert caught.value.refusal is ListRefusal.WRONG_TYPE

    def test_a_retired_list_key_signs_nothing(self, list_ring: KeyRing, code_ring: KeyRing) -> None:
        retired = list_ring.retire(list_ring.keys[0].kid, NOW - timedelta(hours=1))
        with pytest.raises(ListError) as caught:
            load_trust_list(_trust(list_ring, code_ring), pinned=retired.trusted(NOW))
        assert caught.value.refusal is ListRefusal.KEY_RETIRED

    def test_a_rotated_list_key_is_trusted_through_the_list_that_announced_it(
        self, list_ring: KeyRing, code_ring: KeyRing
    ) -> None:
        pinned = list_ring.published(NOW)
        rotated = list_ring.rotate(NOW, publish_ahead=timedelta(hours=48))
        held = load_trust_list(_trust(rotated, code_ring), pinned=pinned)  # old key signs
        later = NOW + timedelta(hours=49)
        payload = trust_payload(
            version=2,
            issued_at=int(later.timestamp()),
            list_keys=rotated.published(later),
            regions=[OURS],
            keys=[],
        )
        text = sign_list(ListKind.TRUST, payload, rotated.signer(later))
        assert rotated.signer(later).kid not in {k.kid for k in pinned}
        assert load_trust_list(text, pinned=pinned, held=held).version == 2


class TestOrderAndDeltas:
    def test_an_older_version_is_refused(self, list_ring: KeyRing, code_ring: KeyRing) -> None:
        pinned = list_ring.published(NOW)
        held = load_trust_list(_trust(list_ring, code_ring, version=5), pinned=pinned)
        with pytest.raises(ListError) as caught:
            load_trust_list(_trust(list_ring, code_ring, version=4), pinned=pinned, held=held)
        assert caught.value.refusal is ListRefusal.ROLLBACK

    def test_the_same_version_signed_earlier_is_refused_and_later_refreshes(
        self, list_ring: KeyRing, code_ring: KeyRing
    ) -> None:
        pinned = list_ring.published(NOW)
        held = load_trust_list(_trust(list_ring, code_ring, issued_at=T0 + 60), pinned=pinned)
        with pytest.raises(ListError):
            load_trust_list(_trust(list_ring, code_ring, issued_at=T0), pinned=pinned, held=held)
        later = _trust(list_ring, code_ring, issued_at=T0 + 120)
        assert load_trust_list(later, pinned=pinned, held=held).issued_at == T0 + 120

    def test_a_delta_replaces_adds_and_removes_keys(
        self, list_ring: KeyRing, code_ring: KeyRing
    ) -> None:
        pinned = list_ring.published(NOW)
        held = load_trust_list(_trust(list_ring, code_ring), pinned=pinned)
        rotated = code_ring.rotate(NOW, publish_ahead=timedelta(hours=48))
        new, old = rotated.keys[-1], rotated.keys[0]
        delta = _trust(
            list_ring,
            rotated,
            version=2,
            since=1,
            removed=[],
        )
        after = load_trust_list(delta, pinned=pinned, held=held)
        assert set(after.keys) == {old.kid, new.kid}
        assert after.keys[old.kid].not_after == int(new.valid_from.timestamp())
        removal = sign_list(
            ListKind.TRUST,
            trust_payload(
                version=3,
                issued_at=T0,
                list_keys=list_ring.published(NOW),
                regions=[OURS],
                keys=[],
                since=2,
                removed=[base64.urlsafe_b64encode(old.kid).rstrip(b"=").decode()],
            ),
            list_ring.signer(NOW),
        )
        assert set(load_trust_list(removal, pinned=pinned, held=after).keys) == {new.kid}

    def test_a_delta_from_another_version_is_refused(
        self, list_ring: KeyRing, code_ring: KeyRing
    ) -> None:
        pinned = list_ring.published(NOW)
        held = load_trust_list(_trust(list_ring, code_ring), pinned=pinned)
        with pytest.raises(ListError) as caught:
            load_trust_list(
                _trust(list_ring, code_ring, version=4, since=3), pinned=pinned, held=held
            )
        assert caught.value.refusal is ListRefusal.DELTA_MISMATCH

    def test_revocations_accumulate_through_deltas(self, list_ring: KeyRing) -> None:
        keys = {k.kid: k for k in list_ring.published(NOW)}
        signer = list_ring.signer(NOW)
        first = sign_list(
            ListKind.REVOCATIONS,
            revocations_payload(version=1, issued_at=T0, revoked=[{"cti": "aa" * 16, "at": T0}]),
            signer,
        )
        held = load_revocations(first, list_keys=keys)
        delta = sign_list(
            ListKind.REVOCATIONS,
            revocations_payload(
                version=2, issued_at=T0, since=1, revoked=[{"cti": "bb" * 16, "at": T0}]
            ),
            signer,
        )
        after = load_revocations(delta, list_keys=keys, held=held)
        assert after.is_revoked(b"\xaa" * 16)
        assert after.is_revoked(b"\xbb" * 16)
        assert not after.is_revoked(b"\xcc" * 16)


class TestStaleness:
    @pytest.mark.parametrize(
        ("age", "days", "stale"),
        [
            (timedelta(days=3), 3, False),
            (timedelta(days=3, seconds=1), 3, True),
            (timedelta(days=1, seconds=1), 1, True),
            (timedelta(hours=23), 1, False),
        ],
    )
    def test_a_list_is_stale_after_the_configured_days(
        self, age: timedelta, days: int, stale: bool
    ) -> None:
        assert is_stale(T0, NOW + age, warn_days=days) is stale


@pytest.mark.filterwarnings("ignore:EdDSA is deprecated")  # see docs/keys.md
def test_a_standard_jose_library_verifies_a_signed_list(list_ring: KeyRing) -> None:
    """joserfc reads the JWS with the published list key: no format of our own."""
    from joserfc import jws
    from joserfc.jwk import OKPKey

    payload = revocations_payload(version=3, issued_at=T0, revoked=[{"cti": "ab" * 16, "at": T0}])
    text = sign_list(ListKind.REVOCATIONS, payload, list_ring.signer(NOW))
    [jwk] = to_jwks(list_ring.published(NOW))["keys"]
    key = OKPKey.import_key({k: jwk[k] for k in ("kty", "crv", "x", "kid")})
    verified = jws.deserialize_compact(text, key, algorithms=["EdDSA"])
    assert verified.headers()["typ"] == "hc-revocations+jws"
    assert json.loads(verified.payload)["revoked"][0]["cti"] == "ab" * 16
