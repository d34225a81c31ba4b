"""Typed input for the resident's use cases, shared by the JSON API and the web forms.

These models check shape and types only (a date is a date, a list has at most a few
items); what the values mean (a real ID number, a temperature a body can have) is
checked by ``validation`` so that every problem is reported at once, by field.
Text, dates and numbers are bounded by the shared ``bounds.InputModel``.
Field names follow GB/T 38962-2020's personal and health data items.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Annotated

from pydantic import BeforeValidator, ConfigDict, Field

from healthcode.domain.facts import ExposureKind, Symptom
from healthcode.domain.i18n import N_
from healthcode.services.shared.bounds import Day, InputModel, temperature_text

# The words for each symptom and contact, as the forms name them (English message
# ids): the pages' labels (``web/labels.py``) and the refusal of one a policy does not
# ask (``validation``) say the same. Until stop 43 that refusal named the value
# ("此码不需要填写“dry_cough”", an outside probe).
SYMPTOM_WORDS: Mapping[Symptom, str] = MappingProxyType(
    {
        Symptom.FEVER: N_("Fever (37.3 ℃ or above)"),
        Symptom.DRY_COUGH: N_("Persistent dry cough"),
        Symptom.FATIGUE: N_("Fatigue"),
        Symptom.SHORTNESS_OF_BREATH: N_("Shortness of breath"),
        Symptom.RESPIRATORY: N_("Respiratory symptoms (cough, sore throat, runny nose)"),
    }
)
EXPOSURE_WORDS: Mapping[ExposureKind, str] = MappingProxyType(
    {
        ExposureKind.CONFIRMED: N_("I am a confirmed COVID-19 case"),
        ExposureKind.SUSPECTED: N_("I am a suspected case"),
        ExposureKind.POSITIVE: N_("I tested positive (without symptoms)"),
        ExposureKind.CLOSE_CONTACT: N_("I am a close contact of a case"),
        ExposureKind.FEBRILE_CONTACT: N_(
            "I was in contact with a person with fever or respiratory symptoms"
        ),
        ExposureKind.HIGH_RISK_CONTACT: N_(
            "I was in contact with people from Hubei or another high-incidence area"
        ),
    }
)


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


class HealthInput(_Input):
    """What a daily report and a declaration both say about today's health."""

    temperature: Annotated[float | None, BeforeValidator(temperature_text)] = Field(
        None,
        description="℃ today, one decimal as the thermometer shows it (a number, or its text: "
        "full-width digits and a decimal comma are read too); null if not measured",
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
    # Only JSON true pledges: until stop 43 "yes" (or "1", "on") was taken as one (an
    # outside probe). The form sends a checkbox, read as a boolean (``web/forms.py``).
    pledge: bool = Field(strict=True, description="承诺: I declare the above is true (JSON true)")
