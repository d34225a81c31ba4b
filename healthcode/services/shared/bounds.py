"""Bounds every input is held to before a service sees it: text without control
characters, dates and instants inside a sane window, integers that fit a database.

Malformed input must be a 422 naming the field, never a 500 from deep inside:
PostgreSQL refuses NUL in text, a lone surrogate cannot be encoded, date arithmetic
overflows near the years 1 and 9999, and an offset past 2**63 does not fit a BIGINT.
``InputModel`` applies the checks to every field of every input model and refuses
infinite and NaN numbers (the JSON API and the web forms share the models); the
``Annotated`` types apply the same checks to query parameters. The error types
``control_character`` and ``date_out_of_range`` get their words in ``http/errors.py``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    JsonValue,
    field_validator,
)
from pydantic_core import PydanticCustomError

from healthcode.domain.temperature import HIGHEST_C, LOWEST_C

# Birth dates, residence, trips, exposures and revocation times all fall well inside.
EARLIEST = date(1900, 1, 1)
LATEST = date(2099, 12, 31)
MAX_OFFSET = 1_000_000  # paging deeper than this is not a use of the queue
# Unicode's controls (category Cc: NUL, ESC, DEL, C1) but the layout ones (tab, line
# feed, carriage return), lone surrogates (Cs), and the bidirectional embeddings,
# overrides and isolates (U+202A-202E, U+2066-2069), which make a reason read on screen
# otherwise than it is written; one regex search, as every field of every request is
# checked (a code's 300-odd characters took ~0.1 ms one by one).
_FORBIDDEN_CHARACTER = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\u202a-\u202e\u2066-\u2069]"
)


def check_text(value: str) -> str:
    found = _FORBIDDEN_CHARACTER.search(value)
    if found is not None:
        raise PydanticCustomError(
            "control_character",
            "Control character U+{codepoint} at position {position}",
            {"codepoint": f"{ord(found.group()):04X}", "position": found.start() + 1},
        )
    return value


def _out_of_range() -> PydanticCustomError:
    return PydanticCustomError(
        "date_out_of_range",
        "Dates must lie between {earliest} and {latest}",
        {"earliest": EARLIEST.isoformat(), "latest": LATEST.isoformat()},
    )


def check_day(value: date) -> date:
    if not EARLIEST <= value <= LATEST:
        raise _out_of_range()
    return value


_FIRST = datetime.combine(EARLIEST, time.min, UTC)
_LAST = datetime.combine(LATEST, time.max, UTC)


def check_moment(value: datetime) -> datetime:
    """An instant in the window, compared without converting (converting
    9999-12-31T23:59:59-12:00 to UTC is what overflows)."""
    inside = _FIRST <= value <= _LAST if value.tzinfo else EARLIEST <= value.date() <= LATEST
    if not inside:
        raise _out_of_range()
    return value


# What pydantic would read as seconds since 1970 in a string ("1582452000", "1582452000.5")
_NUMBER = re.compile(r"\s*[+-]?\d+(\.\d*)?\s*")


def _as_text(kind: type, code: str, words: str) -> Callable[[Any], Any]:
    """A check that a time or a day sent is text, not a number: pydantic would read a
    number, or a string of digits, as seconds since 1970, so a scanner sending its
    clock's milliseconds was told its scan was "too old" (or had it recorded at
    another time), ``residence_since: 0`` was kept as 1970-01-01 and "20200220" as a
    day in August 1970, and nobody was told they sent no time. Other text is
    pydantic's to read and refuse (``timezone_aware`` when a time's offset is
    missing); a ``kind`` value passes (a caller in Python)."""

    def check(value: Any) -> Any:
        if isinstance(value, kind):
            return value
        if not isinstance(value, str):
            raise PydanticCustomError(f"{code}_type", words)
        if _NUMBER.fullmatch(value) is not None:
            raise PydanticCustomError(f"{code}_parsing", words)
        return value

    return check


check_time_text = _as_text(datetime, "datetime", "Input should be an ISO 8601 time")
check_day_text = _as_text(date, "date", "Input should be a valid date")


def check_any(value: Any) -> Any:
    """The check for whatever a field holds; lists are checked item by item."""
    if isinstance(value, str):
        return check_text(value)
    if isinstance(value, datetime):
        return check_moment(value)
    if isinstance(value, date):
        return check_day(value)
    if isinstance(value, list | tuple):
        for item in value:
            check_any(item)
    return value


class InputModel(BaseModel):
    """The base of every input model: all its fields pass ``check_any``, and a number is
    finite (JSON's 1e999 reads as infinity, and NaN is taken: a refusal quoting either
    could not be written as JSON)."""

    model_config = ConfigDict(allow_inf_nan=False)

    @field_validator("*", mode="after")
    @classmethod
    def _within_bounds(cls, value: Any) -> Any:
        return check_any(value)


SafeText = Annotated[str, AfterValidator(check_text)]
# an instant: ISO 8601 text with its offset, inside the window
Moment = Annotated[AwareDatetime, BeforeValidator(check_time_text), AfterValidator(check_moment)]
# a calendar day: YYYY-MM-DD text
Day = Annotated[date, BeforeValidator(check_day_text)]

# A temperature field's JSON schema: the domain's range documented, not checked by the
# model (``domain/temperature.py`` refuses it, with the same words everywhere).
TEMPERATURE_SCHEMA: dict[str, JsonValue] = {"minimum": LOWEST_C, "maximum": HIGHEST_C}


def not_a_boolean(value: object) -> object:
    """JSON ``true`` would otherwise be read as 1.0 ℃ and refused as out of range: a
    boolean is not a number (as a daily report's reading, ``residents/inputs.py``)."""
    if isinstance(value, bool):
        raise PydanticCustomError("float_type", "Input should be a valid number")
    return value


def temperature_text(value: object) -> object:
    """A temperature as a phone keyboard types it, for every form and API alike (one
    parser: a form hands its text here): full-width digits and a decimal comma are
    the same number ("３６．５", "36,5" and "36，5" are 36.5). Until stop 43 the forms
    took them and the APIs answered 422 ``float_parsing`` (an outside probe); the
    check-in and gate APIs until stop 45. A boolean is not a number."""
    value = not_a_boolean(value)
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip().replace(",", ".")
    return value


# A reading in ℃ (the gate's, a check-in's)
Celsius = Annotated[float, BeforeValidator(temperature_text)]
