"""Administrative division codes (GB/T 2260 行政区划代码).

The table comes from python-stdnum's bundled ``cn/loc`` data, which keeps every code
ever assigned with the years it was in use ("[2000-]滨州市", "[-1991]惠民地区"). ID
numbers keep the county code of their first registration for life, so an abolished
code is still a real person's code: lookups return historical divisions too, named by
their latest name and flagged ``current=False``, and only the province is required to
exist when a code is parsed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from types import MappingProxyType
from typing import Literal

from stdnum import numdb

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.identity._normalize import compact, fold

Level = Literal["province", "prefecture", "county"]

SHANDONG = "37"
HUBEI = "42"
BINZHOU = "371600"

# Rows GB/T 2260 uses as grouping placeholders, not as real prefectures.
_PLACEHOLDERS = frozenset(
    {
        "市辖区",
        "县",
        "省直辖行政单位",
        "省直辖县级行政单位",
        "省直辖县级行政区划",
        "自治区直辖县级行政单位",
        "自治区直辖县级行政区划",
    }
)
_SPAN = re.compile(r"^\[(\d*)-(\d*)\]")


@dataclass(frozen=True)
class Region:
    """One division with its province and prefecture, for display and grouping."""

    code: str
    name: str
    province_code: str
    province_name: str
    prefecture_code: str
    prefecture_name: str | None
    level: Level
    current: bool = True

    @property
    def full_name(self) -> str:
        """'山东省滨州市滨城区': the name a person recognises on a form."""
        parts = [self.province_name]
        if self.prefecture_name and self.level != "province":
            parts.append(self.prefecture_name)
        if self.level == "county" and self.name not in parts:
            parts.append(self.name)
        return "".join(parts)


def _pick_name(spec: str) -> tuple[str, bool]:
    """Choose the current name among "[-1991]A,[1992-]B" alternatives, else the latest."""
    best, best_end, current = "", -1, False
    for alternative in spec.split(","):
        match = _SPAN.match(alternative)
        name = alternative[match.end() :] if match else alternative
        end = 9999 if match is None or not match.group(2) else int(match.group(2))
        if end >= best_end:
            best, best_end = name, end
        current = current or end == 9999
    return best, current


def _level(code: str) -> Level:
    if code.endswith("0000"):
        return "province"
    return "prefecture" if code.endswith("00") else "county"


def _rows() -> Iterator[tuple[str, str, str, bool]]:
    """(code, province name, own name, current) for every six-digit code in stdnum."""
    for _, low, high, props, children in numdb.get("cn/loc").prefixes:
        for province in range(int(low), int(high) + 1):
            prefix = f"{province:02d}"
            for _, sub_low, sub_high, sub_props, _ in children:
                name, current = _pick_name(sub_props.get("county", ""))
                for rest in range(int(sub_low), int(sub_high) + 1):
                    yield f"{prefix}{rest:04d}", props.get("province", ""), name, current


@cache
def _table() -> Mapping[str, Region]:
    """Every known code mapped to its Region; built once, read-only afterwards."""
    own: dict[str, tuple[str, bool]] = {}
    province_props: dict[str, str] = {}
    for code, province_name, name, current in _rows():
        own[code] = (name, current)
        province_props[code[:2]] = province_name
    table: dict[str, Region] = {}
    for code, (name, current) in own.items():
        # The "xx0000" row carries the modern simplified name (香港特别行政区, not 特別).
        province_name = own.get(code[:2] + "0000", (province_props[code[:2]], True))[0]
        prefecture = own.get(code[:4] + "00")
        prefecture_name = prefecture[0] if prefecture else None
        if prefecture_name in _PLACEHOLDERS or code[2:4] == "00":
            prefecture_name = None
        table[code] = Region(
            code=code,
            name=name,
            province_code=code[:2],
            province_name=province_name,
            prefecture_code=code[:4],
            prefecture_name=prefecture_name,
            level=_level(code),
            current=current,
        )
    return MappingProxyType(table)


def lookup_region(code: str) -> Region | None:
    """The division with this exact six-digit code, current or historical."""
    return _table().get(code)


def name_of(code: str) -> str:
    """The division's own name (滨城区, 山东省), else the code itself (one not known)."""
    found = lookup_region(code) if code else None
    return found.name if found is not None else code


def province_of(code: str) -> str:
    """The two-digit province code of a region code."""
    return code[:2]


def is_province(code: str) -> bool:
    """Whether two digits are a provincial-level division (incl. 71, 81, 82)."""
    return len(code) == 2 and code + "0000" in _table()


def provinces() -> list[Region]:
    """All 34 provincial-level divisions, by code."""
    return [r for code, r in sorted(_table().items()) if code.endswith("0000")]


