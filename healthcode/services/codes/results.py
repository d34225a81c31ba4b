"""What the codes' use cases hand to the edges: frozen results, never table rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from healthcode.store import tables as t


@dataclass(frozen=True)
class ColourChange:
    """One change of a code's colour, with the rules that caused it."""

    at: datetime
    from_colour: str | None
    to_colour: str
    rule_ids: tuple[str, ...]
    cause: str
    note: str = ""  # a manual override's reason, shown to the resident

    @classmethod
    def of(cls, row: t.ColourChange) -> ColourChange:
        return cls(
            at=row.at,
            from_colour=row.from_colour,
            to_colour=row.to_colour,
            rule_ids=tuple(row.rule_ids),
            cause=row.cause,
            note=row.note,
        )
