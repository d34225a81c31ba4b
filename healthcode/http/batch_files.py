"""An import's refused rows as a file, in the reader's language: what a department
fixes and sends again. Shared by the JSON API and the batch page."""

from __future__ import annotations

from fastapi.responses import Response

from healthcode.domain.i18n import N_
from healthcode.domain.records import column_label
from healthcode.http.csv_files import cell, csv_response
from healthcode.i18n import translate
from healthcode.services.records.batches import BatchSummary, RefusedRow


def refused_rows_csv(batch: BatchSummary, refused: list[RefusedRow]) -> Response:
    """The refused rows given (``batches.EVERY`` for the file), in line order."""
    header = [translate(N_("Line")), translate(N_("Column")), translate(N_("Why"))]
    rows = [
        [str(r.line), column_label(r.field), cell(translate(r.message, r.params))] for r in refused
    ]
    if batch.unlisted:  # say so in the file itself: it is what a department fixes and re-sends
        note = N_("{unlisted} more refused rows, after these, were counted but not kept")
        rows.append(["…", "", translate(note, {"unlisted": batch.unlisted})])
    return csv_response(f"refused-{batch.id}.csv", header, rows)
