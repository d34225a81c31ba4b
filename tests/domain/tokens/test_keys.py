"""Signing keys, their public halves, and rotation in the key ring."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from healthcode.domain.tokens import (
    KeyRing,
    NoSigningKey,
    SigningKey,
    VerifyingKey,
    generate_key,
    kid_of,
)
from tests.domain.tokens.factory import NOW

LATER = NOW + timedelta(days=90)


class TestSigningKey:
    def test_kid_is_first_8_bytes_of_sha256_of_the_public_key(self) -> None:
        key = generate_key(NOW)
        assert key.kid == hashlib.sha256(key.public_key).digest()[:8] == kid_of(key.public_key)
        assert len(key.public_key) == 32

    def test_seed_round_trip_gives_the_same_key(self) -> None:
        key = generate_key(NOW)
        again = SigningKey.from_seed(key.seed, key.created_at)
        assert again == key
        assert again.private_key.sign(b"m") == key.private_key.sign(b"m")  # deterministic
        assert len(key.seed) == 32

    def test_rejects_a_seed_of_the_wrong_size(self) -> None:
        with pytest.raises(ValueError, match="32 bytes"):
            SigningKey.from_seed(b"\x00" * 31, NOW)

    def test_rejects_a_kid_that_is_not_its_own(self) -> None:
        key = generate_key(NOW)
        with pytest.raises(ValueError, match="kid"):
            SigningKey(b"\x00" * 8, key.private_key, NOW)

    def test_creation_time_is_whole_seconds_and_aware(self) -> None:
        assert generate_key(NOW + timedelta(microseconds=5)).created_at == NOW
        with pytest.raises(ValueError, match="naive"):
            generate_key(datetime(2026, 11, 23))

    def test_repr_shows_no_secret(self) -> None:
        key = generate_key(NOW)
        assert key.seed.hex() not in repr(key)
        assert "private_key" not in repr(key)


class TestVerifyingKey:
    def test_rejects_a_public_key_of_the_wrong_size(self) -> None:
        with pytest.raises(ValueError, match="32 bytes"):
            VerifyingKey(kid_of(b"\x01" * 31), b"\x01" * 31, NOW)

    def test_rejects_a_kid_that_is_not_its_own(self) -> None:
        public = generate_key(NOW).public_key
        with pytest.raises(ValueError, match="kid"):
            VerifyingKey(b"\x00" * 8, public, NOW)

    def test_rejects_a_window_that_ends_before_it_starts(self) -> None:
        public = generate_key(NOW).public_key
        with pytest.raises(ValueError, match="before"):
            VerifyingKey(kid_of(public), public, NOW, valid_until=NOW - timedelta(seconds=1))

    def test_retired_from_its_retirement_on(self) -> None:
        public = generate_key(NOW).public_key
        key = VerifyingKey(kid_of(public), public, NOW, retired_at=LATER)
        assert not key.is_retired(LATER - timedelta(seconds=1))
        assert key.is_retired(LATER)


class TestKeyRing:
    def test_a_new_ring_has_one_key_that_signs(self) -> None:
        ring = KeyRing.new(NOW)
        assert ring.signer(NOW) == ring.keys[0].signing
        assert ring.keys[0].valid_from == NOW
        assert ring.keys[0].valid_until is None

    def test_nothing_signs_before_the_first_key(self) -> None:
        with pytest.raises(NoSigningKey):
            KeyRing.new(NOW).signer(NOW - timedelta(seconds=1))
        with pytest.raises(NoSigningKey):
            KeyRing().signer(NOW)

    def test_rotation_hands_signing_to_the_new_key(self) -> None:
        ring = KeyRing.new(NOW)
        rotated = ring.rotate(LATER)
        old, new = rotated.keys
        assert rotated.signer(LATER) == new.signing != old.signing
        assert rotated.signer(LATER - timedelta(seconds=1)) == old.signing
        assert old.valid_until == LATER
        assert new.valid_from == LATER
        assert ring.signer(LATER) == old.signing  # rings are values: the old one is unchanged

    def test_rotation_keeps_old_keys_trusted(self) -> None:
        rotated = KeyRing.new(NOW).rotate(LATER)
        kids = [key.kid for key in rotated.trusted(LATER)]
        assert kids == [key.kid for key in rotated.keys]
        assert rotated.trusted(LATER)[0].valid_until == LATER

    def test_publishing_ahead_lists_the_next_key_before_it_signs(self) -> None:
        ring = KeyRing.new(NOW).rotate(LATER, publish_ahead=timedelta(days=7))
        old, new = ring.keys
        assert new.kid in {key.kid for key in ring.trusted(LATER)}
        assert ring.signer(LATER + timedelta(days=7) - timedelta(seconds=1)) == old.signing
        assert ring.signer(LATER + timedelta(days=7)) == new.signing

    def test_retiring_the_signer_stops_signing(self) -> None:
        ring = KeyRing.new(NOW)
        retired = ring.retire(ring.keys[0].kid, LATER)
        assert retired.keys[0].retired_at == retired.keys[0].valid_until == LATER
        assert retired.signer(LATER - timedelta(seconds=1)) == ring.keys[0].signing
        with pytest.raises(NoSigningKey) as refusal:
            retired.signer(LATER)
        assert refusal.value.status == 503
        recovered = retired.rotate(LATER)
        assert recovered.signer(LATER) == recovered.keys[-1].signing

    def test_retiring_keeps_an_earlier_end_of_signing(self) -> None:
        ring = KeyRing.new(NOW).rotate(NOW + timedelta(days=1))
        retired = ring.retire(ring.keys[0].kid, LATER)
        assert retired.keys[0].valid_until == NOW + timedelta(days=1)
        assert retired.keys[0].retired_at == LATER
        assert retired.keys[1].retired_at is None

    def test_an_emergency_rotation_after_a_routine_one_ends_the_current_key_now(self) -> None:
        """The current key's end stayed 48 hours ahead in the trust list, though a
        leaked key is why one rotates at once (an outside probe); the key the routine
        rotation announced is withdrawn unused, and leaves the trust list."""
        routine = KeyRing.new(NOW).rotate(LATER, publish_ahead=timedelta(hours=48))
        emergency = routine.rotate(LATER + timedelta(hours=1))
        current, announced, new = emergency.keys
        assert current.valid_until == LATER + timedelta(hours=1)
        assert announced.valid_until == announced.valid_from
        assert announced.retired_at == LATER + timedelta(hours=1)
        assert [k.kid for k in emergency.published(LATER + timedelta(hours=1))] == [
            current.kid,
            new.kid,
        ]
        assert emergency.signer(LATER + timedelta(hours=49)) == new.signing

    def test_no_signing_key_says_when_in_beijing_time(self) -> None:
        ring = KeyRing.new(NOW)
        retired = ring.retire(ring.keys[0].kid, NOW + timedelta(hours=1))
        with pytest.raises(NoSigningKey) as refusal:
            retired.signer(datetime(2026, 11, 23, 10, 58, 42, 782111, tzinfo=UTC))
        assert refusal.value.params["at"] == "2026-11-23 18:58"

    def test_retiring_an_unknown_kid_fails(self) -> None:
        with pytest.raises(KeyError):
            KeyRing.new(NOW).retire(b"\x00" * 8, LATER)

    def test_retired_keys_stay_listed_for_a_while(self) -> None:
        ring = KeyRing.new(NOW).rotate(NOW + timedelta(days=1))
        ring = ring.retire(ring.keys[0].kid, LATER)
        listed = ring.trusted(LATER + timedelta(days=29))
        assert [key.kid for key in listed] == [key.kid for key in ring.keys]
        assert listed[0].retired_at == LATER
        assert [key.kid for key in ring.trusted(LATER + timedelta(days=30))] == [ring.keys[1].kid]
        assert len(ring.trusted(LATER + timedelta(days=30), keep_retired=timedelta(days=60))) == 2

    def test_a_retired_key_is_not_published(self) -> None:
        ring = KeyRing.new(NOW).rotate(NOW + timedelta(days=1))
        retired = ring.retire(ring.keys[0].kid, LATER)
        assert [k.kid for k in retired.published(LATER - timedelta(seconds=1))] == [
            k.kid for k in ring.keys
        ]
        assert [k.kid for k in retired.published(LATER)] == [ring.keys[1].kid]

    def test_the_next_key_is_published_before_it_signs(self) -> None:
        ring = KeyRing.new(NOW).rotate(LATER, publish_ahead=timedelta(hours=48))
        assert [k.kid for k in ring.published(LATER)] == [k.kid for k in ring.keys]
