"""The claim set: construction rules, lifetimes, and the compact CBOR layout."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from healthcode.domain.clock import TZ
from healthcode.domain.colour import Colour
from healthcode.domain.tokens import (
    CLAIMS_KEY,
    DISPLAY_LIFETIME,
    ClaimsError,
    Purpose,
    new_claims,
)
from healthcode.domain.tokens.claims import claims_from_cbor, claims_to_cbor
from tests.domain.tokens.factory import NOW, PASS_DAYS, claims


class TestNewClaims:
    def test_display_token_lives_one_minute_by_default(self) -> None:
        code = claims(Purpose.DISPLAY)
        assert code.issued_at == NOW
        assert code.expires_at - code.issued_at == DISPLAY_LIFETIME == timedelta(seconds=60)

    def test_display_lifetime_is_configurable(self) -> None:
        code = claims(Purpose.DISPLAY)
        longer = new_claims(
            Purpose.DISPLAY,
            now=NOW,
            lifetime=timedelta(minutes=3),
            issuer=code.issuer,
            colour=code.colour,
            policy=code.policy,
            policy_version=code.policy_version,
            resident_ref=code.resident_ref,
            masked_name=code.masked_name,
            masked_id=code.masked_id,
        )
        assert longer.expires_at == NOW + timedelta(minutes=3)

    def test_paper_token_lives_as_long_as_the_pass(self) -> None:
        code = claims(Purpose.PAPER)
        assert code.expires_at == code.pass_valid_until == NOW + PASS_DAYS

    def test_paper_token_needs_an_end(self) -> None:
        with pytest.raises(ValueError, match="lifetime or pass_valid_until"):
            new_claims(
                Purpose.PAPER,
                now=NOW,
                issuer="CN-37",
                colour=Colour.GREEN,
                policy="shandong-pass",
                policy_version="1",
                resident_ref="r1",
                masked_name="李*",
                masked_id="",
            )

    def test_every_token_gets_a_fresh_random_16_byte_id(self) -> None:
        ids = {claims().token_id for _ in range(50)}
        assert len(ids) == 50
        assert {len(token_id) for token_id in ids} == {16}


class TestValidation:
    def test_times_are_truncated_to_whole_seconds(self) -> None:
        code = claims(now=NOW + timedelta(microseconds=999_999))
        assert code.issued_at == NOW
        assert code.issued_at.microsecond == code.expires_at.microsecond == 0

    def test_any_timezone_is_accepted_and_compares_by_instant(self) -> None:
        assert claims(now=NOW.astimezone(TZ)).issued_at == NOW

    @pytest.mark.parametrize(
        "changes",
        [
            {"issued_at": datetime(2026, 11, 23, 10, 0)},  # naive
            {"colour": Colour.NONE},
            {"colour": "green"},
            {"purpose": "display"},
            {"token_id": b"short"},
            {"token_id": "0123456789abcdef"},
            {"expires_at": NOW},
            {"expires_at": NOW - timedelta(seconds=1)},
            {"issuer": ""},
            {"policy": ""},
            {"policy_version": ""},
            {"resident_ref": ""},
            {"masked_name": None},
            {"masked_id": 3701},
            {"pass_valid_until": "2026-11-28"},
        ],
        ids=lambda changes: next(iter(changes)),
    )
    def test_rejects(self, changes: dict[str, Any]) -> None:
        with pytest.raises((ValueError, TypeError)):
            replace(claims(), **changes)

    def test_pending_codes_can_be_signed(self) -> None:
        assert claims(colour=Colour.PENDING).colour is Colour.PENDING


class TestLayout:
    def test_standard_claims_and_one_private_map(self) -> None:
        code = claims()
        layout = claims_to_cbor(code)
        epoch = int(NOW.timestamp())
        assert CLAIMS_KEY == -65537  # RFC 8392 private use: below -65536
        assert layout == {
            1: "CN-37",
            4: epoch + 60,
            6: epoch,
            7: code.token_id,
            -65537: {
                "p": "d",
                "c": "g",
                "s": "binzhou-code",
                "v": "2026.3",
                "u": epoch + int(PASS_DAYS.total_seconds()),
                "r": "r8Hq3ZkT2mNwXc4P",
                "n": "张*",
                "i": "3701**********1234",
            },
        }

    def test_wire_codes(self) -> None:
        assert claims_to_cbor(claims(Purpose.PAPER))[CLAIMS_KEY]["p"] == "p"
        for colour, code in [
            (Colour.GREEN, "g"),
            (Colour.YELLOW, "y"),
            (Colour.RED, "r"),
            (Colour.PENDING, "p"),
        ]:
            assert claims_to_cbor(claims(colour=colour))[CLAIMS_KEY]["c"] == code

    def test_no_pass_validity_is_left_out(self) -> None:
        assert "u" not in claims_to_cbor(claims(pass_valid_until=None))[CLAIMS_KEY]

    def test_round_trip(self) -> None:
        code = claims(pass_valid_until=None)
        assert claims_from_cbor(claims_to_cbor(code)) == (code, int(NOW.timestamp()))

    def test_unknown_keys_are_ignored(self) -> None:
        code = claims()
        layout = claims_to_cbor(code)
        layout[-65538] = "future"
        layout[CLAIMS_KEY]["z"] = [1, 2]
        assert claims_from_cbor(layout)[0] == code

    def test_a_not_before_claim_is_honoured(self) -> None:
        layout = claims_to_cbor(claims())
        layout[5] = layout[6] + 30
        assert claims_from_cbor(layout)[1] == layout[6] + 30
        layout[5] = layout[6] - 30  # never earlier than the issue time
        assert claims_from_cbor(layout)[1] == layout[6]


def _broken(change: str) -> object:
    layout: dict[Any, Any] = claims_to_cbor(claims())
    own = layout[CLAIMS_KEY]
    match change:
        case "not a map":
            return [layout]
        case "private map missing":
            del layout[CLAIMS_KEY]
        case "private map is a list":
            layout[CLAIMS_KEY] = list(own.items())
        case "iat missing":
            del layout[6]
        case "exp is text":
            layout[4] = "2026-11-23T02:01:00Z"
        case "exp is a float":
            layout[4] = float(layout[4])
        case "iat is a bool":
            layout[6] = True
        case "iat is negative":
            layout[6] = -1
        case "exp beyond year 9999":
            layout[4] = 2**40
        case "nbf is text":
            layout[5] = "now"
        case "cti is text":
            layout[7] = "0123456789abcdef"
        case "cti too short":
            layout[7] = b"\x00" * 8
        case "unknown purpose":
            own["p"] = "v"
        case "purpose is a list":
            own["p"] = ["d"]
        case "unknown colour":
            own["c"] = "n"
        case "name is bytes":
            own["n"] = "张*".encode()
        case "issuer missing":
            del layout[1]
        case "exp before iat":
            layout[4] = layout[6] - 1
        case "pass validity is text":
            own["u"] = "soon"
    return layout


@pytest.mark.parametrize(
    "change",
    [
        "not a map",
        "private map missing",
        "private map is a list",
        "iat missing",
        "exp is text",
        "exp is a float",
        "iat is a bool",
        "iat is negative",
        "exp beyond year 9999",
        "nbf is text",
        "cti is text",
        "cti too short",
        "unknown purpose",
        "purpose is a list",
        "unknown colour",
        "name is bytes",
        "issuer missing",
        "exp before iat",
        "pass validity is text",
    ],
)
def test_malformed_layouts_are_claims_errors(change: str) -> None:
    with pytest.raises(ClaimsError):
        claims_from_cbor(_broken(change))


def test_decoded_times_are_utc() -> None:
    decoded, _ = claims_from_cbor(claims_to_cbor(claims()))
    assert decoded.issued_at.tzinfo is UTC
