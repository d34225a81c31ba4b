"""An import looks a chunk's rows up while it checks them (``row_keys``, then
``parse_row``): the keys it looked up must be exactly those a valid row keeps, or a
registered resident would read as unmatched and a record sent before as new."""

from __future__ import annotations

from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from healthcode.domain.records import ImportKind, RecordRow, parse_row, row_keys
from tests.factories.identity import id_numbers, to_fullwidth

TODAY = date(2026, 11, 23)


@st.composite
def typed_id_numbers(draw: st.DrawFn) -> str:
    """A valid ID number as a person or a spreadsheet may have written it."""
    number = draw(id_numbers(today=TODAY))
    if draw(st.booleans()):
        number = number.lower()
    if draw(st.booleans()):
        number = to_fullwidth(number)
    cut = draw(st.integers(0, len(number)))
    gap = draw(st.sampled_from(["", " ", "-", "\u200b", "\u3000", "\u2014"]))
    pad = draw(st.sampled_from(["", " ", "\t", "\u3000"]))
    return pad + number[:cut] + gap + number[cut:] + pad


cells = st.one_of(st.none(), st.text(max_size=30), st.integers(), typed_id_numbers())
record_numbers = st.from_regex(r"\s{0,2}[A-Za-z0-9\-_/\u4e00-\u9fff ]{1,20}\s{0,2}", fullmatch=True)


@given(
    source_id=st.one_of(record_numbers, record_numbers, cells),
    id_number=st.one_of(typed_id_numbers(), typed_id_numbers(), cells),
    start=st.sampled_from(["2020-02-20", " 2020/02/20 ", "20200220", "", None, "soon"]),
)
def test_a_valid_rows_keys_are_those_it_was_looked_up_by(
    source_id: object, id_number: object, start: object
) -> None:
    raw = {"source_id": source_id, "id_number": id_number, "start": start}
    row = parse_row(ImportKind.CLOSE_CONTACT, raw, line=2, today=TODAY)
    if isinstance(row, RecordRow):
        assert row_keys(raw) == (row.source_id, row.id_number)


def test_a_typed_number_is_looked_up_as_it_is_kept() -> None:
    raw = {"source_id": " CC-1 ", "id_number": " 110105 19491231 002x ", "start": "2020-02-20"}
    row = parse_row(ImportKind.CLOSE_CONTACT, raw, line=2, today=TODAY)
    assert isinstance(row, RecordRow)
    assert row_keys(raw) == ("CC-1", "11010519491231002X") == (row.source_id, row.id_number)
