"""What the codes' use cases hand to the edges: frozen results, never table rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from healthcode.domain.records import read_data_note
from healthcode.store import tables as t

DATA = "data"  # recolour's cause for department data (``recolour.Cause.DATA``)


@dataclass(frozen=True)
class ColourChange:
    """One change of a code's colour, with the rules that caused it."""

    at: datetime
    from_colour: str | None
    to_colour: str
    rule_ids: tuple[str, ...]
    cause: str
    note: str = ""  # a manual override's reason, shown to the resident
    # a change department data caused: which department, and what kind of record
    department: str = ""
    record_kind: str = ""

    @classmethod
    def of(cls, row: t.ColourChange) -> ColourChange:
        department = kind = ""
        note = row.note
        if row.cause == DATA:  # never the import's file name (``data_note``)
            (department, kind), note = read_data_note(row.note), ""
        return cls(
            at=row.at,
            from_colour=row.from_colour,
            to_colour=row.to_colour,
            rule_ids=tuple(row.rule_ids),
            cause=row.cause,
            note=note,
            department=department,
            record_kind=kind,
        )
