"""Valid identity test data, computed from the published algorithms.

The check characters here are written out from GB 11643, GB 11714 and GB 32100
directly (not through healthcode or python-stdnum), so the tests compare two
independent implementations.
"""

from __future__ import annotations

import string
from datetime import date
from typing import Literal

from hypothesis import strategies as st

# GB 11643-1999: weights 2^(17-i) mod 11, remainder -> check character.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
# GB 32100-2015: 31 characters, weights 3^i mod 31.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
# GB 11714-1997: digits then all 26 letters (A=10 … Z=35), weights below.
ORG_VALUES = string.digits + string.ascii_uppercase
ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)

# Real division codes, current and abolished, across provinces; 810000 and 830000 are
# the Hong Kong and Taiwan residence-permit prefixes.
ID_REGIONS = (
    "110101",  # 北京市东城区
    "120110",  # 天津市东丽区 (东郊区 before 1992)
    "310115",  # 上海市浦东新区
    "370102",  # 济南市历下区
    "371602",  # 滨州市滨城区 (since 2000)
    "372321",  # 惠民县 under 惠民地区, abolished 2000
    "420102",  # 武汉市江岸区
    "440305",  # 深圳市南山区
    "540102",  # 拉萨市城关区
    "650102",  # 乌鲁木齐市天山区
    "810000",
    "830000",
)
# (authority, kind) pairs from GB 32100 and its amendments.
USCC_KINDS = (
    ("1", "1"),
    ("1", "2"),
    ("1", "3"),
    ("1", "9"),
    ("2", "1"),
    ("3", "1"),
    ("3", "5"),
    ("4", "1"),
    ("5", "1"),
    ("5", "2"),
    ("5", "3"),
    ("6", "2"),
    ("7", "1"),
    ("8", "1"),
    ("9", "1"),
    ("9", "2"),
    ("9", "3"),
    ("A", "1"),
    ("N", "1"),
    ("N", "2"),
    ("N", "3"),
    ("N", "9"),
    ("Y", "1"),
)
USCC_REGIONS = ("100000", "110000", "110108", "370000", "371600", "371602", "420100", "650102")

EARLIEST_BIRTH = date(1900, 1, 1)


def id_check_char(first17: str) -> str:
    """GB 11643 check character of 17 digits."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def complete_id_number(first17: str) -> str:
    """Append the check character to any 17 digits (e.g. with an impossible date)."""
    return first17 + id_check_char(first17)


def make_id_number(
    *,
    birth: date,
    region: str = "371602",
    seq: int = 1,
    sex: Literal["M", "F"] | None = None,
) -> str:
    """A valid 18-character ID number; ``seq`` is the 3-digit order code (0-999).

    With ``sex`` given, the last bit of ``seq`` is set to match it (odd = male).
    """
    if not 0 <= seq <= 999:
        raise ValueError(f"order code {seq} is not 0-999")
    if sex is not None:
        seq = seq - seq % 2 + (1 if sex == "M" else 0)
    return complete_id_number(f"{region}{birth:%Y%m%d}{seq:03d}")


def org_check_char(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code body."""
    total = sum(ORG_VALUES.index(c) * w for c, w in zip(body, ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def uscc_check_char(first17: str) -> str:
    """GB 32100 check character of the first 17 characters."""
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31]


def complete_uscc(first17: str) -> str:
    """Append the MOD 31 check character to any 17 characters of the alphabet."""
    return first17 + uscc_check_char(first17)


def make_uscc(
    *,
    authority: str = "9",
    kind: str = "1",
    region: str = "371602",
    org_body: str | None = None,
) -> str:
    """A credit code with correct organisation-code and MOD 31 check characters."""
    body = "MA3XKP01" if org_body is None else org_body
    if len(body) != 8 or any(c not in USCC_ALPHABET for c in body):
        raise ValueError(f"organisation code body {body!r} is not 8 credit-code characters")
    return complete_uscc(f"{authority}{kind}{region}{body}{org_check_char(body)}")


def to_fullwidth(text: str) -> str:
    """What a Chinese phone keyboard in full-width mode types: １２３Ｘ."""
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


def id_numbers(*, today: date = date(2026, 11, 23)) -> st.SearchStrategy[str]:
    """Valid ID numbers born 1900-01-01 … ``today`` in real (possibly old) counties."""
    return st.builds(
        make_id_number,
        birth=st.dates(EARLIEST_BIRTH, today),
        region=st.sampled_from(ID_REGIONS),
        seq=st.integers(0, 999),
    )


@st.composite
def usccs(draw: st.DrawFn) -> str:
    """Valid credit codes across authorities, kinds and regions (incl. national)."""
    authority, kind = draw(st.sampled_from(USCC_KINDS))
    body = draw(st.text(alphabet=USCC_ALPHABET, min_size=8, max_size=8))
    region = draw(st.sampled_from(USCC_REGIONS))
    return make_uscc(authority=authority, kind=kind, region=region, org_body=body)
