"""What a temperature video is (seed 000 §二.二.1, 测量体温小视频): its container,
recognised by the file's first bytes, and its length, read from the container.

No decoding: the container says how long it is. MP4 and QuickTime (ISO base media
boxes) are read with mutagen (pure Python; it reads ``moov/mvhd``); WebM (Matroska,
EBML) with the small reader below, which mutagen lacks: ``Segment/Info/Duration``
scaled by ``TimecodeScale``, or, for a browser recording that carries no Duration,
the last cluster's timestamp. A file whose length cannot be read is refused.
"""

from __future__ import annotations

import enum
import math
import struct
from typing import BinaryIO

from mutagen import MutagenError
from mutagen.mp4 import MP4


class VideoKind(enum.Enum):
    MP4 = "video/mp4"
    QUICKTIME = "video/quicktime"
    WEBM = "video/webm"


EBML_MAGIC = b"\x1a\x45\xdf\xa3"
_MP4_BRANDS_QT = (b"qt  ",)
_MOV_FIRST_BOXES = (b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot")


def sniff(head: bytes) -> VideoKind | None:
    """The container of a file from its first bytes (at least 64), else None."""
    if head.startswith(EBML_MAGIC):
        return VideoKind.WEBM if b"webm" in head[:64] else None
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return VideoKind.QUICKTIME if head[8:12] in _MP4_BRANDS_QT else VideoKind.MP4
    if len(head) >= 8 and head[4:8] in _MOV_FIRST_BOXES:
        return VideoKind.QUICKTIME  # old QuickTime files start with no ftyp box
    return None


def duration_seconds(kind: VideoKind, stream: BinaryIO) -> float | None:
    """The length the container declares, None if it cannot be read."""
    stream.seek(0)
    try:
        if kind is VideoKind.WEBM:
            length = _webm_duration(stream)
        else:
            info = MP4(stream).info  # type: ignore[no-untyped-call]
            length = info.length if info is not None else None
    except (MutagenError, ValueError, struct.error, OSError, EOFError):
        return None
    finally:
        stream.seek(0)
    if length is None or not math.isfinite(length) or length <= 0:
        return None  # a crafted Duration: NaN, infinite, negative
    return float(length)


# EBML element ids (Matroska): the few the length needs
_SEGMENT = 0x18538067
_INFO = 0x1549A966
_TIMECODE_SCALE = 0x2AD7B1
_DURATION = 0x4489
_CLUSTER = 0x1F43B675
_TIMECODE = 0xE7
_SIMPLE_BLOCK = 0xA3
_BLOCK_GROUP = 0xA0
_BLOCK = 0xA1
_UNKNOWN = -1
_MAX_ELEMENTS = 500_000  # read at most this many element headers (a crafted file)


def _vint(stream: BinaryIO, *, keep_marker: bool) -> tuple[int, int]:
    """An EBML variable-length integer: (value, bytes read); -1 for 'unknown size'."""
    first = stream.read(1)
    if not first:
        raise EOFError
    width = 1
    while width <= 8 and not first[0] & (0x80 >> (width - 1)):
        width += 1
    if width > 8:
        raise ValueError("bad EBML integer")
    rest = stream.read(width - 1)
    if len(rest) != width - 1:
        raise EOFError
    value = first[0] if keep_marker else first[0] & (0xFF >> width)
    for byte in rest:
        value = value << 8 | byte
    if not keep_marker and value == (1 << (7 * width)) - 1:
        return _UNKNOWN, width
    return value, width


def _uint(data: bytes) -> int:
    """An EBML unsigned integer: at most 8 bytes (a longer one, say a 400-byte cluster
    timestamp, made a length too large for a float: an OverflowError)."""
    if len(data) > 8:
        raise ValueError("EBML integer wider than 8 bytes")
    return int.from_bytes(data, "big") if data else 0


def _webm_duration(stream: BinaryIO) -> float | None:
    return _Ebml(stream).duration()


class _Ebml:
    """One WebM file's element headers, read in order; a crafted file of countless
    tiny elements is given up on (ValueError) rather than read for minutes."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.left = _MAX_ELEMENTS

    def header(self) -> tuple[int, int]:
        self.left -= 1
        if self.left < 0:
            raise ValueError("too many EBML elements")
        element, _ = _vint(self.stream, keep_marker=True)
        size, _ = _vint(self.stream, keep_marker=False)
        return element, size

    def duration(self) -> float | None:
        stream = self.stream
        end = stream.seek(0, 2)
        stream.seek(0)
        element, size = self.header()
        if element != 0x1A45DFA3 or size == _UNKNOWN:
            return None
        stream.seek(size, 1)
        element, size = self.header()
        if element != _SEGMENT:
            return None
        segment_end = end if size == _UNKNOWN else min(end, stream.tell() + size)
        scale, duration, last = 1_000_000, None, None
        while stream.tell() < segment_end:
            element, size = self.header()
            if element == _INFO and size != _UNKNOWN:
                scale, duration = self.info(stream.tell() + size, scale)
            elif element == _CLUSTER:
                cluster_end = segment_end if size == _UNKNOWN else stream.tell() + size
                last = self.cluster_end(cluster_end, last)
            elif size == _UNKNOWN:
                return None
            else:
                stream.seek(size, 1)
        if duration is not None:
            return duration * scale / 1e9
        return last * scale / 1e9 if last is not None else None

    def info(self, info_end: int, scale: int) -> tuple[int, float | None]:
        duration = None
        while self.stream.tell() < info_end:
            element, size = self.header()
            if size == _UNKNOWN or size > 64:
                self.stream.seek(info_end)
                break
            data = self.stream.read(size)
            if element == _TIMECODE_SCALE:
                scale = _uint(data) or scale
            elif element == _DURATION and size in (4, 8):
                duration = struct.unpack(">f" if size == 4 else ">d", data)[0]
        return scale, duration

    def cluster_end(self, cluster_end: int, last: float | None) -> float | None:
        """The latest block timestamp in a cluster, in timecode units."""
        stream, base = self.stream, 0
        while stream.tell() < cluster_end:
            start = stream.tell()
            element, size = self.header()
            if element in (_CLUSTER, _SEGMENT):  # an unknown-size cluster ended
                stream.seek(start)
                return last
            if size == _UNKNOWN:
                return last
            if element == _TIMECODE:
                base = _uint(stream.read(size))
                last = max(last or 0, base)
            elif element in (_SIMPLE_BLOCK, _BLOCK_GROUP):
                body_end = stream.tell() + size
                if element == _BLOCK_GROUP:
                    element, size = self.header()
                    if element != _BLOCK:
                        stream.seek(body_end)
                        continue
                _vint(stream, keep_marker=False)  # track number
                (offset,) = struct.unpack(">h", stream.read(2))
                last = max(last or 0, base + offset)
                stream.seek(body_end)
            else:
                stream.seek(size, 1)
        return last
