"""The printed paper pass (seed 000 §四.二 纸质通行卡): one A5 page, made with fpdf2.

The page carries the paper token as a QR code (error level Q, 1 mm per module or
more, so a phone or a cheap scanner reads it off creased paper), the colour in words
and as a filled band, the masked name and ID number, the validity in Asia/Shanghai
time, the issuing organisation and a short instruction. Chinese text needs a CJK
font: Debian's ``fonts-noto-cjk`` (``NotoSansCJK-Regular.ttc``, face 2 is Simplified
Chinese); ``find_cjk_font`` looks in the usual places and ``FontMissing`` says what
to install.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from fpdf import FPDF

from healthcode.domain.clock import TZ
from healthcode.domain.colour import Colour
from healthcode.domain.errors import DomainError
from healthcode.domain.i18n import N_
from healthcode.domain.policy import Policy
from healthcode.domain.qr import qr_png
from healthcode.i18n import translate
from healthcode.services.shared.policies import colour_label

FONT_FILE = "NotoSansCJK-Regular.ttc"
SIMPLIFIED_CHINESE = 2  # the face of the collection: JP 0, KR 1, SC 2, TC 3, HK 4
FONT_DIRS = (
    "/usr/share/fonts/opentype/noto",  # Debian, Ubuntu (fonts-noto-cjk)
    "/usr/share/fonts/noto-cjk",  # Arch
    "/usr/share/fonts/google-noto-cjk",  # Fedora
    "/usr/share/fonts",
    "/usr/local/share/fonts",
)
QR_WIDTH_MM = 70.0  # a version 10 symbol with its quiet zone: about 1.1 mm a module
PAGE = (148.0, 210.0)  # A5, in mm
_BANDS = {  # fill of the colour band, and its words' colour on it (contrast >= 4.5:1)
    Colour.GREEN: ((27, 94, 32), (255, 255, 255)),
    Colour.YELLOW: ((255, 214, 0), (0, 0, 0)),
    Colour.RED: ((155, 28, 28), (255, 255, 255)),
    Colour.PENDING: ((0, 0, 0), (255, 255, 255)),
}


class FontMissing(DomainError):
    status = 503
    code = "paper_font_missing"


@dataclass(frozen=True)
class PaperContent:
    token: str
    policy: Policy  # its colour labels name the colour (a pass: 绿色健康通行卡（通行）)
    colour: Colour
    name_masked: str
    id_masked: str
    valid_until: datetime
    issued_at: datetime
    organisation: str
    token_ref: str  # the token id's first characters, to name it on the phone


def find_cjk_font(dirs: Iterable[str] = FONT_DIRS) -> Path:
    """The Noto Sans CJK collection, or ``FontMissing`` with what to install."""
    for folder in dirs:
        root = Path(folder)
        direct = root / FONT_FILE
        if direct.is_file():
            return direct
        if root.is_dir():
            for found in sorted(root.rglob(FONT_FILE)):
                return found
    raise FontMissing(
        N_(
            "Paper passes need the Chinese font {font}, which is not installed on the "
            "server (Debian: apt-get install fonts-noto-cjk)"
        ),
        font=FONT_FILE,
    )


@lru_cache(maxsize=1)
def _font() -> Path:
    return find_cjk_font()


def render_paper_pass(content: PaperContent, *, font: Path | None = None) -> bytes:
    """The PDF of one paper pass."""
    pdf = FPDF(orientation="P", unit="mm", format=PAGE)
    pdf.set_title(translate(N_("Paper health pass")))
    pdf.set_creator("healthcode")
    pdf.set_auto_page_break(auto=False)
    pdf.add_font("cjk", fname=str(font or _font()), collection_font_number=SIMPLIFIED_CHINESE)
    pdf.add_page()
    width = pdf.w - 2 * pdf.l_margin
    pdf.set_font("cjk", size=16)
    pdf.cell(width, 9, translate(N_("Paper health pass")), align="C", new_x="LMARGIN", new_y="NEXT")
    _band(pdf, content.policy, content.colour, width)
    x = (pdf.w - QR_WIDTH_MM) / 2
    pdf.image(io.BytesIO(qr_png(content.token, scale=10)), x=x, y=pdf.get_y() + 3, w=QR_WIDTH_MM)
    pdf.set_y(pdf.get_y() + QR_WIDTH_MM + 6)
    pdf.set_font("cjk", size=11)
    for label, value in _facts(content):
        pdf.cell(34, 6.5, label)
        pdf.cell(width - 34, 6.5, value, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("cjk", size=9)
    pdf.multi_cell(width, 5, _instruction(content), align="L")
    return bytes(pdf.output())


def _band(pdf: FPDF, policy: Policy, colour: Colour, width: float) -> None:
    """The colour in the policy's words, as ``/verify`` and the pages name it."""
    fill, ink = _BANDS[colour]
    pdf.set_fill_color(*fill)
    pdf.set_text_color(*ink)
    pdf.set_font("cjk", size=22)
    words = colour_label(policy, colour)
    pdf.cell(width, 14, words, align="C", fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def _facts(content: PaperContent) -> list[tuple[str, str]]:
    return [
        (translate(N_("Name")), content.name_masked),
        (translate(N_("ID number")), content.id_masked),
        (translate(N_("Valid until")), _local(content.valid_until)),
        (translate(N_("Issued by")), content.organisation),
        (translate(N_("Issued at")), _local(content.issued_at)),
        (translate(N_("Pass number")), content.token_ref),
    ]


def _instruction(content: PaperContent) -> str:
    return translate(
        N_(
            "Show this card at checkpoints to be scanned; it counts like the code on a "
            "phone until {until} (Beijing time), unless it is revoked. Keep it clean and "
            "unfolded over the code. If it is lost, or your health changes, tell the "
            "issuing organisation, which will revoke it."
        ),
        {"until": _local(content.valid_until)},
    )


def _local(at: datetime) -> str:
    return at.astimezone(TZ).strftime("%Y-%m-%d %H:%M")
