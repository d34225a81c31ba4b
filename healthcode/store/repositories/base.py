"""Repositories: one per aggregate, query methods named after the domain.

All SQL lives in healthcode.store. Methods return table rows; conversion to domain
facts is in ``facts.py`` beside this module."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


class _Repo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(self, row: Any) -> None:
        self.session.add(row)


def insert_once(session: Session, row: Any) -> bool:
    """Insert ``row`` unless a unique key says it is there already (also when a
    concurrent transaction has just inserted it): False then, and nothing changes."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True
