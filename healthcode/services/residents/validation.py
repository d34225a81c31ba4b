"""What the values mean: every rejected field of a submission, reported at once."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from healthcode.domain.errors import FieldError, InvalidInput
from healthcode.domain.facts import ExposureKind
from healthcode.domain.i18n import N_, Words
from healthcode.domain.identity import (
    IdNumber,
    Region,
    parse_id_number,
    parse_name,
    parse_nationality,
    resolve_region,
)
from healthcode.domain.policy import Model, Policy
from healthcode.domain.temperature import HIGHEST_C, LOWEST_C, in_range
from healthcode.services.residents.inputs import (
    EXPOSURE_WORDS,
    SYMPTOM_WORDS,
    DeclarationInput,
    ExposureInput,
    HealthInput,
    TripInput,
)

T = TypeVar("T")
H = TypeVar("H", bound=HealthInput)

HISTORY = timedelta(days=365)
CONTACTS = frozenset({ExposureKind.FEBRILE_CONTACT, ExposureKind.HIGH_RISK_CONTACT})


class Collector:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def parse(self, parser: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        try:
            return parser(*args, **kwargs)
        except InvalidInput as error:
            self.errors.extend(error.errors)
            return None

    def add(self, field: str, code: str, message: str, **params: object) -> None:
        self.errors.append(FieldError(field, code, message, params))

    def done(self) -> None:
        if self.errors:
            raise InvalidInput(*self.errors)


@dataclass(frozen=True)
class ValidDeclaration:
    data: DeclarationInput
    name: str
    id_number: IdNumber
    region: Region


def validate_declaration(data: DeclarationInput, policy: Policy, today: date) -> ValidDeclaration:
    c = Collector()
    if not data.pledge:
        c.add(
            "pledge",
            "pledge_required",
            N_("Please confirm the pledge that everything you declared is true"),
        )
    name = c.parse(parse_name, data.name, field="name")
    id_number = c.parse(parse_id_number, data.id_number, today=today, field="id_number")
    region = c.parse(resolve_region, data.region, field="region")
    destination = (
        c.parse(resolve_region, data.destination, field="destination") if data.destination else None
    )
    c.parse(parse_nationality, data.nationality, field="nationality")
    _required(c, data, policy)
    if region is not None:
        _county_for_routing(c, data, policy, region)
    if data.residence_since is not None:
        _not_future(c, "residence_since", data.residence_since, today)
        if id_number and data.residence_since < id_number.birth_date:
            c.add("residence_since", "before_birth", N_("This date is before your birth date"))
    data = check_health(c, data, policy, today)
    c.done()
    assert name is not None
    assert id_number is not None
    assert region is not None
    data = data.model_copy(
        update={"region": region.code, "destination": destination.code if destination else None}
    )
    return ValidDeclaration(data, name, id_number, region)


def _county_for_routing(
    c: Collector, data: DeclarationInput, policy: Policy, region: Region
) -> None:
    """A pass application naming no community, village or employer goes to the one of
    the resident's county (``registry.reviewer_of``): a whole city or province matches
    no county, so it would wait for a community that can never be found."""
    chosen = data.organisation_id is not None or bool(data.employer_code.strip())
    if policy.model is Model.PASS and not chosen and region.level != "county":
        c.add(
            "region",
            "county_required",
            N_(
                "Choose your county or district, not a whole city or province "
                "({value}): your application goes to a community or village of your county"
            ),
            value=region.full_name,
        )


def _required(c: Collector, data: DeclarationInput, policy: Policy) -> None:
    for name in sorted(policy.form.requires):
        if getattr(data, name) in (None, ""):
            c.add(name, "required", N_("This is required for {title}"), title=policy.title)


def check_health(c: Collector, data: H, policy: Policy, today: date) -> H:
    """Report every problem to ``c``; return the data with typed place names as codes."""
    if data.temperature is not None:
        _temperature(c, data.temperature)
    for i, symptom in enumerate(data.symptoms):
        if symptom not in policy.form.symptoms:
            c.add(
                f"symptoms[{i}]",
                "not_asked",
                N_("'{value}' is not asked for this code"),
                value=Words(SYMPTOM_WORDS[symptom]),  # the form's words, not the value
            )
    for i, exposure in enumerate(data.exposures):
        _exposure(c, f"exposures[{i}]", exposure, policy, today)
    trips = [_trip(c, f"trips[{i}]", trip, today) for i, trip in enumerate(data.trips)]
    return data.model_copy(update={"trips": trips})


def check_temperature(value: float) -> float:
    """One temperature as a thermometer shows it (an issuer's reading on a video call):
    the same rule as a declaration's or a daily report's, or ``InvalidInput``."""
    c = Collector()
    _temperature(c, value)
    c.done()
    return value


def _temperature(c: Collector, value: float) -> None:
    """Thermometers show one decimal, and the value is compared as entered: 37.26 is
    refused rather than rounded up to a fever of 37.3."""
    if _decimals(value) > 1:
        c.add(
            "temperature",
            "decimals",
            N_("Enter the temperature as the thermometer shows it, with one decimal, e.g. 37.2"),
            value=value,
        )
        return
    if in_range(value):
        return
    if 93.0 <= value <= 108.5:
        c.add(
            "temperature",
            "fahrenheit",
            N_("{value} looks like degrees Fahrenheit; enter degrees Celsius, e.g. 36.5"),
            value=value,
        )
    else:
        c.add(
            "temperature",
            "out_of_range",
            N_(
                "A body temperature of {value} ℃ is not possible; enter a value between "
                "{low} and {high} ℃"
            ),
            value=value,
            low=LOWEST_C,
            high=HIGHEST_C,
        )


def _decimals(value: float) -> int:
    """Decimal places of the shortest text that reads back as ``value`` (what was typed:
    JSON and form text both arrive as a float)."""
    exponent = Decimal(repr(value)).as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def _exposure(c: Collector, where: str, e: ExposureInput, policy: Policy, today: date) -> None:
    if e.kind not in policy.form.exposures:
        c.add(
            f"{where}.kind",
            "not_asked",
            N_("'{value}' is not asked for this code"),
            value=Words(EXPOSURE_WORDS[e.kind]),
        )
    if e.start is not None:
        _not_future(c, f"{where}.start", e.start, today)
        _not_ancient(c, f"{where}.start", e.start, today)
    if e.end is not None and e.kind in CONTACTS:
        _not_future(c, f"{where}.end", e.end, today)
    _ordered(c, where, e.start, e.end)


def _trip(c: Collector, where: str, trip: TripInput, today: date) -> TripInput:
    region = c.parse(resolve_region, trip.region, field=f"{where}.region")
    _not_future(c, f"{where}.end", trip.end, today)
    _not_ancient(c, f"{where}.end", trip.end, today)
    _ordered(c, where, trip.start, trip.end)
    return trip.model_copy(update={"region": region.code}) if region else trip


def _not_future(c: Collector, field: str, day: date, today: date) -> None:
    if day > today:
        c.add(field, "future_date", N_("{day} is in the future"), day=day.isoformat())


def _not_ancient(c: Collector, field: str, day: date, today: date) -> None:
    if day < today - HISTORY:
        c.add(field, "too_old", N_("{day} is more than a year ago"), day=day.isoformat())


def _ordered(c: Collector, where: str, start: date | None, end: date | None) -> None:
    if start is not None and end is not None and start > end:
        c.add(f"{where}.start", "after_end", N_("The start date is after the end date"))


def dump_health(data: HealthInput) -> dict[str, list[Any]]:
    """The JSON the declaration and report rows keep."""
    return {
        "symptoms": sorted(s.value for s in data.symptoms),
        "exposures": [_dated(e.kind.value, e.start, e.end) for e in data.exposures],
        "trips": [{"region": t.region, **_dates(t.start, t.end)} for t in data.trips],
    }


def _dated(kind: str, start: date | None, end: date | None) -> dict[str, Any]:
    return {"kind": kind, **_dates(start, end)}


def _dates(start: date | None, end: date | None) -> dict[str, str | None]:
    return {"start": start.isoformat() if start else None, "end": end.isoformat() if end else None}
