"""Each record number's first row in an import file, kept for the rows after it.

A record number names one record about one person: a later row with an earlier row's
number is that row again (unchanged) or refused (``source_id_repeated``: another ID
number, other values, or a repeat of a row that was not taken). The first rows were
kept a chunk of 5,000 rows at a time, so the same two rows were refused in one chunk
and kept in two, the later one's person turned red (until stop 43; an outside probe).
They are kept for the whole file now, and memory stays flat: up to ``IN_MEMORY`` in a
dict, beyond that in a temporary SQLite file (deleted when closed, as ``shared/xlsx``
keeps a workbook's shared strings), from which a chunk's record numbers are read back
before its rows are sorted (``recall``): one query per 500 numbers, and none while the
file has fewer than ``IN_MEMORY`` numbers.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from datetime import date
from typing import NamedTuple

from healthcode.domain.facts import QuarantineSetting
from healthcode.domain.records import RecordRow

IN_MEMORY = 5000  # first rows in memory; more go to disk after the chunk
_ASKED = 500  # record numbers read back from disk in one query


class First(NamedTuple):
    """A record number's first valid row in the file, and whether it was taken (added,
    unchanged or amended; not a row that matched nobody or was refused)."""

    row: RecordRow
    id_hash: bytes  # of its ID number (b"" for a high-risk listing)
    taken: bool


class FirstRows:
    """The file's first rows by record number: ``recent`` in memory, the rest on disk."""

    def __init__(self) -> None:
        self.recent: dict[str, First] = {}
        self._disk: sqlite3.Connection | None = None

    def recall(self, source_ids: Iterable[str]) -> None:
        """Read back into ``recent`` the first rows of these numbers (a chunk's) that
        went to disk."""
        if self._disk is None:
            return
        wanted = [s for s in set(source_ids) if s not in self.recent]
        for at in range(0, len(wanted), _ASKED):
            asked = wanted[at : at + _ASKED]
            query = (
                "SELECT source_id, line, id_hash, taken, start, end, setting, region, detail "
                f"FROM first_rows WHERE source_id IN ({','.join('?' * len(asked))})"
            )
            for found in self._disk.execute(query, asked):
                self.recent[found[0]] = First(_row(*found), found[2], bool(found[3]))

    def settle(self) -> None:
        """After a chunk: past ``IN_MEMORY`` first rows, move them to disk."""
        if len(self.recent) < IN_MEMORY:
            return
        if self._disk is None:
            self._disk = sqlite3.connect("")  # a private file, deleted on close
            self._disk.execute(
                "CREATE TABLE first_rows (source_id TEXT PRIMARY KEY, line INTEGER, id_hash "
                "BLOB, taken INTEGER, start INTEGER, end INTEGER, setting TEXT, region TEXT, "
                "detail TEXT) WITHOUT ROWID"
            )
        self._disk.executemany(
            "INSERT OR IGNORE INTO first_rows VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (_stored(source_id, first) for source_id, first in self.recent.items()),
        )
        self.recent.clear()

    def close(self) -> None:
        self.recent.clear()
        if self._disk is not None:
            self._disk.close()
            self._disk = None


def _stored(source_id: str, first: First) -> tuple[object, ...]:
    """A first row as the disk keeps it: what a later row is compared by (its dates,
    setting, region and note), dates as day numbers."""
    row = first.row
    start, end, setting = row.start, row.end, row.setting
    return (
        source_id,
        row.line,
        first.id_hash,
        first.taken,
        start.toordinal() if start else None,
        end.toordinal() if end else None,
        setting.value if setting else None,
        row.region,
        row.detail,
    )


def _row(
    source_id: str,
    line: int,
    _id_hash: bytes,
    _taken: int,
    start: int | None,
    end: int | None,
    setting: str | None,
    region: str | None,
    detail: str,
) -> RecordRow:
    return RecordRow(
        line=line,
        source_id=source_id,
        start=date.fromordinal(start) if start is not None else None,
        end=date.fromordinal(end) if end is not None else None,
        setting=QuarantineSetting(setting) if setting else None,
        region=region,
        detail=detail,
    )
