"""Made-up but realistic people for the demo region: names, ID numbers, phones, homes.

Everything comes from one seeded ``random.Random``, so the same seed gives the same
people. ID numbers are valid (GB 11643 check character) and carry the county code of
the resident's home, as the county of first registration; phone numbers all have
"0000" in the middle (138 0000 xxxx) so nobody mistakes them for real ones.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from stdnum.cn import ric

from healthcode.domain.identity.uscc import organisation_check_char, uscc_check_char


@dataclass(frozen=True)
class County:
    code: str  # GB/T 2260
    id_code: str  # the code printed in ID numbers (邹平县 was 371626 until 2018)
    streets: tuple[str, ...]
    estates: tuple[str, ...]


BINZHOU_COUNTIES = (
    County(
        "371602",
        "371602",
        ("黄河五路", "渤海七路", "长江一路", "新立河东路", "黄河十二路", "渤海十八路"),
        ("滨河", "阳光", "渤海国际", "紫苑", "锦绣华城"),
    ),
    County("371603", "371603", ("富源四路", "金海五路", "鑫城路"), ("徒骇河", "富国")),
    County("371621", "371621", ("乐安大街", "鼓楼街", "孙武路"), ("孙武", "武定府")),
    County("371622", "371622", ("阳城三路", "信城街", "商业街"), ("梨乡", "阳信花园")),
    County("371623", "371623", ("棣新二路", "海丰十路", "车王路"), ("碣石山", "棣州")),
    County("371625", "371625", ("博城五路", "胜利二路", "新城三路"), ("乐安", "博兴家园")),
    County("371681", "371626", ("黛溪三路", "鹤伴二路", "醴泉五路"), ("黛溪", "范公")),
)
JINAN_COUNTIES = (
    County("370102", "370102", ("泉城路", "解放路", "山大路", "文化东路"), ("燕子山", "甸柳")),
    County("370103", "370103", ("经十路", "舜耕路", "英雄山路"), ("七里山", "英雄山")),
    County("370104", "370104", ("经七路", "纬十二路", "营市街"), ("西市场", "匡山")),
    County("370105", "370105", ("北园大街", "无影山路", "堤口路"), ("北园", "天桥东")),
    County("370112", "370112", ("花园路", "工业北路", "洪家楼南路"), ("洪家楼", "全福")),
)

_SURNAMES = (
    "王王王王张张张李李李刘刘陈杨杨赵赵孙孙马高徐郭韩曹宋吴周于于田朱孟秦董魏崔房薛邢毕付牛侯程苏胡"
)
_MALE = "伟强磊军勇涛斌超刚建国志明海波峰鹏辉东亮浩宇俊杰文庆林兴华德成"
_FEMALE = "芳娜敏静丽艳娟霞燕玲秀英桂兰红梅琳莉婷雪慧颖晶洁倩萍"
_PHONE_PREFIXES = ("138", "139", "150", "151", "158", "186", "187", "188")


@dataclass(frozen=True)
class Person:
    name: str
    sex: str  # "M" | "F"
    birth_date: date
    id_number: str
    phone: str
    county: County
    address: str


class Population:
    """Hands out people with distinct ID numbers and phones, in a repeatable order."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def person(self, counties: tuple[County, ...]) -> Person:
        rng = self.rng
        county, sex = rng.choice(counties), rng.choice("MF")
        birth = date(1950, 1, 1) + timedelta(days=rng.randrange(56 * 365))
        idn = id_number(rng, county.id_code, birth, sex)
        if idn in self.used:
            return self.person(counties)
        self.used.add(idn)
        return Person(
            name=_name(rng, sex),
            sex=sex,
            birth_date=birth,
            id_number=idn,
            phone=f"{rng.choice(_PHONE_PREFIXES)}0000{len(self.used):04d}",
            county=county,
            address=_address(rng, county),
        )


def id_number(rng: random.Random, region: str, birth: date, sex: str) -> str:
    """A valid 18-character ID number: the order code is odd for men, even for women."""
    order = rng.randrange(1, 500) * 2 - (1 if sex == "M" else 0)
    body = f"{region}{birth:%Y%m%d}{order:03d}"
    return body + ric.calc_check_digit(body + "?")  # stdnum drops the last character


def uscc(rng: random.Random, region: str, authority: str = "91") -> str:
    """A valid unified social credit code: a company (91) unless told (59: 民政, other)."""
    body = "".join(rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(8))
    first17 = f"{authority}{region}{body}{organisation_check_char(body)}"
    return first17 + uscc_check_char(first17)


def _name(rng: random.Random, sex: str) -> str:
    given = _MALE if sex == "M" else _FEMALE
    length = 1 if rng.random() < 0.3 else 2
    return rng.choice(_SURNAMES) + "".join(rng.choice(given) for _ in range(length))


def _address(rng: random.Random, county: County) -> str:
    street, estate = rng.choice(county.streets), rng.choice(county.estates)
    building, unit, floor = rng.randint(1, 24), rng.randint(1, 4), rng.randint(1, 18)
    return (
        f"{street}{rng.randint(1, 800)}号{estate}小区{building}号楼{unit}单元"
        f"{floor}{rng.randint(1, 2):02d}室"
    )


# Where people travelled: outside Shandong (yellow under binzhou-code) and Hubei (red).
OUTSIDE_PROVINCE = ("110105", "310115", "320102", "330106", "440305", "130102")
HUBEI_REGIONS = ("420102", "420106", "420111", "421002")


@dataclass(frozen=True)
class Workplace:
    """Where a pass holder goes back to work or school (seed 000: 复工复学)."""

    name: str
    region: str
    address: str
    school: bool = False


COMMUNITY = Workplace("黄河五路社区居民委员会", "371602", "滨州市滨城区黄河五路 300 号")
WORKPLACES = (
    Workplace("滨州渤海示范机械有限公司", "371602", "滨州市滨城区黄河十二路 666 号"),
    Workplace("济南泉城示范软件有限公司", "370102", "济南市历下区经十路 9999 号"),
    Workplace("邹平示范纺织有限公司", "371681", "邹平市醴泉五路 88 号"),
    Workplace("博兴示范厨具有限公司", "371625", "博兴县博城五路 216 号"),
    Workplace("滨州市示范高级中学", "371602", "滨州市滨城区渤海七路 500 号", school=True),
    Workplace("济南示范职业学院", "370112", "济南市历城区工业北路 300 号", school=True),
)
