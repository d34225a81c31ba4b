"""Files only their owner may read: the secret key, the SQLite database and var/.

They are created with their final mode (os.open/mkdir with a mode, then a chmod to
undo the umask on a directory nobody has seen yet), never written first and narrowed
afterwards, so no other local user ever reads a resident's data or the master
secret. SQLite gives its -wal and -shm files the mode of the database file, so a
private database keeps them private too.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600


def private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents owner-only; directories that already
    exist are left alone (the database may live in a shared one)."""
    if path.is_dir():
        return
    private_dir(path.parent)
    with contextlib.suppress(FileExistsError):  # another process made it meanwhile
        path.mkdir(mode=DIR_MODE)
        path.chmod(DIR_MODE)  # mkdir's mode passes through the umask


def private_file(path: Path, content: bytes = b"") -> None:
    """Create ``path`` owner-only holding ``content``, unless it exists: then narrow
    an old, world-readable file if it is ours. With O_EXCL two racing processes agree
    on one file: the loser reads the winner's."""
    private_dir(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        with contextlib.suppress(PermissionError):
            path.chmod(FILE_MODE)
        return
    with os.fdopen(fd, "wb") as file:
        file.write(content)
