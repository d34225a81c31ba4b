"""Department records: who sends what (seed 003 §二.二 "打通市公安、市场监管、卫生健康、
交通运输、医保、通讯运营商等部门、单位数据").

Pure data. A record names its source department and the department's own id for it
(``source_id``): the pair is unique, so a re-import changes nothing. A high-risk
region is a record about a region, not about a resident (``HIGH_RISK_REGION``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from contextlib import suppress
from dataclasses import dataclass, replace
from datetime import date, datetime
from enum import StrEnum
from functools import lru_cache, partial
from types import MappingProxyType
from typing import Any

from healthcode.domain.errors import FieldError, InvalidInput
from healthcode.domain.facts import QuarantineSetting, RecordKind
from healthcode.domain.i18n import N_
from healthcode.domain.identity.id_number import LENGTH, id_number_key, id_number_value
from healthcode.domain.identity.regions import parse_region_code


class Department(StrEnum):
    HEALTH = "health"  # 卫生健康: cases, contacts, quarantine, fever clinics, regions
    POLICE = "police"  # 公安: quarantine lists, checkpoint travel records
    TRANSPORT = "transport"  # 交通运输: tickets (travel)
    CARRIER = "carrier"  # 通讯运营商: roaming data (travel)
    MEDICAL_INSURANCE = "medical_insurance"  # 医保: fever-clinic visits, medicine bought
    MARKET_REGULATION = "market_regulation"  # 市场监管: pharmacies' fever-medicine sales


class ImportKind(StrEnum):
    """What one import file holds: one kind of resident record, or high-risk regions."""

    CONFIRMED = RecordKind.CONFIRMED.value
    SUSPECTED = RecordKind.SUSPECTED.value
    POSITIVE = RecordKind.POSITIVE.value
    CLOSE_CONTACT = RecordKind.CLOSE_CONTACT.value
    QUARANTINE = RecordKind.QUARANTINE.value
    TRAVEL = RecordKind.TRAVEL.value
    FEVER_CLINIC = RecordKind.FEVER_CLINIC.value
    FEVER_MEDICINE = RecordKind.FEVER_MEDICINE.value
    EXPOSURE = RecordKind.EXPOSURE.value
    HIGH_RISK_REGION = "high_risk_region"

    @property
    def record_kind(self) -> RecordKind | None:
        """The resident record this import writes; None for high-risk regions."""
        return None if self is ImportKind.HIGH_RISK_REGION else RecordKind(self.value)


_CASES = frozenset({ImportKind.CONFIRMED, ImportKind.SUSPECTED, ImportKind.POSITIVE})

# Which kinds each department holds: an import of another kind from it is refused.
SENDS: Mapping[Department, frozenset[ImportKind]] = {
    Department.HEALTH: _CASES
    | {
        ImportKind.CLOSE_CONTACT,
        ImportKind.QUARANTINE,
        ImportKind.FEVER_CLINIC,
        ImportKind.EXPOSURE,
        ImportKind.HIGH_RISK_REGION,
    },
    Department.POLICE: frozenset({ImportKind.QUARANTINE, ImportKind.TRAVEL}),
    Department.TRANSPORT: frozenset({ImportKind.TRAVEL}),
    Department.CARRIER: frozenset({ImportKind.TRAVEL}),
    Department.MEDICAL_INSURANCE: frozenset({ImportKind.FEVER_CLINIC, ImportKind.FEVER_MEDICINE}),
    Department.MARKET_REGULATION: frozenset({ImportKind.FEVER_MEDICINE}),
}


def may_send(department: Department, kind: ImportKind) -> bool:
    return kind in SENDS[department]


# -- what a resident's colour history says of an import ------------------------------


def data_note(department: str, kind: str) -> str:
    """The note a colour change caused by an import keeps: the department and the
    kind of record, never the file's name (the department's own, often naming the
    member of staff who compiled it), which only staff read, on the import's page."""
    return f"{department}: {kind}"


def read_data_note(note: str) -> tuple[str, str]:
    """(department, kind) of a data change's note; a note written before stop 31 as
    ``<department>: <file name>`` gives the department alone."""
    department, _, kind = note.partition(": ")
    known = department in set(Department)
    return (department if known else ""), (kind if known and kind in set(ImportKind) else "")


