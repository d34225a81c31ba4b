"""Memory stays flat however large the file: a file generated on the fly (never
stored) is imported at two sizes, and the peak of Python allocations while
importing the larger is not larger in proportion. The size is a parameter
(HEALTHCODE_TEST_IMPORT_KB, default 512 to keep the suite fast; e.g. 204800 for
the issue's 200 MB)."""

from __future__ import annotations

import io
import os
import tracemalloc
from datetime import date

from healthcode.domain.records import Department, ImportKind
from healthcode.services.records.imports import Sender, import_records
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork
from tests.factories.identity import make_id_number

KB = int(os.environ.get("HEALTHCODE_TEST_IMPORT_KB", "512"))


class GeneratedCsv(io.RawIOBase):
    """`size` bytes of close-contact rows, made as they are read."""

    def __init__(self, size: int) -> None:
        self.size, self.pos, self.row, self.pending = size, 0, 0, b""
        self.header = b"source_id,id_number,start\r\n"

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        assert (offset, whence) == (0, 0), "only a rewind to the start"
        self.pos, self.row, self.pending = 0, 0, b""
        return 0

    def tell(self) -> int:
        return self.pos

    def _next_line(self) -> bytes:
        if self.pos == 0 and self.row == 0:
            self.row = 1
            return self.header
        self.row += 1
        number = make_id_number(birth=date(1980, 1, 1), region="371602", seq=self.row % 999 + 1)
        return f"GEN-{self.row},{number},2020-02-22\r\n".encode()

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        while len(self.pending) < len(buffer) and self.pos + len(self.pending) < self.size:
            self.pending += self._next_line()
        n = min(len(buffer), len(self.pending), self.size - self.pos)
        buffer[:n] = self.pending[:n]
        self.pending, self.pos = self.pending[n:], self.pos + n
        return n


def peak_while_importing(uow: UnitOfWork, env: Env, size: int) -> int:
    stream = io.BufferedReader(GeneratedCsv(size), buffer_size=64 * 1024)
    tracemalloc.start()
    try:
        report = import_records(
            uow,
            env,
            sender=Sender(),
            department=Department.HEALTH,
            kind=ImportKind.CLOSE_CONTACT,
            stream=stream,
            file_name="generated.csv",
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.rows_read > size // 60  # every row was read
    uow.rollback()
    return peak


def test_memory_stays_flat_as_the_file_grows(uow: UnitOfWork, env: Env) -> None:
    small = peak_while_importing(uow, env, KB * 1024 // 4)
    large = peak_while_importing(uow, env, KB * 1024)
    assert large < small * 2, (small, large)  # four times the file, not four times the memory
