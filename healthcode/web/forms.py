"""Form posts to typed input and field errors back to form fields.

The pages post plain HTML forms (they work with JavaScript off). This module turns
a form into the same typed input the JSON API takes (``services.inputs``), and turns
the services' field errors (``trips[1].end``) back into the names of the inputs the
resident typed in (``trip-3-end``), so each reason shows beside its field and every
typed value is put back on the page.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from healthcode.domain.errors import DomainError, FieldError, InvalidInput
from healthcode.domain.facts import ExposureKind
from healthcode.domain.i18n import N_
from healthcode.domain.tokens.codec import MAX_TEXT_CHARS
from healthcode.http.errors import in_words, validation_fields
from healthcode.i18n import translate
from healthcode.services.residents.binding import DeclaredIdentity
from healthcode.services.residents.results import DeclarationDetail

M = TypeVar("M", bound=BaseModel)


def form_id(value: str) -> uuid.UUID | None:
    """An id a form posted (a hidden field, a choice); None for anything else, which
    each page refuses in its own words."""
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


TEXT_FIELDS = (
    "name", "id_number", "nationality", "region", "address", "residence_since",
    "destination", "destination_detail", "purpose", "employer", "organisation_id",
    "employer_code",
)  # fmt: skip
OPTIONAL_DATES = frozenset({"residence_since"})
# left empty, sent as "" for the service to name beside the others (as None, the input
# model refused them first, and the pledge and a pass's fields came a round later)
CHECKED_TEXT = frozenset({"name", "id_number", "region"})
MAX_TRIP_ROWS = 20
_PATH = re.compile(r"^(?P<group>\w+)\[(?P<index>\d+)\](?:\.(?P<part>\w+))?$")


@dataclass
class FormState:
    """What the form shows: typed values, ticked boxes, errors by input name."""

    values: dict[str, str] = field(default_factory=dict)
    ticked: dict[str, list[str]] = field(default_factory=dict)
    errors: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)
    trip_rows: int = 1

    def value(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)

    def is_ticked(self, name: str, value: str) -> bool:
        return value in self.ticked.get(name, ())

    def add_error(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)


@dataclass
class Layout:
    """Which exposure kind and which trip row each list index of the input came from."""

    exposures: list[str] = field(default_factory=list)
    trips: list[int] = field(default_factory=list)

    def input_name(self, path: str) -> str | None:
        """The form input behind a service field path, or None for a form-wide error."""
        match = _PATH.match(path)
        if match is None:
            return path if path in TEXT_FIELDS or path in ("temperature", "pledge") else None
        group, index, part = match["group"], int(match["index"]), match["part"]
        if group == "symptoms":
            return "symptoms"
        if group == "exposures" and index < len(self.exposures):
            kind = self.exposures[index]
            return "exposure" if part in (None, "kind") else f"exposure-{kind}-{part}"
        if group == "trips" and index < len(self.trips):
            return f"trip-{self.trips[index]}-{part or 'region'}"
        return None


def clean(text: str) -> str:
    """Phone keyboards send full-width digits and decimal commas: normalise them."""
    return unicodedata.normalize("NFKC", text).strip().replace("，", ",")


def temperature(state: FormState) -> str | None:
    """The typed temperature wins over a quick-pick chip; empty means not measured. Its
    text is read by the input model (``inputs.temperature_text``: full-width digits, a
    decimal comma), the one parser the API's requests go through too."""
    return state.value("temperature") or state.value("temperature_pick") or None


def decision(value: object, yes: str) -> bool:
    """A two-button decision's answer: True for ``yes``, False for "reject". Anything
    else (no button, a stale or tampered form) is refused: it used to count as a
    rejection, deciding what the officer never chose."""
    if value == yes:
        return True
    if value == "reject":
        return False
    raise InvalidInput.single("decision", "required", N_("Press one of the two buttons to decide"))


def read_form(form: FormData, *, list_fields: Iterable[str] = ()) -> FormState:
    state = FormState()
    for key, value in form.multi_items():
        if not isinstance(value, str) or key in ("csrf_token", "idempotency_key"):
            continue
        if key in list_fields:
            state.ticked.setdefault(key, []).append(value)
        else:
            # bounded, never below a field's own limit: at 400 a counter note (500), an
            # appeal decision (1000) or another region's code (4,296) was cut silently
            state.values[key] = clean(value)[:MAX_TEXT_CHARS]
    rows = whole_number(state.value("trip_rows"))
    state.trip_rows = min(rows, MAX_TRIP_ROWS) if rows else 1
    return state


def whole_number(raw: str) -> int | None:
    """A plain decimal number as sent in a field or a query, else None: "²" is a digit to
    ``str.isdigit`` but not to ``int`` (a 500), nor are 5,000 digits (past its limit)."""
    raw = raw.strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