# -- one row of an import file -------------------------------------------------------

# What a department and a kind of record are called (message ids).
DEPARTMENT_NAMES: Mapping[str, str] = MappingProxyType(
    {
        Department.HEALTH: N_("Health commission"),
        Department.POLICE: N_("Public security"),
        Department.TRANSPORT: N_("Transport"),
        Department.CARRIER: N_("Mobile carriers"),
        Department.MEDICAL_INSURANCE: N_("Medical insurance"),
        Department.MARKET_REGULATION: N_("Market regulation"),
    }
)
BATCH_STATUS_NAMES: Mapping[str, str] = MappingProxyType(
    {"committed": N_("Imported"), "rolled_back": N_("Rolled back")}
)
KIND_NAMES: Mapping[str, str] = MappingProxyType(
    {
        ImportKind.CONFIRMED: N_("Confirmed cases"),
        ImportKind.SUSPECTED: N_("Suspected cases"),
        ImportKind.POSITIVE: N_("Positive (asymptomatic) cases"),
        ImportKind.CLOSE_CONTACT: N_("Close contacts"),
        ImportKind.QUARANTINE: N_("Quarantine"),
        ImportKind.TRAVEL: N_("Travel records"),
        ImportKind.FEVER_CLINIC: N_("Fever-clinic visits"),
        ImportKind.FEVER_MEDICINE: N_("Fever-medicine purchases"),
        ImportKind.EXPOSURE: N_("Possible exposures"),
        ImportKind.HIGH_RISK_REGION: N_("High-risk regions"),
    }
)

# Column names as departments write them: English keys or the Chinese headers.
ALIASES: Mapping[str, str] = {
    "身份证号": "id_number",
    "身份证号码": "id_number",
    "公民身份号码": "id_number",
    "证件号码": "id_number",
    "姓名": "name",
    "记录编号": "source_id",
    "编号": "source_id",
    "开始日期": "start",
    "结束日期": "end",
    "解除日期": "end",
    "解除隔离日期": "end",
    "解除医学观察日期": "end",
    "离开日期": "end",
    "到达日期": "start",
    "地区代码": "region",
    "行政区划代码": "region",
    "隔离方式": "setting",
    "备注": "detail",
    "地点": "detail",
}

_SETTINGS: Mapping[str, QuarantineSetting] = {
    **{s.value: s for s in QuarantineSetting},
    "居家": QuarantineSetting.HOME,
    "居家隔离": QuarantineSetting.HOME,
    "单位": QuarantineSetting.COMPANY,
    "单位隔离": QuarantineSetting.COMPANY,
    "集中": QuarantineSetting.CENTRALISED,
    "集中隔离": QuarantineSetting.CENTRALISED,
}

# The columns each kind needs (besides source_id); others are optional.
_RESIDENT = ("id_number",)
REQUIRED: Mapping[ImportKind, tuple[str, ...]] = {
    ImportKind.CONFIRMED: (*_RESIDENT, "start"),
    ImportKind.SUSPECTED: (*_RESIDENT, "start"),
    ImportKind.POSITIVE: (*_RESIDENT, "start"),
    ImportKind.CLOSE_CONTACT: (*_RESIDENT, "start"),
    ImportKind.QUARANTINE: (*_RESIDENT, "setting", "start"),
    ImportKind.TRAVEL: (*_RESIDENT, "region", "end"),
    ImportKind.FEVER_CLINIC: (*_RESIDENT, "start"),
    ImportKind.FEVER_MEDICINE: (*_RESIDENT, "start"),
    ImportKind.EXPOSURE: (*_RESIDENT, "start"),
    ImportKind.HIGH_RISK_REGION: ("region", "start"),
}
MAX_SOURCE_ID, MAX_DETAIL = 64, 200
MAX_FUTURE_DAYS = 366  # a planned release may lie ahead; nothing further


def column_label(key: str) -> str:
    """A column as a department's file may name it, its Chinese header and its key
    ("身份证号 (id_number)"): either is taken, so a message names both. A refusal of
    the whole line (not JSON) names no column."""
    if key == "line":
        return ""
    header = next((h for h, k in ALIASES.items() if k == key), None)
    return f"{header} ({key})" if header else key


