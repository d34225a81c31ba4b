"""Code colours and their order of severity."""

from __future__ import annotations

from enum import StrEnum

from healthcode.domain.i18n import N_


class Colour(StrEnum):
    """A code's colour. ``PENDING`` is the black-and-white code of a pass awaiting
    signature; ``NONE`` means the resident has no code under the policy yet."""

    NONE = "none"
    PENDING = "pending"
    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]

    @property
    def signed(self) -> bool:
        """A colour the rules or an issuer gave: only such a code takes daily reports
        (they keep a colour through its validity, seed 000 §四.一) or an appeal (against
        a colour). A pass awaiting signature has neither yet."""
        return self in SIGNED_COLOURS

    @property
    def label(self) -> str:
        """English message id of the colour's name in words (绿码/黄码/红码…)."""
        return _LABELS[self]


_SEVERITY = {
    Colour.NONE: -1,
    Colour.PENDING: 0,
    Colour.GREEN: 1,
    Colour.YELLOW: 2,
    Colour.RED: 3,
}

_LABELS = {
    Colour.NONE: N_("No code"),
    Colour.PENDING: N_("Pending review"),
    Colour.GREEN: N_("Green code"),
    Colour.YELLOW: N_("Yellow code"),
    Colour.RED: N_("Red code"),
}

SIGNED_COLOURS = (Colour.GREEN, Colour.YELLOW, Colour.RED)


def worst(*colours: Colour) -> Colour:
    """The most severe of the colours given (green if none)."""
    return max(colours, key=lambda c: c.severity, default=Colour.GREEN)
