"""Reading QR codes with a real decoder (zxing-cpp), never our own string."""

from __future__ import annotations

import io

import zxingcpp
from PIL import Image

QR_ONLY = zxingcpp.barcode_formats_from_str("QRCode")  # else a QR's modules can read as Codabar


def decode(image: Image.Image | bytes) -> zxingcpp.Barcode:
    """The one QR code in an image (a PIL image or PNG bytes)."""
    if isinstance(image, bytes):
        image = Image.open(io.BytesIO(image))
    found = zxingcpp.read_barcodes(image, formats=QR_ONLY)
    assert len(found) == 1, f"expected exactly one QR code, found {len(found)}"
    return found[0]
