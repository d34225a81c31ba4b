"""A scan as the operator's screen reads it, localised, and an offline scanner's batch
as it goes up and comes back: shared by the JSON API and the pages.

A batch is read item by item (``read_batch``): one malformed item (a token longer than a
QR code holds, a reading that is not a number) is refused by itself, naming its field,
and the rest of the batch is recorded; before, one such item made the whole batch a
422, and the offline scanner's queue waited forever behind it. An item's refusal is
named as a scan sent at once names the same check: its field error's code
(``string_too_long``, ``future``, ``range``) or the verifier's verdict (``expired``).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    WithJsonSchema,
)

from healthcode.domain.checkpoint import (
    FLAG_MESSAGES,
    GENERIC_ACTIONS,
    VERDICT_MESSAGES,
    generic_headline,
)
from healthcode.domain.clock import local
from healthcode.domain.colour import Colour
from healthcode.domain.i18n import N_
from healthcode.domain.tokens.codec import MAX_TEXT_CHARS
from healthcode.http.errors import validation_fields
from healthcode.http.views import ForeignView, LocalTime, foreign_view
from healthcode.i18n import pick, translate
from healthcode.services.scanning.scans import ScanResult
from healthcode.services.scanning.uploads import OfflineScan, Refused, UploadResult
from healthcode.services.shared.bounds import (
    TEMPERATURE_SCHEMA,
    InputModel,
    Moment,
    temperature_text,
)

NO_COLOUR = N_("Stop. This region's code shows no colour we can read: follow that region's rules.")
ClientId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._:-]+$")]


# A reading in ℃: its range is the domain's (``domain/temperature.py``), refused by the
# service in the same words everywhere; the model refuses what is not a number.
Temperature = Annotated[
    float | None,
    BeforeValidator(temperature_text),
    Field(json_schema_extra=TEMPERATURE_SCHEMA),
]


class OfflineItem(InputModel):
    """One record of an offline scanner's queue (the batch API and the scanner page)."""

    model_config = ConfigDict(extra="forbid")
    client_id: ClientId
    token: str = Field(max_length=MAX_TEXT_CHARS)
    scanned_at: Moment
    temperature: Temperature = None  # its range refused item by item
    wrong_person: bool = Field(
        False,
        description="the scanner's ID-card check found the card another person's "
        "(recorded as refused `wrong_person`; it never makes a code valid)",
    )

    def to_scan(self) -> OfflineScan:
        return OfflineScan(
            self.client_id, self.token, self.scanned_at, self.temperature, self.wrong_person
        )


MAX_BATCH = 500
# A full batch's body: each item a code's text at most (MAX_TEXT_CHARS) and the rest
MAX_BATCH_BYTES = MAX_BATCH * (MAX_TEXT_CHARS + 512)
# Each item is read by itself (``read_batch``); the schema still shows the item's shape.
RawItem = Annotated[Any, WithJsonSchema(OfflineItem.model_json_schema())]


class BatchInput(InputModel):
    model_config = ConfigDict(extra="forbid")
    scans: list[RawItem] = Field(max_length=MAX_BATCH, examples=[[]])


class RefusedItem(BaseModel):
    client_id: str = Field(description="as sent (empty when the item had none to read)")
    index: int = Field(description="the item's place in the batch as sent, from 0")
    reason: str = Field(
        description="the code a scan sent at once gets for the same check: the "
        "verifier's verdict (recorded), else the field error's code (not recorded)",
        examples=["expired", "range", "future", "too_old", "string_too_long"],
    )
    field: str = Field(examples=["token", "temperature", "scanned_at"])
    message: str = Field(description="why, in the request's language")
    recorded: bool = Field(
        description="true: the scan is on record, refused; false: it was not recorded "
        "(fix the field and send it again, or note it by hand)"
    )


class BatchOut(BaseModel):
    accepted: list[str]
    duplicates: list[str]
    refused: list[RefusedItem]


@dataclass(frozen=True)
class ReadBatch:
    """The items that could be read (for the service) and the refusals of the rest."""

    scans: list[OfflineScan]
    malformed: list[RefusedItem]
    indexes: list[int]  # each read item's place in the batch as sent


def read_batch(items: Sequence[Any]) -> ReadBatch:
    scans: list[OfflineScan] = []
    malformed: list[RefusedItem] = []
    indexes: list[int] = []
    for index, raw in enumerate(items):
        try:
            item = OfflineItem.model_validate(raw)
        except ValidationError as error:
            malformed.append(_malformed(index, raw, error))
            continue
        indexes.append(index)
        scans.append(item.to_scan())
    return ReadBatch(scans, malformed, indexes)


