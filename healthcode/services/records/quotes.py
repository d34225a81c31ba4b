"""Whether a quoted CSV cell running over lines is a note, or a quote left open.

A quote left open reads the rows after it into its cell, up to a stray quote or
the file's end: they vanish into one long note. A note typed with Alt+Enter also
runs over lines, and may be as full of commas as a row ("发热, 咳嗽, 乏力…"): telling
them apart by commas alone refused such notes. So a line of the cell is taken for
a swallowed row only if it reads as a row like the one the cell is in: as many
commas (tabs, in a tab-separated file), and its cells shaped (digits, ASCII, spaced
ASCII, other text) as that row's are, column by column.
"""

from __future__ import annotations

import csv
import re

_LINE_BREAK = re.compile("\r\n|\r|\n")
_ID_LIKE = re.compile(r"\d+[Xx]?")
_ALIKE = 3 / 4  # of the columns filled in both, the share shaped alike


def swallowed(
    cells: list[str], start: int, delimiters: int, previous: list[str] | None, *, delimiter: str
) -> int | None:
    """The line a quoted cell of a row (``cells``, starting on line ``start``) opens
    on when a line of it after its first reads as a row: ``delimiters`` separators
    (``delimiter``) or more, shaped as the row's cells before the cell (or
    ``previous``, the row before, when fewer than two precede it). With nothing to
    compare, the separators decide."""
    before = 0  # the line breaks in the row before this cell
    for index, cell in enumerate(cells):
        lines = _LINE_BREAK.split(cell)
        reference = cells[:index] if index >= 2 or previous is None else previous
        for line in lines[1:]:
            if line.count(delimiter) >= delimiters and _row_like(line, reference, delimiter):
                return start + before
        before += len(lines) - 1
    return None


def _row_like(line: str, reference: list[str], delimiter: str) -> bool:
    try:
        fields = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        fields = line.split(delimiter)
    pairs = [
        (_shape(field), _shape(cell))
        for field, cell in zip(fields, reference, strict=False)
        if field.strip() and cell.strip()
    ]
    if len(pairs) < 2:
        return True  # nothing to tell by: a line of a row's separators
    alike = sum(1 for mine, theirs in pairs if mine == theirs)
    return alike >= 2 and alike >= _ALIKE * len(pairs)


def _shape(cell: str) -> str:
    text = cell.strip()
    if _ID_LIKE.fullmatch(text):
        return "digits"
    if text.isascii():
        return "spaced" if " " in text else "ascii"
    return "text"
