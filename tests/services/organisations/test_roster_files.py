"""Reading an employer's staff file: an XLSX workbook is read as a stream, so its
memory follows the rows it holds, not the corner cell it names."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import xlsxwriter

from tests.factories.roster import HEADER_ZH

ROOT = Path(__file__).resolve().parents[3]
READ = """
import sys
from healthcode.domain.errors import InvalidInput
from healthcode.services.organisations.roster_files import read_rows
try:
    rows = list(read_rows(open(sys.argv[1], "rb").read(), filename="far.xlsx"))
except InvalidInput as refused:
    print(refused.errors[0].code)
else:
    print(len(rows))
"""
MEMORY = 1024**3  # the reading process's address space


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def test_a_workbook_naming_its_far_corner_is_refused_in_flat_memory(tmp_path: Path) -> None:
    """A 6 KB workbook, a header and one cell at XFD1048576: it was read as a dense
    sheet of 17 billion cells, whose allocation aborted the server's process."""
    path = tmp_path / "far.xlsx"
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet()
    sheet.write_row(0, 0, HEADER_ZH)
    sheet.write_string(1_048_575, 16_383, "x")
    book.close()
    done = subprocess.run(
        [sys.executable, "-c", READ, str(path)],
        cwd=ROOT,
        preexec_fn=_limited,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-800:]
    assert done.stdout.strip() == "too_many_rows"
