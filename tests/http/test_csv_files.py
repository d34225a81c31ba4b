"""A cell of a downloaded CSV is never run as a formula by the spreadsheet that opens
it, whatever a person or a department's file typed into it."""

from __future__ import annotations

import pytest

from healthcode.http.csv_files import cell


@pytest.mark.parametrize(
    "typed",
    [
        *('=HYPERLINK("http://x")', "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"),
        *("＝1+1", "＋1", "－1", "＠A"),
    ],
)
def test_a_cell_a_spreadsheet_would_run_is_kept_as_text(typed: str) -> None:
    """The full-width forms too: a Chinese keyboard types ＝, and Excel in an East
    Asian locale may read it as the formula sign."""
    assert cell(typed) == "'" + typed


@pytest.mark.parametrize("typed", ["王强", "36.5", "2020-02-23", "", "a=b"])
def test_an_ordinary_cell_is_written_as_it_is(typed: str) -> None:
    assert cell(typed) == typed