def _malformed(index: int, raw: Any, error: ValidationError) -> RefusedItem:
    """The first thing wrong with an item, by field, in words."""
    found = validation_fields(error.errors())[0]
    sent = raw.get("client_id") if isinstance(raw, dict) else None
    return RefusedItem(
        client_id=sent[:64] if isinstance(sent, str) else "",
        index=index,
        reason=found.code,
        field=found.field if found.field != "body" else "item",
        message=translate(found.message, found.params),
        recorded=False,
    )


def batch_out(read: ReadBatch, result: UploadResult) -> BatchOut:
    """The service's answer, each refusal at its own place in the batch as sent (two
    items of one client_id were both named at the first one's, until stop 43)."""
    refused = [_refused(read.indexes, r) for r in result.refused] + read.malformed
    return BatchOut(
        accepted=list(result.accepted),
        duplicates=list(result.duplicates),
        refused=sorted(refused, key=lambda r: r.index),
    )


def _refused(indexes: list[int], r: Refused) -> RefusedItem:
    return RefusedItem(
        client_id=r.client_id,
        index=indexes[r.item],
        reason=r.reason,
        field=r.field,
        message=translate(r.message, r.params),
        recorded=r.recorded,
    )


class FlagView(BaseModel):
    code: str = Field(examples=["same_token_elsewhere"])
    text: str
    venue: str | None = None
    at: LocalTime | None = None
    km: float | None = None


class ScanView(BaseModel):
    scan_id: uuid.UUID
    venue_id: uuid.UUID
    lane: str = Field(examples=["camera"])
    decision: str = Field(
        examples=["release"],
        description="release (valid green: after the temperature check), stop, or refused",
    )
    valid: bool = Field(description="the code is genuine, current and the holder's")
    reason: str | None = Field(examples=[None, "expired", "gate_mode", "wrong_person"])
    message: str
    colour: Colour | None
    colour_label: str | None
    masked_name: str | None
    valid_until: LocalTime | None = Field(description="the pass's end, when the code shows one")
    headline: str = Field(
        description="the result screen's headline: for a valid green code the code's "
        "policy's (`checkpoint.release`; another region's code says it is one), else "
        "the decision's generic words"
    )
    action: str = Field(description="what the operator does now, from the policy file")
    flags: list[FlagView]
    temperature: float | None
    released_at: LocalTime | None
    releasable: bool
    duplicate: bool = Field(description="this client_id was recorded before: the earlier scan")
    scanned_at: LocalTime
    recorded_at: LocalTime
    region: ForeignView | None = Field(None, description="another region's code: its region")


def scan_view(result: ScanResult) -> ScanView:
    foreign = result.foreign
    return ScanView(
        scan_id=result.id,
        venue_id=result.venue_id,
        lane=result.lane.value,
        decision=result.decision.value,
        valid=result.verdict is None and (result.colour is not None or foreign is not None),
        reason=result.verdict,
        message=translate(result.message),
        colour=result.colour,
        colour_label=translate(result.colour.label) if result.colour else None,
        masked_name=result.masked_name,
        valid_until=result.valid_until,
        headline=pick(result.headline)
        or translate(generic_headline(result.decision, foreign=foreign is not None)),
        action=pick(result.action) or translate(_generic_action(result)),
        flags=[_flag(f) for f in result.flags],
        temperature=result.temperature,
        released_at=result.released_at,
        releasable=result.releasable,
        duplicate=result.duplicate,
        scanned_at=result.scanned_at,
        recorded_at=result.recorded_at,
        region=None
        if foreign is None
        else foreign_view(foreign.region_code, foreign.region_name, foreign.claims),
    )


def _generic_action(result: ScanResult) -> str:
    if result.foreign is not None and result.colour is None and result.verdict is None:
        return NO_COLOUR  # genuine, but its colour is not where we can read it
    return GENERIC_ACTIONS[result.decision]


def _flag(flag: object) -> FlagView:
    data = flag if isinstance(flag, dict) else {}
    code = str(data.get("code", ""))
    at = _instant(data.get("at"))
    venue = str(data["venue"]) if "venue" in data else None
    message = FLAG_MESSAGES.get(code) or VERDICT_MESSAGES.get(code) or code
    params = {"venue": venue or "", "time": local(at).strftime("%H:%M") if at else ""}
    text = translate(message, params)
    km = data.get("km")
    return FlagView(
        code=code,
        text=text,
        venue=venue,
        at=at,
        km=float(km) if isinstance(km, int | float) else None,
    )


def _instant(value: object) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None
