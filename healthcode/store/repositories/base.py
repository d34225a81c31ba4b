"""Repositories: one per aggregate, query methods named after the domain.

All SQL lives in healthcode.store. Methods return table rows; conversion to domain
facts is in ``facts.py`` beside this module."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session


class _Repo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: Any) -> None:
        self.session.add(row)
