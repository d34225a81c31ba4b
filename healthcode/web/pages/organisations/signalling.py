"""WebRTC signalling for the video calls: one WebSocket room per call, two seats.

The browsers exchange their session descriptions (offer, answer) and ICE candidates
through this relay, then send the media to each other directly; nothing of the media
passes here or is stored. A socket is let in only from our own pages (Origin), for a
signed-in party of the call (``calls.join_call``: the issuer who placed it, still in
scope, or the applicant; anyone else is "not found"), while the call rings or runs.
Refusals close the socket with an application code the page explains:

    4401 not signed in · 4404 no such call (or not yours) · 4409 opened again
    elsewhere (this tab is replaced) · 4410 the call is over

A cross-site Origin is refused at the handshake (HTTP 403). The issuer makes the
offer when the applicant is in the room ("peer-joined"). "bye" hangs up; a party
whose socket drops and does not come back within ``GRACE_SECONDS`` ends the call as
"disconnected" (the other page hears "peer-left" at once, and "peer-joined" when it
is back: the issuer then offers again). The rooms live in this process:
serve calls from one worker (or share rooms through Redis pub/sub when scaling out).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import structlog
from fastapi import APIRouter, FastAPI, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from healthcode.domain.errors import NotFound
from healthcode.http.websockets import env_of, same_origin, socket_principal, units_of
from healthcode.services.accounts.permissions import Principal
from healthcode.services.organisations import calls
from healthcode.services.organisations.calls import CallOver, EndReason, Party

router = APIRouter(include_in_schema=False)
log = structlog.get_logger()
T = TypeVar("T")

NOT_SIGNED_IN, NOT_FOUND, REPLACED, OVER = 4401, 4404, 4409, 4410
MAX_MESSAGE = 64 * 1024  # an SDP with many candidates stays well under this
MAX_MESSAGES = 2000  # per socket: a call needs a few dozen, and a ping every 5 s
GRACE_SECONDS = 10.0  # a dropped party may come back (a reload) before the call ends


class Rooms:
    """The sockets of each call, by party (in this process)."""

    def __init__(self) -> None:
        self.rooms: dict[uuid.UUID, dict[Party, WebSocket]] = {}
        self.pending: set[asyncio.Future[None]] = set()

    def seat(self, call_id: uuid.UUID, party: Party, socket: WebSocket) -> WebSocket | None:
        """Take the party's seat; the socket that held it (another tab) is returned."""
        room = self.rooms.setdefault(call_id, {})
        previous = room.get(party)
        room[party] = socket
        return previous

    def leave(self, call_id: uuid.UUID, party: Party, socket: WebSocket) -> bool:
        """Give up the seat if still held by this socket; False if it was taken over."""
        room = self.rooms.get(call_id, {})
        if room.get(party) is not socket:
            return False
        del room[party]
        if not room:
            self.rooms.pop(call_id, None)
        return True

    def seated(self, call_id: uuid.UUID, party: Party) -> bool:
        return party in self.rooms.get(call_id, {})

    def later(self, work: Coroutine[Any, Any, None]) -> None:
        """Run in the background, held until done (the event loop keeps weak refs)."""
        task = asyncio.ensure_future(work)
        self.pending.add(task)
        task.add_done_callback(self.pending.discard)

    def peer(self, call_id: uuid.UUID, party: Party) -> WebSocket | None:
        return self.rooms.get(call_id, {}).get(party.other)

    async def send(self, call_id: uuid.UUID, party: Party, message: dict[str, Any]) -> None:
        """To the party's socket, if it is there (a closed one is skipped)."""
        socket = self.rooms.get(call_id, {}).get(party)
        if socket is not None:
            with contextlib.suppress(RuntimeError, WebSocketDisconnect):
                await socket.send_json(message)

    async def close_all(self, call_id: uuid.UUID) -> None:
        for socket in list(self.rooms.pop(call_id, {}).values()):
            await _close(socket, 1000)


def rooms_of(app: FastAPI) -> Rooms:
    rooms = getattr(app.state, "call_rooms", None)
    if rooms is None:
        rooms = app.state.call_rooms = Rooms()
    return rooms


@router.websocket("/calls/{call_id}/signal")
async def signal(websocket: WebSocket, call_id: uuid.UUID) -> None:
    if not same_origin(websocket):
        await websocket.close(code=1008)  # before accepting: the handshake gets a 403
        return
    await websocket.accept()
    try:
        who, party = await _join(websocket, call_id)
    except _Refused as refused:
        await _close(websocket, refused.code)
        return
    rooms = rooms_of(websocket.app)
    try:
        await _relay(websocket, rooms, call_id, party, who)
    except WebSocketDisconnect:
        pass
    finally:
        if rooms.leave(call_id, party, websocket):
            await rooms.send(call_id, party.other, {"type": "peer-left", "party": party.value})
            rooms.later(_dropped(websocket, rooms, call_id, party, who))