def column_name(header: str) -> str:
    name = header.strip().lstrip("\ufeff").strip()
    return ALIASES.get(name, name.lower())


READ = frozenset(("source_id", "id_number", "name", "start", "end", "region", "setting", "detail"))


def unread_columns(columns: Iterable[str]) -> list[str]:
    """The columns a file names that no import reads (a header not known): the report
    lists them. A release date under 解除隔离日期 was dropped without a word, and the
    person stayed red."""
    return [c for c in columns if c and c not in READ]


def repeated_columns(headers: Iterable[str]) -> tuple[str, list[str]] | None:
    """The first column an import reads that a header row names more than once (结束日期
    and 解除隔离日期; id_number twice), with its headers as written: only one of them
    could be read, and the later one was, without a word. A column no import reads,
    or a blank header, may repeat."""
    named: dict[str, list[str]] = {}
    for header in headers:
        key = column_name(header)
        if key in READ:
            named.setdefault(key, []).append(header.strip().lstrip("\ufeff").strip())
    return next(((key, found) for key, found in named.items() if len(found) > 1), None)


def missing_columns(kind: ImportKind, columns: Iterable[str]) -> list[str]:
    have = set(columns)
    return [c for c in ("source_id", *REQUIRED[kind]) if c not in have]


@dataclass(frozen=True)
class RecordRow:
    """One valid row: a record about a resident (``id_number``) or a high-risk region."""

    line: int
    source_id: str
    start: date | None = None
    end: date | None = None
    id_number: str | None = None
    region: str | None = None
    setting: QuarantineSetting | None = None
    detail: str = ""
    # The columns its line names where each line names its own (JSON Lines); None:
    # the file's first row names them. A record sent before keeps what it leaves out.
    named: frozenset[str] | None = None


def parse_row(
    kind: ImportKind, raw: Mapping[str, object], *, line: int, today: date
) -> RecordRow | list[FieldError]:
    """Check one row; every problem of the row at once (field, code, words)."""
    problems: list[FieldError] = []
    values: dict[str, Any] = {}
    for name, parse, required in _plan(kind, today):
        cell = raw.get(name)
        if cell is None or (isinstance(cell, str) and not cell.strip()):
            if required:
                problems.append(_required(name))
            continue
        try:
            values[name] = parse(cell)
        except InvalidInput as error:
            problems.extend(replace(e, field=name) for e in error.errors)
    if not values.get("source_id") and not any(p.field == "source_id" for p in problems):
        problems.append(_required("source_id"))
    if "start" in values or "end" in values:
        problems += _dates_in_order(values.get("start"), values.get("end"), today)
    if problems:
        return problems
    return RecordRow(line=line, **values)


def row_keys(raw: Mapping[str, object]) -> tuple[str | None, str | None]:
    """The record number and ID number a row names, unchecked, as ``parse_row`` keeps
    them if the row is valid: an import looks both up while it checks the rows, and
    uses what it found for the valid rows only. None for one no valid row can have:
    a record number too long or not printable (a NUL, which PostgreSQL text cannot
    hold, failed the look-up), an ID number not of 18 ASCII characters (a lone
    surrogate from JSON Lines cannot even be hashed)."""
    source_id = _text(raw.get("source_id"))
    number = id_number_key(_text(raw.get("id_number")))
    return (
        source_id if len(source_id) <= MAX_SOURCE_ID and source_id.isprintable() else None,
        number if len(number) == LENGTH and number.isascii() else None,
    )


_Parse = Callable[[object], Any]  # a cell → its value, or InvalidInput


@lru_cache(maxsize=64)
def _plan(kind: ImportKind, today: date) -> tuple[tuple[str, _Parse, bool], ...]:
    """The columns a kind's row is checked for, in the order its problems are listed,
    each with its parser and whether it is required: made once per kind and day, not
    for each of a file's rows. An ID number is read only where the kind needs one; a
    region where it needs one or the cell is filled."""
    parsers: dict[str, _Parse] = {
        "source_id": _source_id,
        "start": _date,
        "end": _date,
        "setting": _setting,
        "detail": _detail,
        "id_number": partial(_id, today=today),
        "region": _region,
    }
    required = REQUIRED[kind]
    return tuple(
        (name, parse, name in required)
        for name, parse in parsers.items()
        if name != "id_number" or name in required
    )


