"""Unified social credit codes (GB 32100-2015 统一社会信用代码).

18 characters from 0-9 and A-Z without I, O, S, V, Z:

* 1: registration authority (登记管理部门代码), 2: organisation kind (机构类别代码);
* 3-8: the registering authority's region code (GB/T 2260; 100000 = national level);
* 9-17: the organisation code (GB 11714 主体标识码): 8 body characters and its own
  MOD 11 check character;
* 18: a MOD 31 check character over the first 17 (GB/T 17710, ISO 7064 style).

python-stdnum's ``cn.uscc.validate`` rejects valid codes whose authority is a letter
(N 农业, Y 其他, A …) and checks neither the tables nor the organisation code; only
its MOD 31 arithmetic is used here.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from stdnum.cn import uscc as stdnum_uscc

from healthcode.domain.errors import InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.identity._normalize import compact, first_bad_char
from healthcode.domain.identity.regions import is_province

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
LENGTH = 18
NATIONAL_REGION = "100000"

# Authority -> organisation kinds. The 2015 standard listed 1, 5, 9 and Y; its 2016
# amendment and the code registry (CODS) added 2-4, 6-8, A and N. Sources name some
# authorities differently (2 外交 vs 教育, 3 司法行政 vs 教育) but agree on the codes.
# Permissive where they disagree: one registry table lists 9 (其他) under 工商 too.
KINDS: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "1": frozenset("1239"),  # 机构编制: 机关, 事业单位, 群众团体, 其他
        "2": frozenset("19"),  # 外交: 外国常驻新闻机构, 其他
        "3": frozenset("123459"),  # 司法行政: 律所, 公证处, 基层法律服务所, 司法鉴定, 仲裁委
        "4": frozenset("19"),  # 文化: 外国在华文化中心, 其他
        "5": frozenset("1239"),  # 民政: 社会团体, 民办非企业单位, 基金会, 其他
        "6": frozenset("129"),  # 旅游: 外国/港澳台旅游部门常驻代表机构, 其他
        "7": frozenset("129"),  # 宗教: 宗教活动场所, 宗教院校, 其他
        "8": frozenset("19"),  # 工会: 基层工会, 其他
        "9": frozenset("1239"),  # 工商: 企业, 个体工商户, 农民专业合作社, (其他)
        "A": frozenset("19"),  # 中央军委改革和编制办公室: 军队事业单位, 其他
        "N": frozenset("1239"),  # 农业: 组级/村级/乡镇级集体经济组织, 其他
        "Y": frozenset("1"),  # 其他: not subdivided, always 1
    }
)

# GB 11714 gives letters the values A=10 … Z=35 (all 26 letters), unlike GB 32100's
# MOD 31 alphabet where J=18 because I is skipped.
_ORG_VALUES = {c: i for i, c in enumerate(string.digits + string.ascii_uppercase)}
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
# Letters the alphabet leaves out because they are read as digits.
_LOOKALIKES = {"O": "0", "I": "1"}


@dataclass(frozen=True)
class Uscc:
    """A checked credit code split into its parts."""

    value: str
    authority: str
    kind: str
    region_code: str
    organisation_code: str

    @property
    def is_national(self) -> bool:
        """Registered by a central (national-level) authority."""
        return self.region_code == NATIONAL_REGION


def organisation_check_char(body: str) -> str:
    """GB 11714 check character for an 8-character organisation code body."""
    total = sum(_ORG_VALUES[c] * w for c, w in zip(body, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def uscc_check_char(first17: str) -> str:
    """GB 32100 MOD 31 check character for the first 17 characters."""
    return str(stdnum_uscc.calc_check_digit(first17))


def parse_uscc(raw: str, *, field: str = "uscc") -> Uscc:
    """Normalise what a person typed and check every part of GB 32100."""
    value = compact(raw)
    _check_shape(value, field)
    _check_tables(value, field)
    _check_region(value[2:8], field)
    org = value[8:17]
    expected = organisation_check_char(org[:8])
    if org[8] != expected:
        raise InvalidInput.single(
            field,
            "org_code_check",
            N_(
                "Characters 9-17 are not a valid organisation code: "
                "character 17 should be {expected}, not {actual}"
            ),
            expected=expected,
            actual=org[8],
        )
    expected = uscc_check_char(value[:17])
    if value[17] != expected:
        raise InvalidInput.single(
            field,
            "check_char",
            N_("The last character should be {expected}, not {actual}: please check for typos"),
            expected=expected,
            actual=value[17],
        )
    return Uscc(
        value=value,
        authority=value[0],
        kind=value[1],
        region_code=value[2:8],
        organisation_code=org,
    )


def _check_shape(value: str, field: str) -> None:
    if not value:
        raise InvalidInput.single(field, "required", N_("Please enter the credit code"))
    if len(value) != LENGTH:
        raise InvalidInput.single(
            field,
            "length",
            N_("A unified social credit code has 18 characters; you entered {length}"),
            length=len(value),
        )
    bad = first_bad_char(value, ALPHABET)
    if bad is not None and bad[1] in _LOOKALIKES:
        raise InvalidInput.single(
            field,
            "format",
            N_("Credit codes never use '{char}' (position {position}): did you mean {suggestion}?"),
            position=bad[0],
            char=bad[1],
            suggestion=_LOOKALIKES[bad[1]],
        )
    if bad is not None:
        raise InvalidInput.single(
            field,
            "format",
            N_("'{char}' at position {position} is not allowed in a credit code"),
            position=bad[0],
            char=bad[1],
        )


def _check_tables(value: str, field: str) -> None:
    kinds = KINDS.get(value[0])
    if kinds is None:
        raise InvalidInput.single(
            field,
            "authority",
            N_("Character 1, {char}, is not a registration authority code"),
            char=value[0],
        )
    if value[1] not in kinds:
        raise InvalidInput.single(
            field,
            "kind",
            N_("Character 2, {char}, is not an organisation type of authority {authority}"),
            char=value[1],
            authority=value[0],
        )


def _check_region(region: str, field: str) -> None:
    if first_bad_char(region, string.digits) is not None:
        raise InvalidInput.single(
            field,
            "region",
            N_("Characters 3-8 should be a 6-digit region code, not {region}"),
            region=region,
        )
    if region != NATIONAL_REGION and not is_province(region[:2]):
        raise InvalidInput.single(
            field,
            "region",
            N_("Characters 3-8 should be a region code, but {prefix} is not a province"),
            prefix=region[:2],
            region=region,
        )
