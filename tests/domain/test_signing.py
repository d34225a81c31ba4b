"""The issuer may not sign milder than the rules (seed 000 §二.二.2): every case, no database."""

from __future__ import annotations

import pytest

from healthcode.domain.colour import Colour
from healthcode.domain.errors import InvalidInput
from healthcode.domain.signing import (
    MAX_NOTE,
    MilderThanRules,
    check_against_rules,
    check_requested,
    check_signable,
)
from healthcode.domain.state import Reason

G, Y, R = Colour.GREEN, Colour.YELLOW, Colour.RED


def reason(rule_id: str, colour: Colour) -> Reason:
    return Reason(rule_id, colour, {"en": rule_id}, {"en": ""}, basis="seed 000")


REASONS = (reason("fever", Y), reason("hubei_trip", R), reason("contact", Y))

# signed colour, what the rules suggest, the issuer's note -> the refusal, if any
CASES: list[tuple[Colour, Colour | None, str, type[Exception] | None]] = [
    (G, None, "", None),  # nothing against the resident: green is the rules' colour
    (G, G, "", None),
    (Y, G, "video call: coughing", None),  # stricter, with a reason
    (R, G, "confirmed by phone", None),
    (Y, G, "", InvalidInput),  # stricter needs a note
    (Y, G, "   ", InvalidInput),  # a blank note is no note
    (Y, Y, "", None),
    (R, Y, "seen with a fever", None),
    (G, Y, "", MilderThanRules),
    (G, Y, "I know them", MilderThanRules),  # a note never makes milder acceptable
    (R, R, "", None),
    (Y, R, "", MilderThanRules),
    (G, R, "", MilderThanRules),
    (G, None, "", None),
    (Y, None, "", InvalidInput),
]


@pytest.mark.parametrize(("colour", "suggested", "note", "refusal"), CASES)
def test_signing_against_the_rules(
    colour: Colour, suggested: Colour | None, note: str, refusal: type[Exception] | None
) -> None:
    if refusal is None:
        check_against_rules(colour, suggested=suggested, reasons=REASONS, note=note)
    else:
        with pytest.raises(refusal):
            check_against_rules(colour, suggested=suggested, reasons=REASONS, note=note)


def test_a_milder_refusal_names_the_rules_of_the_suggested_colour() -> None:
    with pytest.raises(MilderThanRules) as caught:
        check_against_rules(G, suggested=Y, reasons=REASONS, note="")
    # in words, as the policy words them (translated with the message), not "yellow"
    assert caught.value.params == {"suggested": "Yellow code", "reasons": {"en": "fever; contact"}}


@pytest.mark.parametrize(
    ("colour", "signable"),
    [(G, True), (Y, True), (R, True), (Colour.PENDING, False), (Colour.NONE, False)],
)
def test_only_red_yellow_or_green_is_signed(colour: Colour, signable: bool) -> None:
    if signable:
        check_signable(colour)
    else:
        with pytest.raises(InvalidInput):
            check_signable(colour)


def test_a_note_longer_than_its_column_is_refused_in_words() -> None:
    """The page took 501 characters (the API stopped at 500); PostgreSQL refused them."""
    check_requested(G, (), "x" * MAX_NOTE)
    with pytest.raises(InvalidInput) as refused:
        check_requested(G, (), "x" * (MAX_NOTE + 1))
    assert [(e.field, e.code) for e in refused.value.errors] == [("note", "too_long")]
