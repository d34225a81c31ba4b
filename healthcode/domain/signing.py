"""What an issuer may sign (seed 000 §二.二.2 签发): pure, the rules' view an argument.

The issuer decides the colour, guided by the rules: a colour milder than the rules
allow is refused ("签发人据实进行核签"), while a stricter one (after a video call, say)
is the issuer's call and needs a note saying why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType

from healthcode.domain.colour import SIGNED_COLOURS, Colour
from healthcode.domain.errors import Conflict, InvalidInput
from healthcode.domain.i18n import N_, Words
from healthcode.domain.policy import LocalText
from healthcode.domain.state import Reason


class MilderThanRules(Conflict):
    code = "milder_than_rules"


class InfoNeeded(StrEnum):
    """What a yellow pass ("more information needed", 待行) asks the resident for."""

    TEMPERATURE = "temperature"  # a temperature reading (测量体温)
    TRAVEL_HISTORY = "travel_history"
    HEALTH_STATUS = "health_status"
    PROOF_OF_RESIDENCE = "proof_of_residence"
    OTHER = "other"  # said in the note


# What the resident is told is needed (English message ids).
INFO_NEEDED: Mapping[InfoNeeded, str] = MappingProxyType(
    {
        InfoNeeded.TEMPERATURE: N_("A temperature reading"),
        InfoNeeded.TRAVEL_HISTORY: N_("Travel history of the last 14 days"),
        InfoNeeded.HEALTH_STATUS: N_("Health status (symptoms)"),
        InfoNeeded.PROOF_OF_RESIDENCE: N_("Proof of residence"),
        InfoNeeded.OTHER: N_("Something else (say what in the note)"),
    }
)


MAX_NOTE = 500  # the signature's note, which the resident reads


def check_requested(colour: Colour, requested: Sequence[InfoNeeded], note: str) -> None:
    """A yellow pass says exactly what is needed; "other" is said in the note; only
    yellow asks for anything. The note fits its column (a longer one from the page
    was a database error on PostgreSQL)."""
    if len(note.strip()) > MAX_NOTE:
        raise InvalidInput.single("note", "too_long", N_("At most {max} characters"), max=MAX_NOTE)
    if colour is not Colour.YELLOW:
        if requested:
            raise InvalidInput.single(
                "requested", "yellow_only", N_("Only a yellow pass asks for more information")
            )
        return
    if not requested:
        raise InvalidInput.single("requested", "required", N_("Pick what the resident must supply"))
    if InfoNeeded.OTHER in requested and not note.strip():
        raise InvalidInput.single(
            "note", "required", N_("Say in the note what else the resident must supply")
        )


def check_signable(colour: Colour) -> None:
    """A pass is signed red, yellow or green, never pending or none."""
    if colour not in SIGNED_COLOURS:
        raise InvalidInput.single(
            "colour", "not_signable", N_("A pass is signed red, yellow or green")
        )


def check_against_rules(
    colour: Colour, *, suggested: Colour | None, reasons: Sequence[Reason], note: str
) -> None:
    """Refuse a colour milder than the rules suggest; a stricter one needs a note."""
    suggested = suggested or Colour.GREEN
    if colour.severity < suggested.severity:
        why = [r for r in reasons if r.colour is suggested]
        raise MilderThanRules(
            N_("The rules make this application {suggested}: {reasons}"),
            suggested=Words(suggested.label),
            reasons=_in_words(why),
        )
    if colour.severity > suggested.severity and not note.strip():
        raise InvalidInput.single(
            "note", "required", N_("Say why the colour is stricter than the rules suggest")
        )


def _in_words(reasons: Sequence[Reason]) -> LocalText:
    """The reasons' own texts in each language the policy gives (``translate`` picks)."""
    languages = sorted({lang for r in reasons for lang in r.text})
    glue = {"zh": "；"}
    return {
        lang: glue.get(lang, "; ").join(r.text.get(lang) or r.rule_id for r in reasons)
        for lang in languages
    }
