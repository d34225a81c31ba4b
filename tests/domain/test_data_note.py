"""A data change's note names the department and the kind, never the file."""

from __future__ import annotations

import pytest

from healthcode.domain.records import data_note, read_data_note


@pytest.mark.parametrize(
    ("note", "read"),
    [
        (data_note("health", "close_contact"), ("health", "close_contact")),
        (data_note("police", "high_risk_region"), ("police", "high_risk_region")),
        ("health: 密接名单_王科长整理.xlsx", ("health", "")),  # written before stop 31
        ("somebody: close_contact", ("", "")),
        ("", ("", "")),
    ],
)
def test_read(note: str, read: tuple[str, str]) -> None:
    assert read_data_note(note) == read
