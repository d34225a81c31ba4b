"""The tables. One module, so the whole schema reads in one sitting.

Personal numbers never appear in plain text: ID numbers and phone numbers are kept
as a keyed hash (for matching) plus an AES-GCM ciphertext and a masked form.
Times are UTC instants; days are Asia/Shanghai dates."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    MetaData,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from healthcode.store.types import JSONType, UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {  # noqa: RUF012 - SQLAlchemy's declared mapping
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType,
        list[Any]: JSONType,
        JSON: JSONType,
    }


def _id() -> Mapped[uuid.UUID]:
    return mapped_column(primary_key=True, default=uuid.uuid4)


def _resident_fk(*, index: bool = True) -> Mapped[uuid.UUID]:
    return mapped_column(ForeignKey("residents.id", ondelete="CASCADE"), index=index)
