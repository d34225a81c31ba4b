"""A spreadsheet's cells as a person typed them, read alike in department files and
employers' rosters: a cell's number as its text, a text file's separator."""

from __future__ import annotations

import csv
from collections.abc import Callable, Sequence
from typing import Any

EXACT = 2**53  # a float holds every integer below this exactly


def cell_text(value: Any) -> Any:
    """An integral number (a record number, a phone typed without text format)
    without its ".0". An 18-digit ID number stored as a number has lost its last
    digits: it stays a number (3.71602199303038e+17), which the ID check refuses as
    such, rather than becoming another person's number that may pass the check."""
    if isinstance(value, float) and value.is_integer() and abs(value) < EXACT:
        return str(int(value))
    return value


def delimiter_of(line: str, delimiters: Sequence[str], named: Callable[[list[str]], int]) -> str:
    """The separator whose reading of the header line names the most columns (``named``
    counts them), the first of equals: Excel saves a "CSV" with semicolons where a
    comma is the decimal mark, and its "Unicode text" and a sheet copied out as text
    are tab-separated; read by commas, each was one column, lacking every one."""
    return max(delimiters, key=lambda delimiter: named(_split(line, delimiter)))


def _split(line: str, delimiter: str) -> list[str]:
    try:
        return next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:
        return []
