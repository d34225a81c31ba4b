"""Scanning: venues (checkpoints, gates, shops…), their operators, every scan and
release. (The fraud cases a "not the holder" tap opens are ``tables/fraud.py``.)

A scan row is the tracing record (issue 12 item 2): where, who scanned, when it was
read and when the server learnt of it, what the code said (colour, or the refusal
reason as ``verdict``), which token (its fingerprint, never the text) and, when the
code names one, which resident. A scanner that was offline sends its own
``client_id`` for each scan; it is unique per venue, so an upload repeated after a
lost reply records nothing twice.

On PostgreSQL scans are partitioned by month of ``scanned_at`` (migration
0021_partitions, ``store/partitions.py``): the primary key there is
(``id``, ``scanned_at``) and the unique key holds ``scanned_at`` too, as a partitioned
table requires; ``Scans.record_once`` keeps ``client_id`` unique per venue.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.store.tables.base import Base, _id


class Venue(Base):
    """A place where codes are scanned (场所/卡口), registered by an organisation."""

    __tablename__ = "venues"
    id: Mapped[uuid.UUID] = _id()
    organisation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("organisations.id"), index=True)
    # checkpoint | employer_gate | school | community_gate | market | fever_clinic |
    # pharmacy | other
    kind: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(100))
    address: Mapped[str] = mapped_column(String(200), default="")
    region_code: Mapped[str] = mapped_column(String(6), index=True)  # GB/T 2260 county
    latitude: Mapped[float | None]  # WGS-84 degrees, for the distance flag
    longitude: Mapped[float | None]
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | closed
    gate_mode: Mapped[bool] = mapped_column(default=False)  # yellow and red refused outright
    # The random public code printed in the venue's QR (场所码), for self check-in.
    code: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime]
    created_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))


class VenueOperator(Base):
    """A staff account that scans at a venue (it holds the checkpoint role scoped to the
    venue's organisation while it operates one of its venues)."""

    __tablename__ = "venue_operators"
    id: Mapped[uuid.UUID] = _id()
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    assigned_at: Mapped[datetime]
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    __table_args__ = (
        UniqueConstraint("venue_id", "account_id", name="uq_venue_operators_venue_account"),
    )


class Scan(Base):
    __tablename__ = "scans"
    id: Mapped[uuid.UUID] = _id()
    venue_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("venues.id", ondelete="CASCADE"))
    # None: a resident's self check-in with the venue's code
    operator_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    lane: Mapped[str] = mapped_column(String(16))  # camera|id_card|self_check_in|offline_upload
    client_id: Mapped[str | None] = mapped_column(String(64))  # the scanner's own id
    scanned_at: Mapped[datetime]  # when it was read (the scanner's clock, offline)
    recorded_at: Mapped[datetime]  # when the server recorded it
    verdict: Mapped[str | None] = mapped_column(String(32))  # a refusal reason; None: read
    colour: Mapped[str | None] = mapped_column(String(8))
    policy_id: Mapped[str | None] = mapped_column(String(32))
    masked_name: Mapped[str | None] = mapped_column(String(64))  # as the code showed it
    valid_until: Mapped[datetime | None]  # the pass's end, as the code showed it
    # the token's identity, never its text or a hash of it (``scans.fingerprint``)
    token_fingerprint: Mapped[bytes | None] = mapped_column(LargeBinary(32))
    resident_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("residents.id", ondelete="SET NULL")
    )
    temperature: Mapped[float | None]  # ℃, taken at release
    released_at: Mapped[datetime | None]
    released_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    flags: Mapped[list[Any]] = mapped_column(default=list)  # anti-fraud flags, by code
    # another region's code (docs/federation.md): its region, and its claims as that
    # region sent them (text keys, byte strings as h'hex'); None for ours
    region_code: Mapped[str | None] = mapped_column(String(6))
    region_name: Mapped[str | None] = mapped_column(String(100))
    foreign_claims: Mapped[dict[str, Any] | None]
    __table_args__ = (
        UniqueConstraint("venue_id", "client_id", "scanned_at", name="uq_scans_venue_client_id"),
        Index("ix_scans_venue_scanned_at", "venue_id", "scanned_at"),
        Index("ix_scans_resident_scanned_at", "resident_id", "scanned_at"),
        Index("ix_scans_fingerprint_scanned_at", "token_fingerprint", "scanned_at"),
    )
