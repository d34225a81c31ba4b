"""The tables. One module, so the whole schema reads in one sitting."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from healthcode.store.tables.base import Base, _id, _resident_fk


class Code(Base):
    """The cached current state of one resident's code under one policy."""

    __tablename__ = "codes"
    id: Mapped[uuid.UUID] = _id()
    resident_id: Mapped[uuid.UUID] = _resident_fk(index=False)
    policy_id: Mapped[str] = mapped_column(String(32))
    policy_version: Mapped[str] = mapped_column(String(32))
    colour: Mapped[str] = mapped_column(String(8), index=True)
    state: Mapped[dict[str, Any]]
    evaluated_at: Mapped[datetime]
    recheck_at: Mapped[datetime | None] = mapped_column(index=True)
    valid_until: Mapped[datetime | None]
    application_id: Mapped[uuid.UUID | None]
    awaiting_id: Mapped[uuid.UUID | None] = mapped_column(index=True)  # the issuer queue
    suggested: Mapped[str | None] = mapped_column(String(8))  # what the rules say of it
    history_seq: Mapped[int] = mapped_column(default=0, server_default="0")  # the last change's seq
    # the states time alone brings next, for the rollover (recolour.steps_ahead); only
    # the rollover reads it, so a code loaded anywhere else leaves it behind
    ahead: Mapped[list[Any] | None] = mapped_column(deferred=True)
    __table_args__ = (UniqueConstraint("resident_id", "policy_id"),)


class ColourChange(Base):
    __tablename__ = "colour_changes"
    id: Mapped[uuid.UUID] = _id()
    code_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("codes.id", ondelete="CASCADE"))
    resident_id: Mapped[uuid.UUID] = _resident_fk(index=False)  # the code's: the shard key
    seq: Mapped[int]  # 1, 2, … per code in commit order; unique, so no change is recorded twice
    at: Mapped[datetime]
    from_colour: Mapped[str | None] = mapped_column(String(8))
    to_colour: Mapped[str] = mapped_column(String(8))
    rule_ids: Mapped[list[Any]]
    policy_version: Mapped[str] = mapped_column(String(32))
    cause: Mapped[str] = mapped_column(String(32))
    actor_id: Mapped[uuid.UUID | None]
    note: Mapped[str] = mapped_column(
        String(500), default="", server_default=""
    )  # an override's reason
    __table_args__ = (
        Index("ix_colour_changes_code_at", "code_id", "at"),
        UniqueConstraint("code_id", "seq", name="uq_colour_changes_code_seq"),
    )


class Signature(Base):
    __tablename__ = "signatures"
    id: Mapped[uuid.UUID] = _id()
    declaration_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), index=True
    )
    resident_id: Mapped[uuid.UUID] = _resident_fk(index=False)  # the applicant: the shard key
    issuer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    colour: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(String(500), default="")
    signed_at: Mapped[datetime]
    # The grant it was made under; kept after a suspension or revocation.
    authorisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("authorisations.id"))
    # Yellow, "more information needed": what the issuer asked the resident for.
    requested: Mapped[list[Any] | None]


class SigningKey(Base):
    __tablename__ = "signing_keys"
    kid: Mapped[bytes] = mapped_column(LargeBinary(8), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    private_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]


class Revocation(Base):
    __tablename__ = "revocations"
    token_id: Mapped[bytes] = mapped_column(LargeBinary(16), primary_key=True)
    revoked_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(64))
    resident_id: Mapped[uuid.UUID | None]


class ListSigningKey(Base):
    """A key that signs the trust and revocation lists, never a code (docs/keys.md)."""

    __tablename__ = "list_signing_keys"
    kid: Mapped[bytes] = mapped_column(LargeBinary(8), primary_key=True)
    public_key: Mapped[bytes] = mapped_column(LargeBinary(32))
    private_cipher: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime]
    valid_from: Mapped[datetime]
    valid_until: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]


class ListHead(Base):
    """A signed list's current version; its row is locked while a change is recorded."""

    __tablename__ = "list_heads"
    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[int]
    changed_at: Mapped[datetime]


class ListEntry(Base):
    """One item of a signed list (a key by kid, a revocation by token id) and the
    version that last changed it; ``entry`` None: removed at that version. A delta
    since N is the entries whose version is above N."""

    __tablename__ = "list_entries"
    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    item: Mapped[str] = mapped_column(String(100), primary_key=True)
    version: Mapped[int]
    entry: Mapped[dict[str, Any] | None]
    __table_args__ = (Index("ix_list_entries_name_version", "name", "version"),)


class FederatedRegion(Base):
    """Another region whose codes our scanners accept: its entry and keys as imported,
    and a revision drawn anew by each import (what a gate's cache of them is keyed by)."""

    __tablename__ = "federated_regions"
    code: Mapped[str] = mapped_column(String(6), primary_key=True)
    region: Mapped[dict[str, Any]]
    keys: Mapped[list[Any]]
    imported_at: Mapped[datetime]
    revision: Mapped[uuid.UUID] = mapped_column(default=uuid.uuid4)


class PaperPass(Base):
    """A printed paper pass (seed 000 §四.二 纸质通行卡): the long-lived paper token an
    issuer printed for a signed application. The token itself is not kept, only its id
    (revoked by it), the colour it states and until when it counts."""

    __tablename__ = "paper_passes"
    id: Mapped[uuid.UUID] = _id()
    token_id: Mapped[bytes] = mapped_column(LargeBinary(16), unique=True)
    # The code-signing key that signed the token: retiring it voids the card
    # (`keys retire` counts the standing ones first).
    kid: Mapped[bytes | None] = mapped_column(LargeBinary(8), index=True)
    application_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("declarations.id", ondelete="CASCADE"), index=True
    )
    resident_id: Mapped[uuid.UUID] = _resident_fk(index=False)
    policy_id: Mapped[str] = mapped_column(String(32))
    colour: Mapped[str] = mapped_column(String(8))
    valid_until: Mapped[datetime]
    issued_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("accounts.id"))
    issued_at: Mapped[datetime]
    organisation_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("organisations.id"))
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("accounts.id"))
    # The issuer's words, or why it was withdrawn automatically (see docs/paper-passes.md).
    revoke_reason: Mapped[str | None] = mapped_column(String(200))
    __table_args__ = (Index("ix_paper_passes_resident_policy", "resident_id", "policy_id"),)
