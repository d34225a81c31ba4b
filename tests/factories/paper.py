"""Reading a paper pass the way a scanner does: the PDF rasterised, the QR decoded.

PDFium (pypdfium2) renders the whole page at a printer's resolution, as a print-out
photographed flat would look; zxing-cpp then finds the one QR code on it. poppler's
``pdftoppm`` is not installed on these machines, hence PDFium.
"""

from __future__ import annotations

import pypdfium2 as pdfium  # type: ignore[import-untyped]
from PIL import Image

from tests.factories.qr import decode

DPI = 150  # a modest office scanner; 1 mm modules are 6 pixels


def pdf_page(pdf: bytes, *, dpi: int = DPI) -> Image.Image:
    document = pdfium.PdfDocument(pdf)
    assert len(document) == 1, "a paper pass is one page"
    image: Image.Image = document[0].render(scale=dpi / 72).to_pil().convert("L")
    return image


def pdf_text(pdf: bytes) -> str:
    document = pdfium.PdfDocument(pdf)
    text: str = document[0].get_textpage().get_text_range()
    return text


def read_paper_qr(pdf: bytes) -> str:
    """The text of the QR code printed on the paper pass."""
    return decode(pdf_page(pdf)).text