def _required(name: str) -> FieldError:
    return FieldError(name, "required", N_("This column is empty; it is required"))


def _text(raw: object) -> str:
    return "" if raw is None else str(raw).strip()


def _source_id(raw: object) -> str:
    value = _text(raw)
    if len(value) > MAX_SOURCE_ID or not value.isprintable():
        raise InvalidInput.single(
            "source_id",
            "source_id",
            N_("A record number has at most {max} printable characters"),
            max=MAX_SOURCE_ID,
        )
    return value


# A line break (Alt+Enter in a spreadsheet's cell) or a tab in a note, with the spaces
# around it: folded into one space. A 15-character note over two lines was refused as
# not printable.
_BREAKS = re.compile(r"\s*[\t\n\v\f\r\x1c-\x1e\x85\u2028\u2029]\s*")


def _detail(raw: object) -> str:
    value = _text(raw)
    if not value.isprintable():
        value = _BREAKS.sub(" ", value)
    if len(value) > MAX_DETAIL or not value.isprintable():
        raise InvalidInput.single(
            "detail",
            "detail",
            N_("A note has at most {max} printable characters"),
            max=MAX_DETAIL,
        )
    return value


def _id(raw: object, today: date) -> str:
    return id_number_value(_text(raw), today=today)


def _region(raw: object) -> str:
    """A region as the prefix it covers: 420000 (Hubei) → "42", 420100 → "4201"."""
    code = parse_region_code(_text(raw)).code
    return code[:2] if code.endswith("0000") else code[:4] if code.endswith("00") else code


def _setting(raw: object) -> QuarantineSetting:
    found = _SETTINGS.get(_text(raw).lower())
    if found is None:
        raise InvalidInput.single(
            "setting",
            "setting",
            N_("Quarantine is home, company or centralised (居家, 单位, 集中), not {value}"),
            value=_text(raw)[:20],
        )
    return found


# With separators a month or day of one digit is unambiguous (2026/11/2, as a
# spreadsheet in Chinese writes a date to CSV); without, only eight digits are a date
# (``_parsed``).
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日")


def _date(raw: object) -> date:
    if isinstance(raw, datetime):
        value = raw.date()
    else:
        value = raw if isinstance(raw, date) else _parsed(_text(raw))
    if not 1900 <= value.year <= 2099:  # a typo (1899, 2202), or a spreadsheet's epoch
        raise InvalidInput.single(
            "date",
            "date_out_of_range",
            N_("Enter a date between {earliest} and {latest}"),
            earliest="1900-01-01",
            latest="2099-12-31",
            value=value.isoformat(),
        )
    return value


def _parsed(text: str) -> date:
    if len(text) == 10 and text[4] == text[7] == "-" and text.replace("-", "").isdigit():
        try:  # YYYY-MM-DD, the common case, without strptime's cost
            return date.fromisoformat(text)
        except ValueError:
            pass
    if text.isdigit():  # YYYYMMDD: strptime read 202611 as 2026-01-01, 2026112 as 11-02
        if len(text) == 8:
            with suppress(ValueError):
                return datetime.strptime(text, "%Y%m%d").date()
    else:
        for fmt in _DATE_FORMATS:
            with suppress(ValueError):
                return datetime.strptime(text, fmt).date()
    raise InvalidInput.single(
        "date",
        "date",
        N_("{value} is not a date (write it as YYYY-MM-DD)"),
        value=text[:20],
    )


def _dates_in_order(start: date | None, end: date | None, today: date) -> list[FieldError]:
    problems = []
    if start is not None and start > today:
        problems.append(FieldError("start", "future", N_("The start date lies in the future"), {}))
    if end is not None and start is not None and end < start:
        problems.append(
            FieldError("end", "before_start", N_("The end date lies before the start date"), {})
        )
    if end is not None and (end - today).days > MAX_FUTURE_DAYS:
        problems.append(
            FieldError("end", "far_future", N_("The end date lies more than a year ahead"), {})
        )
    return problems
