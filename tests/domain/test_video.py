"""The container checks on untrusted uploads: the type from the first bytes, the
length from the container, and nothing a crafted or cut-off file can break."""

from __future__ import annotations

import io
import math
import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from healthcode.domain.video import VideoKind, duration_seconds, sniff
from tests.factories import videos as make


@pytest.mark.parametrize(
    ("data", "kind", "seconds"),
    [
        (make.mp4(12.5), VideoKind.MP4, 12.5),
        (make.quicktime(29.9), VideoKind.QUICKTIME, 29.9),
        (make.webm(7.5), VideoKind.WEBM, 7.5),
        (make.webm(12.3, declare_duration=False), VideoKind.WEBM, 12.3),  # a recording
    ],
)
def test_type_and_length(data: bytes, kind: VideoKind, seconds: float) -> None:
    assert sniff(data[:64]) is kind
    assert duration_seconds(kind, io.BytesIO(data)) == pytest.approx(seconds)


@pytest.mark.parametrize(
    "data",
    [
        make.PNG,
        b"GIF89a" + bytes(60),
        b"%PDF-1.7" + bytes(60),
        b"\x1a\x45\xdf\xa3" + bytes(60),
        b"",
    ],
)
def test_not_a_video(data: bytes) -> None:
    assert sniff(data[:64]) is None


VALID = [
    make.mp4(5, size=600),
    make.quicktime(5),
    make.webm(5),
    make.webm(5, declare_duration=False),
]


@given(st.sampled_from(VALID), st.data())
def test_a_cut_off_file_never_breaks_the_reader(data: bytes, draw: st.DataObject) -> None:
    cut = data[: draw.draw(st.integers(0, len(data)))]
    kind = sniff(data[:64])
    assert kind is not None
    found = duration_seconds(kind, io.BytesIO(cut))
    assert found is None or 0 < found < math.inf


@settings(max_examples=300)
@given(st.sampled_from(list(VideoKind)), st.binary(max_size=400), st.sampled_from(VALID))
def test_any_bytes_give_a_length_or_none(kind: VideoKind, noise: bytes, valid: bytes) -> None:
    for data in (noise, valid[:40] + noise, make.webm(3)[:60] + noise):
        found = duration_seconds(kind, io.BytesIO(data))
        assert found is None or 0 < found < math.inf


@pytest.mark.parametrize("declared", [math.inf, math.nan, -5.0])
def test_a_crafted_duration_is_no_length(declared: float) -> None:
    data = make.webm(5).replace(struct.pack(">d", 5000.0), struct.pack(">d", declared))
    assert duration_seconds(VideoKind.WEBM, io.BytesIO(data)) is None


@pytest.mark.parametrize("width", [9, 400])
def test_a_cluster_timestamp_wider_than_eight_bytes_is_no_length(width: int) -> None:
    """EBML integers are at most 8 bytes. A recording's cluster timestamp of 400 bytes
    was read as a number too large for a float: an OverflowError, a 500 on upload."""
    header = make._ebml(0x1A45DFA3, make._ebml(0x4282, b"webm"))
    cluster = make._ebml(0x1F43B675, make._ebml(0xE7, b"\xff" * width))
    data = header + make._ebml(0x18538067, cluster)
    assert duration_seconds(VideoKind.WEBM, io.BytesIO(data)) is None
