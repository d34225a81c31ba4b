"""`healthcode data import --report FILE`: every refused row of an import, written as
it is found (memory flat however many), in the user's language.

CSV (UTF-8 with a BOM, so a spreadsheet reads the Chinese; the columns of the
batch page's refused.csv and the reason code), or JSON Lines when the file is named
.jsonl/.ndjson (line, column key, code, message, params). The file is written beside
its name and moved there once the batch has committed: an import refused whole, or
cut off, leaves no report of rows that were never kept.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from healthcode.domain.i18n import N_
from healthcode.domain.records import column_label
from healthcode.http.csv_files import cell
from healthcode.i18n import translate
from healthcode.services.records.imports import Refusal


class RefusalFile:
    def __init__(self, out: IO[str], *, json_lines: bool) -> None:
        self.out, self.json_lines = out, json_lines
        self.writer = None if json_lines else csv.writer(out)
        if self.writer is not None:
            out.write("\ufeff")
            header = (N_("Line"), N_("Column"), N_("Reason code"), N_("Why"))
            self.writer.writerow([translate(word) for word in header])

    @classmethod
    @contextmanager
    def at(cls, path: Path | None) -> Iterator[RefusalFile | None]:
        """A report written to ``path`` if the block ends well; none if ``path`` is None."""
        if path is None:
            yield None
            return
        part = path.with_name(path.name + ".part")
        json_lines = path.suffix.lower() in (".jsonl", ".ndjson")
        try:
            with part.open("w", encoding="utf-8", newline="") as out:
                yield cls(out, json_lines=json_lines)
            os.replace(part, path)
        finally:
            part.unlink(missing_ok=True)

    def write(self, refusal: Refusal) -> None:
        why = translate(refusal.message, refusal.params)
        if self.writer is not None:
            row = [str(refusal.line), column_label(refusal.field), refusal.code, cell(why)]
            self.writer.writerow(row)
            return
        line = {
            "line": refusal.line,
            "column": refusal.field,
            "code": refusal.code,
            "message": why,
            "params": refusal.params,
        }
        self.out.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
