"""Streaming a stored video with HTTP Range requests (RFC 9110 §14), which video
players need to seek and which phones use for every video they play.

One range per request (``bytes=a-b``, ``bytes=a-``, ``bytes=-n``); a request with
several ranges or a malformed one gets the whole video (200), as the RFC allows; a
range past the end gets 416 with the video's length. Videos are personal data:
never cached by a browser or a proxy (``private, no-store``).
"""

from __future__ import annotations

import re

from starlette.responses import Response, StreamingResponse

from healthcode.services.residents.videos import VideoBlob

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
PRIVATE = "private, no-store"


def byte_span(header: str | None, size: int) -> tuple[int, int] | bool | None:
    """(first, last) byte of a satisfiable single range; None: send it all;
    False: not satisfiable."""
    match = _RANGE.fullmatch((header or "").strip().replace(" ", ""))
    if match is None or size == 0:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:  # the last n bytes
        n = int(last)
        return (max(0, size - n), size - 1) if n > 0 else False
    start = int(first)
    end = min(int(last), size - 1) if last else size - 1
    if last and int(last) < start:
        return None
    return (start, end) if start < size else False


def stream(blob: VideoBlob, range_header: str | None) -> Response:
    size = blob.summary.size
    headers = {
        "Accept-Ranges": "bytes",
        "Cache-Control": PRIVATE,
        "Content-Encoding": "identity",  # never gzipped: the byte offsets must hold
    }
    span = byte_span(range_header, size)
    if span is False:
        headers["Content-Range"] = f"bytes */{size}"
        return Response(status_code=416, headers=headers)
    start, end = span if isinstance(span, tuple) else (0, size - 1)
    headers["Content-Length"] = str(end - start + 1)
    if isinstance(span, tuple):
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return StreamingResponse(
        blob.read(start, end),
        status_code=206 if isinstance(span, tuple) else 200,
        headers=headers,
        media_type=blob.summary.content_type,
    )
