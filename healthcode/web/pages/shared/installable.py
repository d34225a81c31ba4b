"""What makes the resident's site installable: the web app manifest and the service worker.

Added to the home screen, the site opens on "My codes" (``/``). The worker is served
from ``/sw.js`` rather than ``/static/`` because a worker only controls the pages
under its own path. Its list of shell files carries the content-hashed URLs, so each
release changes the worker's bytes and the browser installs the new one.
"""

from __future__ import annotations

import json
from functools import cache

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from healthcode.web.static_files import STATIC, static_url
from healthcode.web.templating import _

router = APIRouter(include_in_schema=False)
ICONS = ((192, "icon-192.png"), (512, "icon-512.png"))
DEVICE_CODES = ("vendor/pako/pako_deflate.min.js", "vendor/qrcode-generator/qrcode.js")
SHELL = ("app.css", "app.js", "icon.svg", *(name for _size, name in ICONS), *DEVICE_CODES)
WORKER_HEADERS = {
    "Cache-Control": "no-cache",  # always revalidated: a new release reaches phones at once
    "Service-Worker-Allowed": "/",
}


@cache
def worker_script() -> str:
    """sw.js with the shell's current URLs filled in."""
    shell = json.dumps([static_url(name) for name in SHELL])
    return (STATIC / "sw.js").read_text(encoding="utf-8").replace("[/*SHELL*/]", shell)


@router.get("/sw.js")
def service_worker() -> Response:
    return Response(worker_script(), media_type="text/javascript", headers=WORKER_HEADERS)


@router.get("/manifest.webmanifest")
def manifest() -> Response:
    """Names in the request's language (the manifest is fetched without cookies, so by
    Accept-Language); ``start_url`` is "My codes"."""
    body = {
        "name": _("Health code"),
        "short_name": _("Health code"),
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0b5cad",
        "icons": [
            {"src": static_url(name), "sizes": f"{size}x{size}", "type": "image/png"}
            for size, name in ICONS
        ],
    }
    return JSONResponse(
        body,
        media_type="application/manifest+json",
        headers={"Cache-Control": "public, max-age=3600"},
    )
