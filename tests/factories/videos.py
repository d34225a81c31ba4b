"""Small real video containers, built by hand (no ffmpeg here): enough structure for
the type and length checks, padded with a media-data box to any size."""

from __future__ import annotations

import struct


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def mp4(seconds: float, *, size: int = 0, brand: bytes = b"isom") -> bytes:
    """An ISO base media file: ftyp, moov/mvhd (the declared length), then mdat
    padded so that the whole file is at least ``size`` bytes."""
    ftyp = _box(b"ftyp", brand + struct.pack(">I", 0x200) + brand + b"mp41")
    timescale = 1000
    mvhd = _box(
        b"mvhd",
        bytes(4)  # version 0, flags
        + struct.pack(">IIII", 0, 0, timescale, round(seconds * timescale))
        + struct.pack(">IH", 0x10000, 0x100)
        + bytes(10)
        + struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)
        + bytes(24)
        + struct.pack(">I", 2),
    )
    head = ftyp + _box(b"moov", mvhd)
    pad = max(0, size - len(head) - 8)
    return head + _box(b"mdat", bytes(range(256)) * (pad // 256) + bytes(pad % 256))


def quicktime(seconds: float, *, size: int = 0) -> bytes:
    return mp4(seconds, size=size, brand=b"qt  ")


def _ebml(element: int, payload: bytes) -> bytes:
    ident = element.to_bytes((element.bit_length() + 7) // 8, "big")
    return ident + (0x01 << 56 | len(payload)).to_bytes(8, "big") + payload


def webm(seconds: float, *, declare_duration: bool = True, size: int = 0) -> bytes:
    """A WebM file; without ``declare_duration`` it is like a browser recording
    (MediaRecorder): no Duration, an unknown-size segment, the length only in the
    clusters' timestamps."""
    header = _ebml(0x1A45DFA3, _ebml(0x4282, b"webm") + _ebml(0x4287, b"\x04"))
    info = _ebml(0x2AD7B1, (1_000_000).to_bytes(3, "big"))  # milliseconds
    if declare_duration:
        info += _ebml(0x4489, struct.pack(">d", seconds * 1000))
    clusters = b""
    for start in range(0, int(seconds * 1000), 1000):
        last = min(999, int(seconds * 1000) - start)
        block = b"\x81" + struct.pack(">h", last) + b"\x80" + b"frame"
        clusters += _ebml(0x1F43B675, _ebml(0xE7, start.to_bytes(4, "big")) + _ebml(0xA3, block))
    body = _ebml(0x1549A966, info) + clusters
    pad = max(0, size - len(header) - len(body) - 24)
    body += _ebml(0xEC, bytes(pad))  # a Void element
    if declare_duration:
        return header + _ebml(0x18538067, body)
    return header + bytes.fromhex("18538067") + bytes.fromhex("01FFFFFFFFFFFFFF") + body


# a PNG signature and header: an image someone renamed to .mp4
PNG = b"\x89PNG\r\n\x1a\n" + _box(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) + bytes(64)
