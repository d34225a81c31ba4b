"""A spreadsheet cell's number as the text a person typed (department files and
employers' rosters read XLSX alike)."""

from __future__ import annotations

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