def parse_region_code(raw: str, *, field: str = "region") -> Region:
    """Validate a six-digit code whose province exists; unknown lower levels are kept.

    An unknown prefecture or county inside a real province is accepted (the data may
    lag a renaming): the result is named after its nearest known ancestor and is
    flagged ``current=False``.
    """
    code = compact(raw)
    if not code:
        raise InvalidInput.single(field, "required", N_("Please enter a region code"))
    if not (len(code) == 6 and code.isascii() and code.isdigit()):
        raise InvalidInput.single(
            field, "format", N_("A region code has 6 digits, not {value}"), value=code
        )
    if not is_province(code[:2]):
        raise InvalidInput.single(  # the whole code quoted, as it was typed
            field,
            "region",
            N_("{value} is not a region code: no province's code begins with {prefix}"),
            value=code,
            prefix=code[:2],
        )
    known = lookup_region(code)
    if known is not None:
        return known
    ancestor = lookup_region(code[:4] + "00") or _table()[code[:2] + "0000"]
    return Region(
        code=code,
        name=ancestor.name,
        province_code=code[:2],
        province_name=ancestor.province_name,
        prefecture_code=code[:4],
        prefecture_name=ancestor.prefecture_name,
        level=_level(code),
        current=False,
    )


def _rank(region: Region, terms: list[str]) -> tuple[bool, bool, int, str]:
    levels = ("province", "prefecture", "county")
    exact = region.name in terms
    return (not region.current, not exact, levels.index(region.level), region.code)


def search_regions(query: str, limit: int = 20) -> list[Region]:
    """Regions whose full name holds every word of the query, or whose code starts so.

    For a form's autocomplete: "滨州 滨城" finds 滨城区; current divisions come first,
    then exact name matches, then higher levels.
    """
    terms = fold(query).split()
    if not terms or limit <= 0:
        return []
    hits = [
        r
        for r, full_name in _search_index()
        if all(t in full_name or r.code.startswith(t) for t in terms)
    ]
    return sorted(hits, key=lambda r: _rank(r, terms))[:limit]


@cache
def _search_index() -> tuple[tuple[Region, str], ...]:
    """Searchable divisions with their full names, placeholder rows left out."""
    return tuple((r, r.full_name) for r in _table().values() if r.name not in _PLACEHOLDERS)


def subdivisions(parent: str) -> list[Region]:
    """The current divisions a picker offers one level down: provinces for "", a
    province's prefectures (and the counties its placeholder rows group, as in 北京市 or
    仙桃市) for two digits, a prefecture's counties for four."""
    if parent == "":
        return [r for r in provinces() if r.current]
    if not (len(parent) in (2, 4) and parent.isascii() and parent.isdigit()):
        return []
    table = _table()

    def offered(r: Region) -> bool:
        if not r.current or r.name in _PLACEHOLDERS or r.code[: len(parent)] != parent:
            return False
        if len(parent) == 4:
            return r.level == "county"
        if r.level == "prefecture":
            return True
        group = table.get(r.code[:4] + "00")
        return r.level == "county" and (group is None or group.name in _PLACEHOLDERS)

    return [r for code, r in sorted(table.items()) if offered(r)]


MAX_CHOICES = 6


def resolve_region(raw: str, *, field: str = "region") -> Region:
    """A six-digit code, or a typed place name that names exactly one current division.

    "滨州市滨城区" and "山东省滨州市滨城区" end a full name; "滨城区" is a division's own
    name. A name several places share is refused with the choices listed, so the
    resident can type one of them (or pick it) rather than guess a code.
    """
    text = compact(raw, upper=False)
    if not text or (text.isascii() and text.isdigit()):
        return parse_region_code(text, field=field)
    found = _named(text, raw)
    if len(found) == 1:
        return found[0]
    if not found:
        raise InvalidInput.single(
            field,
            "unknown_place",
            N_(
                "No place is called '{value}'; type a name such as 滨州市滨城区, "
                "or the 6-digit code"
            ),
            value=text[:20],
        )
    raise InvalidInput.single(
        field,
        "ambiguous_place",
        N_("'{value}' names more than one place: {choices}. Type one of them in full"),
        value=text[:20],
        choices="、".join(r.full_name for r in found[:MAX_CHOICES]),
    )


def _named(text: str, raw: str) -> list[Region]:
    """Current divisions whose full name ends with the text; else whose name without its
    suffix (市, 区, 县) is the text ("武汉"); else that a search by the typed words finds."""
    hits = [r for r, full in _search_index() if r.current and full.endswith(text)]
    if not hits:
        hits = [r for r, _ in _search_index() if r.current and r.name[:-1] == text]
    if not hits and len(fold(raw).split()) > 1:
        hits = [r for r in search_regions(raw, limit=MAX_CHOICES + 1) if r.current]
    return sorted(hits, key=lambda r: r.code)
