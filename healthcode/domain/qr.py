"""QR symbols for signed codes: alphanumeric mode, error level Q, 4-module quiet zone.

Level Q (25 % of the symbol can be lost) is what the EU DCC recommends for codes
scanned off cracked phone screens and creased paper; ``boost_error`` stays off so
the level is always Q rather than whatever spare capacity allows. Code texts use
only the base45 alphabet, which the QR alphanumeric mode holds at 5.5 bits per
character (byte mode would need 8). The code page draws modules in the code's
colour: ``QR_DARK`` holds dark shades with at least 7:1 contrast on white, each
verified to decode with zxing-cpp (tests/domain/test_qr.py).
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from functools import lru_cache
from types import MappingProxyType

import segno

from healthcode.domain.colour import Colour

# Drawing a symbol takes ~0.1 s of CPU; an on-screen token is reused for most of its
# lifetime, so its images are kept (a few KB each) rather than drawn per request.
DRAWN_KEPT = 1024
ERROR_LEVEL = "q"
QUIET_ZONE = 4
LIGHT = "#ffffff"
BLACK = "#000000"

QR_DARK: Mapping[Colour, str] = MappingProxyType(
    {
        Colour.GREEN: "#1b5e20",  # contrast 7.9:1 on white
        Colour.YELLOW: "#7a4f00",  # dark amber, 7.1:1
        Colour.RED: "#9b1c1c",  # 8.2:1
        Colour.PENDING: BLACK,  # the black-and-white pending code
    }
)


def qr_symbol(text: str) -> segno.QRCode:
    """The QR symbol for a code text; ``ValueError`` unless it fits alphanumeric mode."""
    symbol = segno.make_qr(text, error=ERROR_LEVEL, boost_error=False)
    if symbol.mode != "alphanumeric":
        raise ValueError("a code text must use only QR alphanumeric characters")
    return symbol


@lru_cache(maxsize=DRAWN_KEPT)
def qr_png(text: str, *, scale: int = 8, dark: str = BLACK, light: str = LIGHT) -> bytes:
    """A PNG of the code, ``scale`` pixels per module, with a 4-module quiet zone."""
    out = io.BytesIO()
    qr_symbol(text).save(out, kind="png", scale=scale, border=QUIET_ZONE, dark=dark, light=light)
    return out.getvalue()


@lru_cache(maxsize=DRAWN_KEPT)
def qr_svg(text: str, *, dark: str = BLACK, light: str = LIGHT) -> str:
    """An inline SVG of the code (no XML declaration) sized by its viewBox in modules,
    so the page's CSS sets its size and it stays sharp at any zoom."""
    out = io.BytesIO()
    qr_symbol(text).save(
        out,
        kind="svg",
        border=QUIET_ZONE,
        dark=dark,
        light=light,
        xmldecl=False,
        omitsize=True,
        svgclass="qr",
        lineclass=None,
    )
    return out.getvalue().decode("utf-8").strip()


def link_svg(url: str) -> str:
    """An inline SVG of a link's QR code (byte mode, level Q): a venue's printed code
    (场所码), which any phone camera opens as a web page."""
    out = io.BytesIO()
    segno.make_qr(url, error=ERROR_LEVEL, boost_error=False).save(
        out,
        kind="svg",
        border=QUIET_ZONE,
        dark=BLACK,
        light=LIGHT,
        xmldecl=False,
        omitsize=True,
        svgclass="qr",
        lineclass=None,
    )
    return out.getvalue().decode("utf-8").strip()
