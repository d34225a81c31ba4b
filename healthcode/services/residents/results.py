"""What the residents' use cases hand to the edges: frozen results, never table rows."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from healthcode.store import tables as t


@dataclass(frozen=True)
class DeclarationDetail:
    """One declaration as declared; under a pass policy it is the application."""

    id: uuid.UUID
    resident_id: uuid.UUID | None  # none until the ID number is bound at confirmation
    policy_id: str
    submitted_at: datetime
    confirmed_at: datetime | None
    temperature: float | None
    symptoms: tuple[str, ...]
    exposures: tuple[Mapping[str, Any], ...]
    trips: tuple[Mapping[str, Any], ...]
    residence_since: date | None
    destination: str | None
    destination_detail: str
    purpose: str | None
    employer: str
    relationship: str | None = None  # made for a dependant (代领): how they are related

    @classmethod
    def of(cls, row: t.Declaration) -> DeclarationDetail:
        return cls(
            id=row.id,
            resident_id=row.resident_id,
            policy_id=row.policy_id,
            submitted_at=row.submitted_at,
            confirmed_at=row.confirmed_at,
            temperature=row.temperature,
            symptoms=tuple(row.symptoms),
            exposures=tuple(row.exposures),
            trips=tuple(row.trips),
            residence_since=row.residence_since,
            destination=row.destination,
            destination_detail=row.destination_detail,
            purpose=row.purpose,
            employer=row.employer,
            relationship=row.relationship,
        )
