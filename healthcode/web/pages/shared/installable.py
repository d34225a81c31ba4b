"""What makes the resident's site installable: the web app manifest and the service worker.

Added to the home screen, the site opens on "My codes" (``/``). The worker is served
from ``/sw.js`` rather than ``/static/`` because a worker only controls the pages
under its own path. Its list of shell files carries the content-hashed URLs, so each
release changes the worker's bytes and the browser installs the new one.

The offline scanner's files are a list of their own, kept only on a device that
opened the scanner: its page's assets, every ES module ``scanner/scanner.js`` and
``scanner/scanner-camera.js`` import, found by following the ``import … from "./…"``
lines, and the camera's wasm. Modules import each other by plain URL, so those are
listed plain, and the worker carries a hash of their contents to change with them.
"""

from __future__ import annotations

import hashlib
import json
import posixpath
import re
from functools import cache

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from healthcode.web.static_files import STATIC, static_url
from healthcode.web.templating import _

router = APIRouter(include_in_schema=False)
ICONS = ((192, "icon-192.png"), (512, "icon-512.png"))
DEVICE_CODES = ("vendor/pako/pako_deflate.min.js", "vendor/qrcode-generator/qrcode.js")
SHELL = ("app.css", "app.js", "icon.svg", *(name for _size, name in ICONS), *DEVICE_CODES)
SCANNER_ASSETS = ("scanner/scanner.css",)
SCANNER_ENTRIES = ("scanner/scanner.js", "scanner/scanner-camera.js")  # by their plain URLs
SCANNER_PLAIN = ("vendor/zxing-wasm/zxing_reader.wasm",)  # camera.js asks for it plainly
_IMPORT = re.compile(r"""^\s*(?:import|export)\b[^;]*?\bfrom\s*["'](\.[^"']+)["']""", re.M)
WORKER_HEADERS = {
    "Cache-Control": "no-cache",  # always revalidated: a new release reaches phones at once
    "Service-Worker-Allowed": "/",
}


def module_graph(entry: str) -> tuple[str, ...]:
    """The static files an ES module imports, itself included, transitively (paths
    relative to static/, sorted)."""
    seen: set[str] = set()
    todo = [entry]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        source = (STATIC / name).read_text(encoding="utf-8")
        folder = posixpath.dirname(name)
        todo += [posixpath.normpath(posixpath.join(folder, m)) for m in _IMPORT.findall(source)]
    return tuple(sorted(seen))


@cache
def worker_script() -> str:
    """sw.js with the shell's current URLs filled in."""
    shell = json.dumps([static_url(name) for name in SHELL])
    modules = tuple(sorted({m for entry in SCANNER_ENTRIES for m in module_graph(entry)}))
    modules += SCANNER_PLAIN
    scanner = json.dumps(
        [static_url(n) for n in SCANNER_ASSETS] + [f"/static/{m}" for m in modules]
    )
    digest = hashlib.sha256(b"".join((STATIC / m).read_bytes() for m in modules)).hexdigest()[:12]
    script = (STATIC / "sw.js").read_text(encoding="utf-8")
    script = script.replace("[/*SHELL*/]", shell).replace("[/*SCANNER*/]", scanner)
    return f"{script}/* scanner modules {digest} */\n"


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
