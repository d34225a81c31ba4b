"""The anti-fraud flags know a token by what was signed, not by its text: a code
re-compressed is the same code, and a phone's presentation relayed to a second gate is
the screenshot passed on (docs/scanning.md "Anti-fraud flags")."""

from __future__ import annotations

import zlib
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from healthcode.domain.clock import FixedClock
from healthcode.domain.tokens.attestation import compressed_point, present
from healthcode.domain.tokens.base45 import b45decode, b45encode
from healthcode.services.accounts.permissions import Principal
from healthcode.services.codes.device_codes import attest
from healthcode.services.scanning import scans
from healthcode.services.scanning.scans import ScanResult
from healthcode.services.scanning.venues import VenueSummary
from healthcode.services.shared.env import Env
from healthcode.services.shared.lists import ensure_list_key, federate_region
from healthcode.store import tables as t
from healthcode.store.uow import UnitOfWork
from tests.domain.tokens import foreign_factory as ff
from tests.factories.scanning import display_token, operator, paper_token, venue


def recompressed(token: str, prefix: str) -> str:
    """The same signed bytes deflated at zlib level 1: another text, the same code."""
    cose = zlib.decompress(b45decode(token[len(prefix) :]))
    again = prefix + b45encode(zlib.compress(cose, 1))
    assert again != token
    return again


@pytest.fixture
def west(
    uow: UnitOfWork, env: Env, admin: Principal, community: t.Organisation
) -> tuple[VenueSummary, Principal]:
    """A second gate of the community, next door (no distance flag)."""
    other = venue(uow, env, admin, community.id, name="西门卡口")
    return other, operator(uow, env, admin, other.id)


def scan(uow: UnitOfWork, env: Env, who: Principal, gate: VenueSummary, token: str) -> ScanResult:
    return scans.scan_code(uow, env, who, venue_id=gate.id, token=token)


def codes(result: ScanResult) -> list[object]:
    return [flag["code"] for flag in result.flags]


def fingerprint_of(uow: UnitOfWork, result: ScanResult) -> bytes | None:
    row = uow.scans.by_id(result.id)
    assert row is not None
    return row.token_fingerprint


class TestTheSameTokenReEncoded:
    def test_a_display_token_deflated_again_is_flagged_at_a_second_gate(
        self,
        uow: UnitOfWork,
        env: Env,
        clock: FixedClock,
        guard: Principal,
        gate: VenueSummary,
        west: tuple[VenueSummary, Principal],
        green: t.Account,
    ) -> None:
        """SHA-256 of the text told the copy from the original: no flag (an outside
        probe). The token's id (``cti``) is the same in both."""
        token = display_token(uow, env, green.resident_id)
        first = scan(uow, env, guard, gate, token)
        clock.advance(timedelta(seconds=20))
        copy = scan(uow, env, west[1], west[0], recompressed(token, "CNHC1:"))
        assert (first.flags, codes(copy)) == ((), ["same_token_elsewhere"])
        assert fingerprint_of(uow, first) == fingerprint_of(uow, copy)

    def test_a_paper_pass_deflated_again_is_the_same_token(
        self, uow: UnitOfWork, env: Env, guard: Principal, gate: VenueSummary, green: t.Account
    ) -> None:
        """A pass is not an on-screen code (no flag for a second gate), but it is one
        token whatever its text: here again, it is the same token, not another code."""
        token = paper_token(uow, env, green.resident_id)
        first = scan(uow, env, guard, gate, token)
        again = scan(uow, env, guard, gate, recompressed(token, "CNHC1:"))
        assert fingerprint_of(uow, first) == fingerprint_of(uow, again) is not None

    def test_another_regions_code_deflated_again_or_re_signed_as_r_n_minus_s_is_flagged(
        self,
        uow: UnitOfWork,
        env: Env,
        clock: FixedClock,
        guard: Principal,
        gate: VenueSummary,
        west: tuple[VenueSummary, Principal],
        signing_key: None,
    ) -> None:
        """Another region's code is known by what its signature covers: neither the
        text's compression nor ECDSA's second signature of the same content (r, n - s),
        which anyone can make from the first, makes it another token."""
        now = clock.now()
        hubei = ff.p256_issuer("420000", "CNHB1:", now - timedelta(days=1))
        ensure_list_key(uow, env.protector, now=now)
        document = {"region": ff.HUBEI, "keys": [hubei.entry]}
        federate_region(uow, env.protector, env.settings, document=document, now=now)
        token = hubei.sign(ff.foreign_claims(now, minutes=5))
        assert scan(uow, env, guard, gate, token).flags == ()
        clock.advance(timedelta(seconds=20))
        copy = scan(uow, env, west[1], west[0], recompressed(token, "CNHB1:"))
        assert codes(copy) == ["same_token_elsewhere"]
        clock.advance(timedelta(seconds=20))
        flipped = scan(uow, env, west[1], west[0], ff.malleated(token, "CNHB1:"))
        assert flipped.verdict is None  # a genuine signature still
        assert codes(flipped) == ["same_token_here", "same_token_elsewhere"]
        assert fingerprint_of(uow, copy) == fingerprint_of(uow, flipped)


class TestAPhonesPresentation:
    @staticmethod
    def presentations(uow: UnitOfWork, env: Env, account: t.Account, *at: int) -> list[str]:
        """One phone's attestation, presented at each second in ``at``."""
        device = ec.generate_private_key(ec.SECP256R1())
        made = attest(
            uow, env, resident_id=account.resident_id, policy_id="binzhou-code",
            device_key=compressed_point(device.public_key()),
        )  # fmt: skip
        return [present(made.attestation, second, device) for second in at]

    def test_one_presentation_at_two_gates_within_a_second_is_flagged(
        self,
        uow: UnitOfWork,
        env: Env,
        clock: FixedClock,
        guard: Principal,
        gate: VenueSummary,
        west: tuple[VenueSummary, Principal],
        green: t.Account,
    ) -> None:
        """A live code relayed to a second gate (two gates 100 m apart: no distance
        flag) was not flagged: only display tokens were (an outside probe)."""
        [shown] = self.presentations(uow, env, green, int(clock.now().timestamp()))
        first = scan(uow, env, guard, gate, shown)
        clock.advance(timedelta(seconds=1))
        relayed = scan(uow, env, west[1], west[0], shown)
        assert (first.verdict, relayed.verdict) == (None, None)
        assert (first.flags, codes(relayed)) == ((), ["same_token_elsewhere"])
        assert relayed.flags[0]["venue"] == "东门卡口"

    def test_the_next_presentation_of_the_same_phone_nearby_is_not_flagged(
        self,
        uow: UnitOfWork,
        env: Env,
        clock: FixedClock,
        guard: Principal,
        gate: VenueSummary,
        west: tuple[VenueSummary, Principal],
        green: t.Account,
    ) -> None:
        """The attestation lives an hour, as a pass does: its holder walking from one
        gate to the next shows a fresh presentation, which is not a copy."""
        now = int(clock.now().timestamp())
        shown, later = self.presentations(uow, env, green, now, now + 30)
        assert scan(uow, env, guard, gate, shown).flags == ()
        clock.advance(timedelta(seconds=30))
        assert scan(uow, env, west[1], west[0], later).flags == ()