class _Refused(Exception):
    def __init__(self, code: int) -> None:
        self.code = code


async def _join(websocket: WebSocket, call_id: uuid.UUID) -> tuple[Principal, Party]:
    env = env_of(websocket)

    def join() -> tuple[Principal, Party]:
        try:  # outside the unit of work, which keeps an offer found expired
            with units_of(websocket)() as uow:
                who = socket_principal(websocket, uow)
                if who is None:
                    raise _Refused(NOT_SIGNED_IN)
                _view, party = calls.join_call(uow, env, who, call_id=call_id)
                return who, party
        except NotFound:
            raise _Refused(NOT_FOUND) from None
        except CallOver:
            raise _Refused(OVER) from None

    who, party = await run_in_threadpool(join)
    rooms = rooms_of(websocket.app)
    previous = rooms.seat(call_id, party, websocket)
    if previous is not None:
        await _close(previous, REPLACED)
    peer = rooms.peer(call_id, party)
    await websocket.send_json({"type": "joined", "party": party.value, "peer": peer is not None})
    if peer is not None:
        await rooms.send(call_id, party.other, {"type": "peer-joined", "party": party.value})
    return who, party


async def _relay(
    websocket: WebSocket, rooms: Rooms, call_id: uuid.UUID, party: Party, who: Principal
) -> None:
    for _ in range(MAX_MESSAGES):
        message = _parsed(await websocket.receive_text())
        if message is None:
            continue
        if message["type"] == "bye":
            await _hang_up(websocket, call_id, party, who, EndReason.HANG_UP)
            return
        if message["type"] == "ping":  # the waiting page asks: still ringing?
            if not await _still_live(websocket, call_id, who):
                await announce_end(websocket.app, call_id, None, EndReason.EXPIRED)
                return
            continue
        await rooms.send(call_id, party.other, message)
    await _close(websocket, 1008)


def _parsed(text: str) -> dict[str, Any] | None:
    """Only what signalling needs passes on: a description or a candidate, bounded."""
    if len(text) > MAX_MESSAGE:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    kind = data.get("type")
    if kind in ("bye", "ping"):
        return {"type": kind}
    if kind in ("offer", "answer"):
        description = data.get("description")
        if isinstance(description, dict) and description.get("type") == kind:
            sdp = description.get("sdp")
            if isinstance(sdp, str):
                return {"type": kind, "description": {"type": kind, "sdp": sdp}}
    if kind == "candidate" and isinstance(data.get("candidate"), dict):
        return {"type": "candidate", "candidate": data["candidate"]}
    return None


async def _hang_up(
    websocket: WebSocket, call_id: uuid.UUID, party: Party, who: Principal, reason: EndReason
) -> None:
    env = env_of(websocket)
    view = await _in_uow(
        websocket, lambda uow: calls.end_call(uow, env, who, call_id=call_id, reason=reason)
    )
    await announce_end(websocket.app, call_id, party, view.end_reason or reason)


async def announce_end(
    app: FastAPI, call_id: uuid.UUID, by: Party | None, reason: EndReason
) -> None:
    """Tell both pages the call is over (after it was saved so), and close the room."""
    rooms = rooms_of(app)
    ended = {"type": "ended", "by": by.value if by else None, "reason": reason.value}
    await rooms.send(call_id, Party.ISSUER, ended)
    await rooms.send(call_id, Party.RESIDENT, ended)
    await rooms.close_all(call_id)


async def _still_live(websocket: WebSocket, call_id: uuid.UUID, who: Principal) -> bool:
    env = env_of(websocket)
    try:
        view, _party = await _in_uow(
            websocket, lambda uow: calls.open_call(uow, env, who, call_id=call_id)
        )
    except NotFound:
        return False
    return bool(view.live)


async def _dropped(
    websocket: WebSocket, rooms: Rooms, call_id: uuid.UUID, party: Party, who: Principal
) -> None:
    """A party's page closed or lost its connection: unless it is back within
    ``GRACE_SECONDS`` (a reload, a blip of the mobile network), the call is over."""
    await asyncio.sleep(GRACE_SECONDS)
    if rooms.seated(call_id, party):
        return
    try:
        await _hang_up(websocket, call_id, party, who, EndReason.DISCONNECTED)
    except (NotFound, CallOver):
        pass  # out of scope or over meanwhile: nothing to end
    except Exception:  # a background task: nobody else would hear of it
        log.exception("call.drop_not_saved", call=str(call_id), party=party.value)


async def _in_uow(websocket: WebSocket, work: Callable[[Any], T]) -> T:
    def run() -> T:
        with units_of(websocket)() as uow:
            return work(uow)

    return await run_in_threadpool(run)


async def _close(socket: WebSocket, code: int) -> None:
    with contextlib.suppress(RuntimeError, WebSocketDisconnect, asyncio.CancelledError):
        await socket.close(code=code)
