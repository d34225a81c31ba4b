"""Region codes: current and historical divisions, provinces, and the form autocomplete."""

from __future__ import annotations

import pytest

from healthcode.domain.errors import InvalidInput
from healthcode.domain.identity import (
    BINZHOU,
    HUBEI,
    SHANDONG,
    lookup_region,
    parse_region_code,
    province_of,
    provinces,
    search_regions,
)
from tests.factories.identity import ID_REGIONS, to_fullwidth


def test_all_34_provincial_divisions() -> None:
    found = provinces()
    assert len(found) == 34
    assert [r.code for r in found] == sorted(r.code for r in found)
    assert all(r.level == "province" and r.code.endswith("0000") for r in found)
    names = {r.province_code: r.name for r in found}
    assert names[SHANDONG] == "山东省"
    assert names[HUBEI] == "湖北省"
    assert names["71"] == "台湾省"
    assert names["81"] == "香港特别行政区"  # stdnum's province row is traditional: 特別行政區
    assert names["82"] == "澳门特别行政区"


def test_binzhou_and_its_districts() -> None:
    binzhou = lookup_region(BINZHOU)
    assert binzhou is not None
    assert (binzhou.name, binzhou.level, binzhou.current) == ("滨州市", "prefecture", True)
    bincheng = lookup_region("371602")
    assert bincheng is not None
    assert (bincheng.name, bincheng.level) == ("滨城区", "county")
    assert (bincheng.prefecture_code, bincheng.prefecture_name) == ("3716", "滨州市")
    assert (bincheng.province_code, bincheng.province_name) == ("37", "山东省")
    assert bincheng.full_name == "山东省滨州市滨城区"


@pytest.mark.parametrize(
    ("code", "name", "current"),
    [
        ("120110", "东丽区", True),  # "[-1991]东郊区,[1992-]东丽区": the current name wins
        ("130502", "襄都区", True),  # renamed in 2020
        ("372300", "滨州地区", False),  # "[-1991]惠民地区,[1992-1999]滨州地区": the latest
        ("372321", "惠民县", False),
        ("110103", "崇文区", False),  # merged into 东城区 in 2010
        ("371681", "邹平市", True),
    ],
)
def test_year_markers_are_stripped(code: str, name: str, current: bool) -> None:
    region = lookup_region(code)
    assert region is not None
    assert (region.name, region.current) == (name, current)
    assert "[" not in region.full_name


@pytest.mark.parametrize("code", ID_REGIONS[:-2])
def test_factory_regions_are_real(code: str) -> None:
    assert lookup_region(code) is not None


@pytest.mark.parametrize(
    ("code", "full_name", "prefecture_name"),
    [
        ("110101", "北京市东城区", None),  # municipality: 市辖区 is no prefecture
        ("429021", "湖北省神农架林区", None),  # 省直辖县级行政单位
        ("420102", "湖北省武汉市江岸区", "武汉市"),
        ("370000", "山东省", None),
    ],
)
def test_placeholder_prefectures_are_hidden(
    code: str, full_name: str, prefecture_name: str | None
) -> None:
    region = lookup_region(code)
    assert region is not None
    assert (region.full_name, region.prefecture_name) == (full_name, prefecture_name)


def test_unknown_codes_are_not_looked_up() -> None:
    assert lookup_region("371699") is None
    assert lookup_region("99") is None


@pytest.mark.parametrize("raw", ["371602", " 3716 02 ", to_fullwidth("371602")])
def test_parse_region_code(raw: str) -> None:
    assert parse_region_code(raw).name == "滨城区"


def test_unknown_county_in_a_real_province_is_kept() -> None:
    region = parse_region_code("371699")
    assert (region.code, region.level, region.current) == ("371699", "county", False)
    assert (region.province_name, region.prefecture_name) == ("山东省", "滨州市")


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "required"),
        ("  ", "required"),
        ("37160", "format"),
        ("3716020", "format"),
        ("37A602", "format"),
        ("991602", "region"),
        ("000000", "region"),
    ],
)
def test_parse_region_code_refusals(raw: str, code: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_region_code(raw, field="resident.region")
    (only,) = caught.value.errors
    assert (only.field, only.code) == ("resident.region", code)


def test_province_of() -> None:
    assert province_of("371602") == SHANDONG
    assert province_of(BINZHOU) == "37"


@pytest.mark.parametrize(
    ("query", "first"),
    [
        ("滨城", "371602"),
        ("滨州 滨城", "371602"),
        ("山东 滨州", BINZHOU),
        ("3716", BINZHOU),
        (to_fullwidth("3716"), BINZHOU),
        ("湖北", "420000"),
        ("武汉", "420100"),
    ],
)
def test_search_regions_first_hit(query: str, first: str) -> None:
    assert search_regions(query)[0].code == first


def test_search_puts_current_divisions_first_and_respects_limit() -> None:
    hits = search_regions("滨州", limit=50)
    flags = [r.current for r in hits]
    assert flags == sorted(flags, reverse=True)
    assert "372300" in {r.code for r in hits}  # the old 滨州地区 is still findable
    assert len(search_regions("区", limit=5)) == 5


@pytest.mark.parametrize("query", ["", "   ", "不存在的地方"])
def test_search_finds_nothing(query: str) -> None:
    assert search_regions(query) == []


def test_search_skips_placeholder_rows() -> None:
    assert all(r.name != "市辖区" for r in search_regions("北京", limit=100))


def test_a_code_of_no_province_is_quoted_whole() -> None:
    """Stop 45, an outside probe: "999999" was refused as "“99”不是省级行政区划代码"."""
    with pytest.raises(InvalidInput) as caught:
        parse_region_code("999999")
    (only,) = caught.value.errors
    assert only.render() == "999999 is not a region code: no province's code begins with 99"
