"""Form values are read whole up to the longest any field takes: at 400 characters a
counter note (up to 500), an appeal decision (1,000) or another region's code (up to
4,296) was cut without a word."""

from __future__ import annotations

from starlette.datastructures import FormData

from healthcode.domain.tokens.codec import MAX_TEXT_CHARS
from healthcode.web.forms import read_form


def test_a_long_note_is_read_whole_and_an_endless_value_bounded() -> None:
    note, code = "视频中未见体温计读数。" * 45, "CNHB1:" + "A" * 2_400
    form = read_form(FormData([("note", note), ("token", code), ("junk", "x" * 10_000)]))
    assert (form.value("note"), form.value("token")) == (note, code)
    assert len(form.value("junk")) == MAX_TEXT_CHARS  # refused by the field's own limit
