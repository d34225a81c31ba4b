"""A fake camera that shows a real QR code: Chromium reads a .y4m video file as its
camera (``--use-file-for-fake-video-capture``), so a page's camera scanning is tested
end to end: getUserMedia, the vendored zxing-wasm, and what the page does with the text.

``qr_video(text, path)`` writes the video (segno draws the code, PIL greys it into
YUV 4:2:0 frames); ``camera_browser(playwright, video)`` launches a Chromium that
films it. The ``camera_browser`` fixture (conftest.py) combines both for any text.
"""

from __future__ import annotations

import io
from pathlib import Path

import segno
from PIL import Image
from playwright.sync_api import Browser, Playwright

from tests.factories.qr import decode
from tests.web.conftest import ARGS, CHROMIUM

WIDTH, HEIGHT = 640, 480
FRAMES = 5  # Chromium loops the file: a still picture needs only a few frames
FAKE_CAMERA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


def qr_picture(text: str, *, size: tuple[int, int] = (WIDTH, HEIGHT)) -> Image.Image:
    """The QR code of ``text`` in the middle of a white frame, as a phone would film it,
    checked with zxing-cpp so a test never feeds the camera an unreadable picture."""
    buffer = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buffer, kind="png", scale=1, border=4)
    code = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    side = min(size) * 9 // 10
    scale = max(1, side // code.width)
    code = code.resize((code.width * scale, code.height * scale), Image.Resampling.NEAREST)
    frame = Image.new("L", size, 255)
    frame.paste(code, ((size[0] - code.width) // 2, (size[1] - code.height) // 2))
    assert decode(frame).text == text
    return frame


def qr_video(text: str, path: Path, *, frames: int = FRAMES) -> Path:
    """A YUV4MPEG2 video (4:2:0, 10 fps) of ``text``'s QR code: grey, so the chroma
    planes are flat 128."""
    picture = qr_picture(text)
    width, height = picture.size
    luma = picture.tobytes()
    chroma = bytes([128]) * ((width // 2) * (height // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F10:1 Ip A1:1 C420jpeg\n".encode("ascii"))
        for _ in range(frames):
            out.write(b"FRAME\n")
            out.write(luma)
            out.write(chroma)
            out.write(chroma)
    return path


def camera_browser(playwright: Playwright, video: Path) -> Browser:
    """A Chromium whose camera films ``video``, allowed without asking."""
    return playwright.chromium.launch(
        executable_path=CHROMIUM,
        args=[*ARGS, *FAKE_CAMERA, f"--use-file-for-fake-video-capture={video}"],
    )