def health_payload(
    state: FormState, kinds: Sequence[ExposureKind]
) -> tuple[dict[str, Any], Layout]:
    """Temperature, symptoms, exposures and trips as ``HealthInput`` data."""
    layout = Layout()
    exposures = []
    for kind in kinds:
        if state.is_ticked("exposure", kind.value):
            layout.exposures.append(kind.value)
            prefix = f"exposure-{kind.value}"
            dates = _dates(state.value(f"{prefix}-start"), state.value(f"{prefix}-end"))
            exposures.append({"kind": kind.value} | dates)
    trips = []
    for row in range(state.trip_rows):
        parts = {p: state.value(f"trip-{row}-{p}") for p in ("region", "start", "end")}
        if any(parts.values()):
            layout.trips.append(row)
            trips.append({"region": parts["region"]} | _dates(parts["start"], parts["end"]))
    payload = {
        "temperature": temperature(state),
        "symptoms": state.ticked.get("symptoms", []),
        "exposures": exposures,
        "trips": trips,
    }
    return payload, layout


def _dates(start: str, end: str) -> dict[str, str]:
    """Only the dates given: a missing required one is reported as missing."""
    return {k: v for k, v in (("start", start), ("end", end)) if v}


def declaration_payload(
    state: FormState, policy_id: str, kinds: Sequence[ExposureKind]
) -> tuple[dict[str, Any], Layout]:
    payload, layout = health_payload(state, kinds)
    for name in TEXT_FIELDS:
        value = state.value(name)
        if value or name not in OPTIONAL_DATES:
            payload[name] = value or ("" if name in CHECKED_TEXT else None)
    payload = {k: v for k, v in payload.items() if v is not None}
    payload.update(policy=policy_id, pledge=state.value("pledge") == "yes")
    payload.setdefault("nationality", "CHN")
    return payload, layout


def parse(model: type[M], payload: dict[str, Any]) -> M:
    """Typed input, or ``InvalidInput`` with the API's field-by-field messages. The
    text fields kept empty for the service to name are named here too when the input
    model stops first (a choice left unchosen), so that they come in the same round."""
    try:
        return model.model_validate(payload)
    except ValidationError as error:
        found = validation_fields(error.errors())
        named = {f.field for f in found}
        found += [
            FieldError(name, "missing", N_("This field is required"), {})
            for name in sorted(CHECKED_TEXT)
            if payload.get(name) == "" and name not in named
        ]
        raise InvalidInput(*found) from None


def show_errors(state: FormState, layout: Layout, errors: Sequence[FieldError]) -> None:
    for error in errors:
        message = translate(error.message, error.params)
        name = layout.input_name(error.field)
        if name is None:
            state.general.append(message)
        else:
            state.add_error(name, message)


def reject(state: FormState, layout: Layout, error: DomainError) -> None:
    """Put a service's refusal on the form: by field if it names fields, else on top.
    The page has already told its unit of work (``uow.refused(error)``)."""
    if isinstance(error, InvalidInput):
        show_errors(state, layout, error.errors)
    else:
        state.general.append(in_words(error))


def form_from_declaration(
    row: DeclarationDetail, who: DeclaredIdentity, *, health: bool = True
) -> FormState:
    """ "Back to edit" from the confirmation screen: everything but the ID number,
    which is kept only encrypted and must be typed again. Without ``health``, a new
    declaration started from an earlier one: who and where (and a pass's destination
    and purpose), the health answers asked afresh."""
    state = FormState()
    values = {
        "name": who.name,
        "nationality": who.nationality,
        "region": who.region_code,
        "address": who.address,
        "temperature": "" if row.temperature is None or not health else f"{row.temperature:.1f}",
        "residence_since": row.residence_since.isoformat() if row.residence_since else "",
        "destination": row.destination or "",
        "destination_detail": row.destination_detail,
        "purpose": row.purpose or "",
        "employer": row.employer,
    }
    state.values = {k: str(v) for k, v in values.items() if v}
    if not health:
        return state
    state.ticked["symptoms"] = list(row.symptoms)
    for exposure in row.exposures:
        kind = str(exposure["kind"])
        state.ticked.setdefault("exposure", []).append(kind)
        for part in ("start", "end"):
            if exposure.get(part):
                state.values[f"exposure-{kind}-{part}"] = str(exposure[part])
    for index, trip in enumerate(row.trips):
        for part in ("region", "start", "end"):
            if trip.get(part):
                state.values[f"trip-{index}-{part}"] = str(trip[part])
    state.trip_rows = max(1, len(row.trips))
    return state
