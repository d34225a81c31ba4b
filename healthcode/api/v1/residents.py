"""The resident's own codes: declare, confirm, show, report, history.

Every route here acts only on the caller's own resident record; another
resident's data is never reachable from a resident session.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict
from functools import partial
from typing import Annotated

import structlog
from fastapi import APIRouter, Depends, File, Path, Query, Request, Response, UploadFile, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from healthcode.domain.colour import Colour
from healthcode.domain.errors import FieldError, InvalidInput
from healthcode.domain.i18n import N_
from healthcode.domain.qr import QR_DARK, qr_png, qr_svg
from healthcode.domain.state import State
from healthcode.http import ranges, uploads
from healthcode.http.deps import ClientDep, EnvDep, UnitsDep, UowDep
from healthcode.http.hop import Hop, Unit, resident_hop
from healthcode.http.security import ResidentDep, TokenDep, signed_in
from healthcode.http.views import (
    AttestationView,
    ClaimCodeView,
    ClaimInput,
    CodeView,
    ColourChangeView,
    DeclarationView,
    LocalTime,
    TokenView,
    code_view,
    colour_change_view,
    declaration_view,
)
from healthcode.i18n import translate
from healthcode.services.accounts.permissions import Principal
from healthcode.services.accounts.sessions import NotAuthenticated
from healthcode.services.codes import code_page
from healthcode.services.codes import health_codes as codes
from healthcode.services.organisations import routing
from healthcode.services.residents import daily_reports as reports
from healthcode.services.residents import declarations, videos
from healthcode.services.residents.inputs import DailyReportInput, DeclarationInput

log = structlog.get_logger()
router = APIRouter(tags=["resident"])
PolicyId = Annotated[str, Path(max_length=32, examples=["binzhou-code", "shandong-pass"])]
NO_STORE = {"Cache-Control": "no-store"}
ResidentHop = Annotated[Hop, Depends(resident_hop)]


@router.post(
    "/declarations",
    status_code=status.HTTP_201_CREATED,
    summary="Declare with the pledge; confirm next",
)
async def submit_declaration(data: DeclarationInput, writer: ResidentHop) -> DeclarationView:
    def work(uow: Unit, principal: Principal) -> declarations.Submission:
        return declarations.submit_declaration(
            uow, writer.env, account_id=principal.account_id, data=data
        )

    return declaration_view(await writer.run(work))


@router.post(
    "/declarations/{declaration_id}/confirm",
    summary="Second confirmation: the ID number is bound and the code is made now",
    responses={
        409: {
            "description": "id_number_taken: another account holds the ID number (see "
            "claim-code), already_confirmed, confirmation_expired, pass_still_valid"
        },
        429: {"description": "id_check_limited"},
    },
)
async def confirm_declaration(declaration_id: uuid.UUID, writer: ResidentHop) -> CodeView:
    def work(uow: Unit, principal: Principal) -> tuple[State, bool]:
        state = declarations.confirm_declaration(
            uow,
            writer.env,
            account_id=principal.account_id,
            declaration_id=declaration_id,
            client=writer.client,
        )
        return state, routing.unrouted(uow, state.awaiting_signature)

    state, unrouted = await writer.run(work)
    return code_view(writer.env.policies.find(state.policy_id), state, unrouted=unrouted)


@router.post(
    "/declarations/{declaration_id}/claim-code",
    status_code=status.HTTP_202_ACCEPTED,
    summary="The ID number is another account's: text a code to that account's phone",
)
def request_claim_code(
    declaration_id: uuid.UUID, principal: ResidentDep, uow: UowDep, env: EnvDep, client: ClientDep
) -> ClaimCodeView:
    sent = declarations.request_id_claim_code(
        uow, env, account_id=principal.account_id, declaration_id=declaration_id, client=client
    )
    return ClaimCodeView(phone_masked=sent.phone_masked, expires_at=sent.expires_at)


@router.post(
    "/declarations/{declaration_id}/claim",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Move the ID number to this account with the texted code; then confirm",
)
def claim_id_number(
    declaration_id: uuid.UUID,
    body: ClaimInput,
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
    client: ClientDep,
) -> Response:
    declarations.claim_id_number(
        uow,
        env,
        account_id=principal.account_id,
        declaration_id=declaration_id,
        code=body.code,
        client=client,
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/codes/{policy_id}", summary="My code: colour, reasons, next step and date")
async def get_code(policy_id: PolicyId, token: TokenDep, units: UnitsDep, env: EnvDep) -> CodeView:
    """The hot path (issue 14): one query, one hop to the thread pool; one read more
    while an application awaits a signature (does it wait for a community?)."""

    def read() -> tuple[State, bool]:
        state = code_page.code_state(units, env, token=signed_in(token), policy_id=policy_id)
        return state, routing.waits_unrouted(units, state)

    state, unrouted = await run_in_threadpool(read)
    return code_view(env.policies.find(policy_id), state, unrouted=unrouted)


@router.get("/codes/{policy_id}/token", summary="A fresh short-lived token for the QR code")
async def get_token(
    policy_id: PolicyId, token: TokenDep, units: UnitsDep, env: EnvDep, response: Response
) -> TokenView:
    _, shown = await run_in_threadpool(
        code_page.display, units, env, token=signed_in(token), policy_id=policy_id
    )
    response.headers.update(NO_STORE)
    return TokenView(
        token=shown.token,
        colour=shown.claims.colour,
        issued_at=shown.claims.issued_at,
        expires_at=shown.claims.expires_at,
        refresh_in=shown.refresh_in,
    )


@router.get(
    "/codes/{policy_id}/attestation",
    summary="A colour attestation for the phone's key: the phone makes the QR codes itself",
)
async def get_attestation(
    policy_id: PolicyId,
    device_key: Annotated[str, Query(max_length=64, description="compressed P-256, base64url")],
    token: TokenDep,
    units: UnitsDep,
    env: EnvDep,
    response: Response,
) -> AttestationView:
    """A GET, so the code page's script can ask with its sign-in cookie; it changes
    nothing, and another site cannot read the answer."""
    attested = await run_in_threadpool(
        code_page.attest,
        units,
        env,
        token=signed_in(token),
        policy_id=policy_id,
        device_key=_base64url(device_key, "device_key"),
    )
    claims = attested.claims
    response.headers.update(NO_STORE)
    return AttestationView(
        attestation=base64.urlsafe_b64encode(attested.attestation).rstrip(b"=").decode(),
        colour=claims.colour,
        colour_label=translate(
            code_view(env.policies.find(policy_id), attested.state).colour_label
        ),
        issued_at=claims.issued_at,
        expires_at=claims.expires_at,
        expires_epoch=int(claims.expires_at.timestamp()),
        server_ms=int(env.clock.now().timestamp() * 1000),
        present_every=env.settings.presentation_seconds,
    )


def _base64url(text: str, field: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise InvalidInput(FieldError(field, "invalid", N_("Not base64url"))) from None


@router.get(
    "/codes/{policy_id}/watch",
    summary="Server-sent events: one `colour` event when the stored colour changes",
    responses={200: {"content": {"text/event-stream": {}}}},
)
async def watch_colour(
    request: Request,
    policy_id: PolicyId,
    colour: Annotated[Colour, Query(description="the colour the phone shows")],
    token: TokenDep,
    units: UnitsDep,
    env: EnvDep,
    hold: Annotated[int, Query(ge=1, le=24 * 3600, description="seconds to hold")] = 3600,
) -> StreamingResponse:
    """Held open up to ``hold`` seconds (the phone's attestation lifetime, at most the
    configured maximum): one request an hour tells the phone of a change within
    seconds. Ends with ``event: colour`` on a change or ``event: renew`` at the end;
    without a word once the session no longer admits (signed out, the account
    disabled): each tick reads the session with the colour."""
    read = partial(
        code_page.watched_colour, units, env, token=signed_in(token), policy_id=policy_id
    )
    every = env.settings.colour_watch_seconds
    deadline = time.monotonic() + min(hold, env.settings.attestation_max_seconds)
    first = await run_in_threadpool(read)  # a refusal is an answer before the stream opens

    async def events() -> AsyncIterator[str]:
        yield "retry: 3600000\n\n"  # never reconnect by itself: the page decides
        now, ticks = first, 0
        while now is colour:
            ticks += 1
            if ticks * every >= 25:  # a comment now and then keeps proxies from closing it
                ticks = 0
                yield ": still\n\n"
            await asyncio.sleep(every)
            if time.monotonic() >= deadline:
                yield "event: renew\ndata: \n\n"
                return
            if await request.is_disconnected():
                return
            try:
                now = await run_in_threadpool(read)
            except NotAuthenticated:
                log.info("colour_watch.ended.signed_out", path=request.url.path)
                return
        yield f"event: colour\ndata: {now.value}\n\n"

    return StreamingResponse(
        events(), media_type="text/event-stream", headers={**NO_STORE, "X-Accel-Buffering": "no"}
    )


@router.get(
    "/codes/{policy_id}/qr.{fmt}",
    summary="The QR code image of a fresh token",
    responses={200: {"content": {"image/png": {}, "image/svg+xml": {}}}},
)
async def get_qr(
    policy_id: PolicyId,
    fmt: Annotated[str, Path(pattern="^(png|svg)$")],
    token: TokenDep,
    units: UnitsDep,
    env: EnvDep,
) -> Response:
    def draw() -> Response:
        _, shown = code_page.display(units, env, token=signed_in(token), policy_id=policy_id)
        dark = QR_DARK[shown.claims.colour]
        if fmt == "png":
            return Response(
                qr_png(shown.token, dark=dark), media_type="image/png", headers=NO_STORE
            )
        return Response(
            qr_svg(shown.token, dark=dark), media_type="image/svg+xml", headers=NO_STORE
        )

    return await run_in_threadpool(draw)


@router.post("/codes/{policy_id}/reports", summary="Daily health report (每日健康上报)")
async def submit_report(
    policy_id: PolicyId, data: DailyReportInput, writer: ResidentHop
) -> CodeView:
    def work(uow: Unit, principal: Principal) -> State:
        return reports.submit_daily_report(
            uow, writer.env, resident_id=principal.resident_id, policy_id=policy_id, data=data
        )

    return code_view(writer.env.policies.find(policy_id), await writer.run(work))


@router.get("/codes/{policy_id}/history", summary="Every colour change and its reasons")
def get_history(
    policy_id: PolicyId, principal: ResidentDep, uow: UowDep, env: EnvDep
) -> list[ColourChangeView]:
    policy = env.policies.find(policy_id)
    changes = codes.list_colour_changes(
        uow, env, resident_id=principal.resident_id, policy_id=policy_id
    )
    return [colour_change_view(c, policy) for c in changes]


class VideoView(BaseModel):
    application_id: uuid.UUID
    content_type: str = Field(examples=["video/mp4"])
    size: int = Field(description="bytes")
    seconds: float
    uploaded_at: LocalTime


def _video_view(video: videos.VideoSummary) -> VideoView:
    return VideoView(**asdict(video))


@router.put(
    "/declarations/{declaration_id}/video",
    summary="Attach the optional temperature video (multipart field `video`); replaces one before",
    description="MP4, WebM or MOV, recognised by the file's content; at most 30 seconds and "
    "20 MB by default (HEALTHCODE_VIDEO_MAX_SECONDS, HEALTHCODE_VIDEO_MAX_BYTES). Refusals are "
    "422 with a field error on `video`: empty, too_large, wrong_type, unreadable, too_long.",
    responses={409: {"description": "application_decided: already signed or superseded"}},
)
def put_video(
    declaration_id: uuid.UUID,
    video: Annotated[UploadFile, File(description="the video file")],
    principal: ResidentDep,
    uow: UowDep,
    env: EnvDep,
) -> VideoView:
    kept = uploads.attach_video(
        uow, env, account_id=principal.account_id, declaration_id=declaration_id, file=video
    )
    return _video_view(kept)


@router.get(
    "/declarations/{declaration_id}/video",
    summary="My temperature video (supports Range requests)",
    response_class=Response,
    responses={200: {"content": {"video/mp4": {}}}, 206: {"description": "a byte range"}},
)
def get_video(
    declaration_id: uuid.UUID, request: Request, principal: ResidentDep, uow: UowDep, env: EnvDep
) -> Response:
    blob = videos.own_video(
        uow, env, account_id=principal.account_id, declaration_id=declaration_id
    )
    return ranges.stream(blob, request.headers.get("range"))


@router.delete(
    "/declarations/{declaration_id}/video",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete my temperature video",
)
def delete_video(
    declaration_id: uuid.UUID, principal: ResidentDep, uow: UowDep, env: EnvDep
) -> Response:
    videos.delete_own_video(
        uow, env, account_id=principal.account_id, declaration_id=declaration_id
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
