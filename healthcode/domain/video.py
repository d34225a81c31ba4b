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
            return _webm_duration(stream)
        info = MP4(stream).info  # type: ignore[no-untyped-call]
        length = info.length if info is not None else None
    except (MutagenError, ValueError, struct.error, OSError, EOFError):
        return None
    finally:
        stream.seek(0)
    return float(length) if length and length > 0 else None


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
_MAX_ELEMENTS = 200_000  # a 20 MB file has far fewer top-level elements than this


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


def _header(stream: BinaryIO) -> tuple[int, int]:
    element, _ = _vint(stream, keep_marker=True)
    size, _ = _vint(stream, keep_marker=False)
    return element, size


def _uint(data: bytes) -> int:
    return int.from_bytes(data, "big") if data else 0


def _webm_duration(stream: BinaryIO) -> float | None:
    end = stream.seek(0, 2)
    stream.seek(0)
    element, size = _header(stream)
    if element != 0x1A45DFA3 or size == _UNKNOWN:
        return None
    stream.seek(size, 1)
    element, size = _header(stream)
    if element != _SEGMENT:
        return None
    segment_end = end if size == _UNKNOWN else min(end, stream.tell() + size)
    scale, duration, last_ms = 1_000_000, None, None
    for _ in range(_MAX_ELEMENTS):
        if stream.tell() >= segment_end:
            break
        element, size = _header(stream)
        if element == _INFO and size != _UNKNOWN:
            scale, duration = _info(stream, stream.tell() + size, scale)
        elif element == _CLUSTER:
            cluster_end = segment_end if size == _UNKNOWN else stream.tell() + size
            last_ms = _cluster_end(stream, cluster_end, last_ms)
            continue  # a cluster of unknown size ends where the next element starts
        elif size == _UNKNOWN:
            return None
        else:
            stream.seek(size, 1)
    if duration is not None:
        return duration * scale / 1e9
    return last_ms * scale / 1e9 if last_ms is not None else None


def _info(stream: BinaryIO, info_end: int, scale: int) -> tuple[int, float | None]:
    duration = None
    while stream.tell() < info_end:
        element, size = _header(stream)
        if size == _UNKNOWN or size > 64:
            stream.seek(info_end)
            break
        data = stream.read(size)
        if element == _TIMECODE_SCALE:
            scale = _uint(data) or scale
        elif element == _DURATION and size in (4, 8):
            duration = struct.unpack(">f" if size == 4 else ">d", data)[0]
    return scale, duration


def _cluster_end(stream: BinaryIO, cluster_end: int, last: float | None) -> float | None:
    """The latest block timestamp in a cluster, in timecode units."""
    base = 0
    while stream.tell() < cluster_end:
        start = stream.tell()
        element, size = _header(stream)
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
                element, size = _header(stream)
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
