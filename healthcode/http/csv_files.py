"""Files a person opens in a spreadsheet: UTF-8 with a BOM (so Excel reads Chinese),
never cached, and no cell a spreadsheet would run as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from fastapi.responses import Response


def csv_response(name: str, header: Sequence[str], rows: Iterable[Sequence[str]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return Response(
        "\ufeff" + out.getvalue(),  # a BOM: spreadsheet programs then read UTF-8
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        },
    )


# The formula signs, and their full-width forms a Chinese keyboard types (Excel in an
# East Asian locale may take ＝ for =).
_FORMULA = frozenset("=+-@\t\r＝＋－＠")


def cell(text: str) -> str:
    """A cell a spreadsheet never runs as a formula (text a person or a file typed)."""
    return "'" + text if text[:1] in _FORMULA else text
