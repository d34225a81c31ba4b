"""Names: Han, minority and Latin names are accepted; digits and symbols are not."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from healthcode.domain.errors import InvalidInput
from healthcode.domain.identity import mask_name, parse_name
from tests.factories.identity import to_fullwidth

HAN = st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("张三", "张三"),
        ("  欧阳娜娜 ", "欧阳娜娜"),
        ("张\u3000 三", "张 三"),
        ("买买提·艾力", "买买提·艾力"),
        ("买买提•艾力", "买买提·艾力"),
        ("买买提.艾力", "买买提·艾力"),
        ("买买提．艾力", "买买提·艾力"),
        ("买买提・艾力", "买买提·艾力"),
        ("买买提 · 艾力", "买买提·艾力"),
        ("阿卜杜拉·买买提·艾力", "阿卜杜拉·买买提·艾力"),
        ("John  Smith", "John Smith"),
        (to_fullwidth("John Smith"), "John Smith"),
        ("José Núñez", "José Núñez"),
        ("王\u200b五", "王五"),
        ("𠀾𠁀", "𠀾𠁀"),  # CJK extension B characters appear in real names
        ("李〇", "李〇"),
        ("张", "张"),
        ("李" * 40, "李" * 40),
    ],
)
def test_accepts_real_names(raw: str, name: str) -> None:
    assert parse_name(raw) == name


@pytest.mark.parametrize(
    ("raw", "code", "params"),
    [
        ("", "required", {}),
        ("   ", "required", {}),
        ("\u200b", "required", {}),
        ("李" * 41, "length", {"length": 41}),
        ("张3", "format", {"char": "3"}),
        ("张３", "format", {"char": "3"}),
        ("张@三", "format", {"char": "@"}),
        ("张三!", "format", {"char": "!"}),
        ("John_Smith", "format", {"char": "_"}),
        ("张三😀", "format", {"char": "😀"}),
        ("·张三", "format", {}),
        ("张三·", "format", {}),
        ("买买提··艾力", "format", {}),
        ("买买提. .艾力", "format", {}),
    ],
)
def test_each_refusal_has_its_reason(raw: str, code: str, params: dict[str, object]) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_name(raw, field="applicant.name")
    (only,) = caught.value.errors
    assert (only.field, only.code) == ("applicant.name", code)
    assert params.items() <= dict(only.params).items()
    assert "{" not in only.render()


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),
        ("买买提·艾力", "买*****"),
        ("John Smith", "J*** S****"),
        ("José Núñez", "J*** N****"),
        ("John", "J***"),
        ("张", "*"),
        ("J", "*"),
        ("", ""),
    ],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@given(st.text(alphabet=HAN, min_size=1, max_size=40))
def test_han_names_parse_unchanged_and_mask_keeps_length(name: str) -> None:
    assert parse_name(name) == name
    masked = mask_name(name)
    assert len(masked) == len(name)
    assert masked[1:] == "*" * (len(name) - 1)
    if len(name) > 1:
        assert masked[0] == name[0]


@given(st.text(min_size=0, max_size=60))
def test_parse_name_either_returns_a_fixed_point_or_refuses(raw: str) -> None:
    try:
        name: str | None = parse_name(raw)
        codes: set[str] = set()
    except InvalidInput as error:
        name, codes = None, {e.code for e in error.errors}
    assert codes <= {"required", "length", "format"}
    if name is not None:
        assert parse_name(name) == name
        assert 1 <= len(name) <= 40


@pytest.mark.parametrize("name", ["Jean-Luc Picard", "Sinéad O'Brien"])
def test_latin_names_keep_hyphens_and_apostrophes(name: str) -> None:
    assert parse_name(name) == name
