"""QR symbols decode back to the exact code text, in every code colour."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET

import pytest
import segno
from PIL import Image, ImageDraw, ImageFilter

from healthcode.domain.colour import Colour
from healthcode.domain.qr import QR_DARK, QUIET_ZONE, qr_png, qr_svg, qr_symbol
from healthcode.domain.tokens import KeyRing, Purpose, issue_token
from tests.domain.tokens.factory import NOW, claims
from tests.factories.qr import decode

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def token() -> str:
    return issue_token(claims(Purpose.PAPER), KeyRing.new(NOW).signer(NOW))


def version(text: str) -> int:
    number = qr_symbol(text).version
    assert isinstance(number, int)  # never a Micro QR version ("M4")
    return number


def test_symbol_is_alphanumeric_level_q(token: str) -> None:
    symbol = qr_symbol(token)
    assert symbol.mode == "alphanumeric"
    assert symbol.error == "Q"
    as_bytes = segno.make_qr(token, error="q", boost_error=False, mode="byte").version
    assert isinstance(as_bytes, int)
    assert as_bytes > version(token)  # byte mode would need a bigger symbol


def test_typical_token_size_and_version(token: str) -> None:
    assert len(token) <= 340
    assert version(token) <= 13


def test_text_outside_the_alphanumeric_set_is_refused() -> None:
    with pytest.raises(ValueError, match="alphanumeric"):
        qr_symbol("cnhc1:lowercase")


@pytest.mark.parametrize("colour", list(QR_DARK))
@pytest.mark.parametrize("scale", [2, 4, 8])
def test_png_decodes_to_the_same_text(token: str, colour: Colour, scale: int) -> None:
    image = Image.open(io.BytesIO(qr_png(token, scale=scale, dark=QR_DARK[colour])))
    found = decode(image)
    assert found.text == token
    assert found.ec_level == "Q"
    extra = found.extra
    assert isinstance(extra, dict)
    assert extra["Version"] == str(version(token))


@pytest.mark.parametrize("colour", list(QR_DARK))
def test_colours_survive_a_blurred_photo(token: str, colour: Colour) -> None:
    """A soft, downscaled capture, as a phone camera sees a screen."""
    image = Image.open(io.BytesIO(qr_png(token, scale=6, dark=QR_DARK[colour]))).convert("RGB")
    soft = image.filter(ImageFilter.GaussianBlur(2)).resize((image.width // 2,) * 2)
    assert decode(soft).text == token


def test_png_has_a_four_module_quiet_zone(token: str) -> None:
    scale = 3
    image = Image.open(io.BytesIO(qr_png(token, scale=scale))).convert("L")
    modules = qr_symbol(token).symbol_size(border=0)[0]
    assert image.size == ((modules + 2 * QUIET_ZONE) * scale,) * 2
    margin = QUIET_ZONE * scale
    assert image.crop((0, 0, image.width, margin)).getextrema() == (255, 255)
    assert image.crop((0, 0, margin, image.height)).getextrema() == (255, 255)
    assert image.getpixel((margin, margin)) == 0  # the finder pattern starts right there


def rasterise(svg: str, scale: int) -> Image.Image:
    """Draw segno's SVG path (horizontal runs: M, m, h) into an image."""
    root = ET.fromstring(svg)
    width = int(root.attrib["viewBox"].split()[2])
    background, lines = root.findall(f"{SVG}path")
    image = Image.new("RGB", (width * scale,) * 2, background.attrib["fill"])
    draw = ImageDraw.Draw(image)
    x = y = 0.0
    for command, args in re.findall(r"([Mmh])([-\d. ]+)", lines.attrib["d"]):
        numbers = [float(n) for n in re.findall(r"-?[\d.]+", args)]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        else:
            row = int(y - 0.5) * scale
            box = (int(x * scale), row, int((x + numbers[0]) * scale) - 1, row + scale - 1)
            draw.rectangle(box, fill=lines.attrib["stroke"])
            x += numbers[0]
    return image


def test_svg_structure(token: str) -> None:
    svg = qr_svg(token, dark=QR_DARK[Colour.RED])
    assert svg.startswith("<svg")
    assert "<?xml" not in svg
    root = ET.fromstring(svg)
    modules = qr_symbol(token).symbol_size(border=0)[0] + 2 * QUIET_ZONE
    assert root.attrib["viewBox"] == f"0 0 {modules} {modules}"
    assert "width" not in root.attrib  # CSS sizes it
    background, lines = root.findall(f"{SVG}path")
    assert background.attrib["fill"] in {"#fff", "#ffffff"}
    assert lines.attrib["stroke"] == QR_DARK[Colour.RED]


@pytest.mark.parametrize("colour", list(QR_DARK))
def test_svg_decodes_to_the_same_text(token: str, colour: Colour) -> None:
    found = decode(rasterise(qr_svg(token, dark=QR_DARK[colour]), scale=4))
    assert found.text == token
    assert found.ec_level == "Q"


def test_svg_draws_the_same_modules_as_the_png(token: str) -> None:
    drawn = rasterise(qr_svg(token), scale=1).convert("L")
    png = Image.open(io.BytesIO(qr_png(token, scale=1))).convert("L")
    assert drawn.tobytes() == png.tobytes()
