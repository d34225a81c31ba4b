"""var/, the secret key and the SQLite database with its WAL are the owner's alone."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from healthcode.config import Settings
from healthcode.store.db import make_engine


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A fresh working directory under the most permissive umask there is."""
    monkeypatch.chdir(tmp_path)
    previous = os.umask(0)
    try:
        yield tmp_path
    finally:
        os.umask(previous)


def test_a_generated_secret_key_and_var_are_private(open_umask: Path) -> None:
    secret = Settings(secret_key="").secret
    assert len(secret) >= 48
    assert _mode(open_umask / "var") == 0o700
    assert _mode(open_umask / "var" / "secret.key") == 0o600
    assert Settings(secret_key="").secret == secret  # read back, not regenerated


def test_an_old_world_readable_key_is_narrowed(open_umask: Path) -> None:
    (open_umask / "var").mkdir(mode=0o755)
    (open_umask / "var" / "secret.key").write_text("k" * 64)
    (open_umask / "var" / "secret.key").chmod(0o644)
    assert Settings(secret_key="").secret == b"k" * 64
    assert _mode(open_umask / "var") == 0o700
    assert _mode(open_umask / "var" / "secret.key") == 0o600


def test_the_sqlite_database_and_its_wal_are_private(open_umask: Path) -> None:
    engine = make_engine("sqlite:///var/data/healthcode.db")
    try:
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE t (x INTEGER)"))
            conn.execute(text("INSERT INTO t VALUES (1)"))
        files = sorted((open_umask / "var" / "data").iterdir())
        assert {p.name for p in files} >= {"healthcode.db", "healthcode.db-wal"}
        assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
        assert _mode(open_umask / "var") == 0o700
        assert _mode(open_umask / "var" / "data") == 0o700
    finally:
        engine.dispose()
