"""Words of the staff pages (English message ids, translated by ``N_``)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from healthcode.domain.colour import Colour
from healthcode.domain.i18n import N_
from healthcode.services.organisations.applications import Source

SOURCES: Mapping[Source, str] = MappingProxyType(
    {
        Source.DECLARATION: N_("the declaration"),
        Source.DEPARTMENT_DATA: N_("department data"),
        Source.CREDIT: N_("a credit record"),
    }
)
DECISIONS: Mapping[Colour, str] = MappingProxyType(
    {
        Colour.GREEN: N_("Green: may travel"),
        Colour.YELLOW: N_("Yellow: more information needed"),
        Colour.RED: N_("Red: not eligible"),
    }
)
SIGNED: Mapping[str, str] = MappingProxyType(
    {
        "green": N_("Signed green."),
        "yellow": N_("Signed yellow: the resident has been told what to supply."),
        "red": N_(
            "Signed red: the resident and the community's prevention contact have been told."
        ),
    }
)
