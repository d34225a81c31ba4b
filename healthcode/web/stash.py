"""What a resident typed, kept across a detour: a language switch, a sign-in after the
session ran out, a form token gone stale.

The posted values go into one short-lived cookie, encrypted and authenticated with
the master secret (``Protector``, its own context), never into a URL: a form may hold
an ID number. The cookie names the page to return to; that page's GET handler puts
the values back (``restore``) and ``templating.render`` clears the cookie, so a
stash is used once. A stash that is too large for a cookie is dropped: the detour
still works, the form comes back empty.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match

from healthcode.crypto import Protector
from healthcode.domain.i18n import N_

COOKIE = "hc_form"
CONTEXT = "healthcode/form-stash/v1"
LIFETIME_SECONDS = 600
MAX_COOKIE = 3800  # browsers keep 4096 bytes a cookie, name and attributes included
# nor the SMS code, nor a password: never in a cookie, even sealed (stop 44)
NOT_KEPT = frozenset(
    {"csrf_token", "idempotency_key", "code", "password", "current_password", "new_password",
     "new_password_again"}
)  # fmt: skip
# Not kept across a sign-in: whoever signs in next on a shared phone must not see them.
PERSONAL = frozenset({"id_number", "phone"})
POSTED = "posted_form"  # request.state: the form the CSRF check has already read
STALE = N_(
    "This form had expired, so nothing was sent. Your entries are kept: check them and send again."
)
SIGNED_OUT = N_(
    "You were signed out, so nothing was sent. Your entries are kept: check them and send again."
)


@dataclass(frozen=True)
class Kept:
    """The values put back on a page, and the one-line note to show with them."""

    form: FormData
    note: str

    def value(self, name: str) -> str:
        found = self.form.get(name)
        return found if isinstance(found, str) else ""


def _protector(request: Request) -> Protector:
    protector: Protector = request.app.state.env.protector
    return protector


def posted(request: Request, *, personal: bool = True) -> list[tuple[str, str]]:
    """The text fields of the request's form, as the CSRF check read them; without
    the personal numbers unless ``personal``."""
    items: Sequence[tuple[str, str]] = getattr(request.state, POSTED, ())
    left_out = NOT_KEPT if personal else NOT_KEPT | PERSONAL
    return [(k, v) for k, v in items if k not in left_out]


def page_for(request: Request) -> str:
    """The page a POST came from: its own path if that has a page, else the nearest
    path above it that does (``/declarations/1/confirm`` → ``/declarations/1``)."""
    path = request.url.path
    while path not in ("", "/"):
        probe = {"type": "http", "path": path, "method": "GET"}
        if any(route.matches(probe)[0] is Match.FULL for route in request.app.routes):
            return path
        path = path.rsplit("/", 1)[0]
    return "/"


def keep(request: Request, response: Response, *, path: str, items: list[tuple[str, str]],
         note: str = "") -> None:  # fmt: skip
    """Set the cookie that brings ``items`` back on ``path``."""
    payload = {"path": path, "items": items, "note": note, "until": time.time() + LIFETIME_SECONDS}
    sealed = _protector(request).encrypt(json.dumps(payload).encode(), context=CONTEXT)
    value = base64.urlsafe_b64encode(sealed).decode().rstrip("=")
    if len(value) <= MAX_COOKIE:
        response.set_cookie(COOKIE, value, max_age=LIFETIME_SECONDS, httponly=True,
                            samesite="lax", path="/")  # fmt: skip


def restore(request: Request) -> Kept | None:
    """The values kept for this page, if any (once: ``render`` clears the cookie)."""
    raw = request.cookies.get(COOKIE)
    if not raw:
        return None
    try:
        sealed = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
        payload = json.loads(_protector(request).decrypt(sealed, context=CONTEXT))
    except Exception:  # tampered, from an old secret, or malformed: nothing kept
        return None
    if payload["path"] != request.url.path or payload["until"] < time.time():
        return None
    request.state.stash_used = True
    request.state.form_note = payload["note"]
    return Kept(FormData([(str(k), str(v)) for k, v in payload["items"]]), payload["note"])


def clear_if_used(request: Request, response: Response) -> None:
    if getattr(request.state, "stash_used", False):
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
