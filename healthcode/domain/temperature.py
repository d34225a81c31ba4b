"""The body temperatures a reading may have: outside them it is a typing or reading
error, not a person. One rule for every place a temperature is entered (a daily
report, a declaration, a gate's thermometer online or offline, an employer's check-in,
the offline scanner's page): each asks ``range_error`` here, and the JSON models only
document the range (``services/shared/bounds.py:TEMPERATURE_SCHEMA``) instead of
holding bounds of their own. They used to disagree: 34.0–42.5 ℃ in a report,
34.0–43.0 ℃ at a gate, 30–45 ℃ in the API's models, so a reading of 44 passed the
batch upload's model and the scan was then not recorded, and one of 46 made the whole
batch a 422."""

from __future__ import annotations

from healthcode.domain.errors import FieldError, InvalidInput
from healthcode.domain.i18n import N_

LOWEST_C, HIGHEST_C = 34.0, 43.0
RANGE_CODE = "range"
RANGE_MESSAGE = N_("A body temperature lies between {low} and {high} ℃")


def in_range(value: float) -> bool:
    """A body can have it (NaN cannot)."""
    return LOWEST_C <= value <= HIGHEST_C


def range_error(value: float, *, field: str = "temperature") -> FieldError | None:
    """Why ``value`` is not a body temperature, or None when it is one."""
    if in_range(value):
        return None
    return FieldError(field, RANGE_CODE, RANGE_MESSAGE, {"low": LOWEST_C, "high": HIGHEST_C})


def check_range(value: float, *, field: str = "temperature") -> float:
    """``value`` if a body can have it, else ``InvalidInput`` naming ``field``."""
    error = range_error(value, field=field)
    if error is not None:
        raise InvalidInput(error)
    return value
