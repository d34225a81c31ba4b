"""The WebSocket edge: the pages' sign-in (the ``hc_session`` cookie) and a same-origin
check, since a browser sends our cookies on a WebSocket opened by any site and CORS
does not apply to WebSockets (cross-site WebSocket hijacking)."""

from __future__ import annotations

from starlette.websockets import WebSocket

from healthcode.http.security import SESSION_COOKIE
from healthcode.services.accounts import sessions
from healthcode.services.accounts.permissions import Principal
from healthcode.services.shared.env import Env
from healthcode.store.uow import UnitOfWork, UnitOfWorkFactory


def same_origin(websocket: WebSocket) -> bool:
    """The page that opened the socket is ours: its Origin is this host, http for ws
    and https for wss (behind a proxy, the proxy must pass Host on)."""
    origin, host = websocket.headers.get("origin"), websocket.headers.get("host")
    if not origin or not host:
        return False
    scheme = "https" if websocket.url.scheme == "wss" else "http"
    return origin.lower() == f"{scheme}://{host}".lower()


def env_of(websocket: WebSocket) -> Env:
    env: Env = websocket.app.state.env
    return env


def units_of(websocket: WebSocket) -> UnitOfWorkFactory:
    units: UnitOfWorkFactory = websocket.app.state.uow_factory
    return units


def socket_principal(websocket: WebSocket, uow: UnitOfWork) -> Principal | None:
    """Who opened the socket, from the session cookie; None if not signed in, or if its
    password must be changed first (a call is no call about the account itself)."""
    token = websocket.cookies.get(SESSION_COOKIE)
    try:
        return sessions.authenticate(uow, env_of(websocket), token=token) if token else None
    except sessions.PasswordChangeRequired:
        return None
