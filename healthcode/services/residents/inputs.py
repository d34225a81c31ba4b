"""Typed input for the resident's use cases, shared by the JSON API and the web forms.

These models check shape and types only (a date is a date, a list has at most a few
items); what the values mean (a real ID number, a temperature a body can have) is
checked by ``validation`` so that every problem is reported at once, by field.
Text, dates and numbers are bounded by the shared ``bounds.InputModel``.
Field names follow GB/T 38962-2020's personal and health data items.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Annotated

from pydantic import BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticCustomError

from healthcode.domain.facts import ExposureKind, Symptom
from healthcode.services.shared.bounds import Day, InputModel


class Purpose(StrEnum):
    WORK = "work"  # 复工
    SCHOOL = "school"  # 复学
    OTHER = "other"


class _Input(InputModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


class TripInput(_Input):
    region: str = Field(max_length=40, description="region code (GB/T 2260) or place name")
    start: Day | None = None
    end: Day = Field(description="the day you left the region")


class ExposureInput(_Input):
    kind: ExposureKind
    start: Day | None = Field(None, description="diagnosis or isolation start")
    end: Day | None = Field(None, description="discharge, cure, release or last contact")


def _not_a_boolean(value: object) -> object:
    """JSON ``true`` would otherwise be read as 1.0 ℃: a boolean is not a number."""
    if isinstance(value, bool):
        raise PydanticCustomError("float_type", "Input should be a valid number")
    return value


class HealthInput(_Input):
    """What a daily report and a declaration both say about today's health."""

    temperature: Annotated[float | None, BeforeValidator(_not_a_boolean)] = Field(
        None, description="℃ today, one decimal as the thermometer shows it; null if not measured"
    )
    symptoms: list[Symptom] = Field(default_factory=list, max_length=10)
    exposures: list[ExposureInput] = Field(default_factory=list, max_length=10)
    trips: list[TripInput] = Field(default_factory=list, max_length=20)


class DailyReportInput(HealthInput):
    pass


class DeclarationInput(HealthInput):
    policy: str = Field(max_length=32)
    name: str = Field(max_length=80)
    id_number: str = Field(max_length=40)
    nationality: str = Field("CHN", min_length=3, max_length=3)
    region: str = Field(max_length=40, description="where you live now (region code or place name)")
    address: str = Field("", max_length=200)
    residence_since: Day | None = Field(None, description="living in the province since")
    destination: str | None = Field(None, max_length=40, description="region code or place name")
    destination_detail: str = Field("", max_length=200)
    purpose: Purpose | None = None
    employer: str = Field("", max_length=100)
    organisation_id: uuid.UUID | None = Field(
        None, description="who reviews a pass application: the community, village or employer"
    )
    employer_code: str = Field(
        "", max_length=40, description="apply as staff of the employer with this credit code"
    )
    pledge: bool = Field(description="承诺: I declare the above is true")
