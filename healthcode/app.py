"""The composition root: the one module at the edge that wires the store, the services
and both front ends (the JSON API and the web pages) into one application.

Nothing imports this module but the entry points (``healthcode serve``, uvicorn's
``healthcode.app:create_app``, the tests and the benchmark); ``api/`` and ``web/`` do
not know about each other and share only ``http/``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.middleware.gzip import GZipMiddleware

from healthcode import heap, web
from healthcode.api.v1 import router as v1_router
from healthcode.config import Settings
from healthcode.domain.clock import Clock, SystemClock
from healthcode.http import errors
from healthcode.http.cookies import SecureCookiesMiddleware
from healthcode.http.fairshare import FairShareMiddleware
from healthcode.http.idempotency import IdempotencyMiddleware
from healthcode.http.middleware import EdgeMiddleware, Upload
from healthcode.http.scan_views import MAX_BATCH_BYTES
from healthcode.http.shedding import SheddingMiddleware
from healthcode.jobs.scheduler import start_scheduler
from healthcode.logs import configure_logging
from healthcode.services.codes import colour_cache
from healthcode.services.organisations.checkins import MAX_ENTRIES
from healthcode.services.organisations.roster_files import MAX_BYTES as ROSTER_BYTES
from healthcode.services.records.imports import MAX_BYTES as RECORDS_MAX_BYTES
from healthcode.services.shared.env import OtpSender, make_env
from healthcode.services.shared.keys import ensure_signing_key
from healthcode.services.shared.lists import ensure_list_key
from healthcode.services.shared.ratelimit import Budgets
from healthcode.services.shared.startup import check_start
from healthcode.store.db import SessionFactory, make_engine, read_sessions, session_factory
from healthcode.store.uow import UnitOfWorkFactory

# Paths that take a file, and how large a body each allows (beyond the file's own
# limit, so that a file a little too large is told why by the service).
_UUID = "[0-9a-fA-F-]{36}"
UPLOADS = (
    Upload(f"/api/v1/employers/{_UUID}/roster/imports", 2 * ROSTER_BYTES, ROSTER_BYTES),
    Upload(f"/staff/employers/{_UUID}/roster", 2 * ROSTER_BYTES, ROSTER_BYTES),
    Upload("/api/v1/records/imports", RECORDS_MAX_BYTES, RECORDS_MAX_BYTES),
    Upload("/staff/records/imports", RECORDS_MAX_BYTES, RECORDS_MAX_BYTES),
    # an entrance's list of up to MAX_ENTRIES readings (~80 bytes each as JSON): the
    # small limit refused anything over ~880 of the 1,000 the API promises
    Upload(f"/api/v1/employers/{_UUID}/checkins", 200 * MAX_ENTRIES),
    # an offline scanner's batch of up to MAX_BATCH scans, a code's text each (a few
    # hundred characters, at most a QR code's 4,296): the 64 KiB limit refused any
    # queue over ~150 scans with a 413, and the scanner's queue waited behind it
    Upload(f"/api/v1/venues/{_UUID}/scans/batch", MAX_BATCH_BYTES),
    Upload("/staff/scanner/scans", MAX_BATCH_BYTES),
)
VIDEO_UPLOADS = (f"/api/v1/declarations/{_UUID}/video", f"/declarations/{_UUID}/video")
APPEAL_UPLOADS = (  # optional evidence; a guardian's for a family member too
    "/api/v1/appeals",
    "/codes/[a-z0-9-]{1,32}/appeal",
    f"/api/v1/dependants/{_UUID}/appeals",
    f"/family/{_UUID}/codes/[a-z0-9-]{{1,32}}/appeal",
)

API_DESCRIPTION = """
Residents declare, pledge and confirm; the platform answers with a red, yellow or
green code under the Binzhou health code (seed 003) or the Shandong electronic
health pass (seed 000). Codes are COSE-signed tokens any scanner can verify offline
with the trust list at `/api/v1/trust-list`.

Errors: `{"error": {"code", "message", "fields": [{"field", "code", "message"}]}}`,
messages in the request's language (`?lang=en`, the `lang` cookie or
Accept-Language; Simplified Chinese by default).

Retries: a write (POST, PUT, PATCH) may carry an `Idempotency-Key` header (1–255
printable ASCII characters, new for each write). A retry with the same key, from
the same session, to the same path, is answered with the first reply
(`Idempotent-Replayed: true`) and never writes twice; the same key with another
body is a 422 `idempotency_key_reused`; a retry while the first is still running
waits a few seconds for its reply, else gets a 409 `idempotency_in_progress`.
Keys are kept for 24 hours.
A database outage is a 503 `service_unavailable` with `Retry-After`.
"""


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    sessions: SessionFactory | None = None,
    otp_sender: OtpSender | None = None,
) -> FastAPI:
    settings = settings or Settings()
    configure_logging(json=settings.log_json)
    if sessions is None:
        sessions = session_factory(make_engine(settings.database_url, pgbouncer=settings.pgbouncer))
    env = make_env(settings, clock or SystemClock(), otp_sender)

    reads = read_sessions(settings.read_database_url, pgbouncer=settings.pgbouncer)
    units = UnitOfWorkFactory(sessions, reads)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        current: UnitOfWorkFactory = app.state.uow_factory  # as wired when serving starts
        with current() as uow:
            check_start(uow, env)  # the secret key and the policy files, before any use
            ensure_signing_key(uow, env.protector, now=env.clock.now())
            ensure_list_key(uow, env.protector, now=env.clock.now())
        # this process may replace one killed between a commit and its cache forget
        colour_cache.forget_all(env)
        stop_following = colour_cache.following(current, env)  # the command line's writes
        scheduler = start_scheduler(current, env) if settings.scheduler else None
        heap.settle()
        yield
        heap.unsettle()
        stop_following()
        if scheduler is not None:
            scheduler.shutdown(wait=False)

    app = FastAPI(
        title="Health code platform",
        version="1",
        description=API_DESCRIPTION,
        docs_url=None,  # served offline by healthcode.web (vendored Swagger UI)
        redoc_url=None,
        openapi_url="/api/v1/openapi.json",
        lifespan=lifespan,
    )
    app.state.env = env
    app.state.uow_factory = units
    errors.install(app, page=web.error_page)
    app.include_router(v1_router, prefix="/api/v1")
    app.add_middleware(IdempotencyMiddleware, page=web.error_page)  # inside CSRF and gzip
    web.install(app, secret=settings.secret)
    app.add_middleware(GZipMiddleware, minimum_size=500)
    # room for a video somewhat over the limit, so that it is refused with a field error
    videos = 4 * settings.video_max_bytes + 1024 * 1024
    evidence = 2 * settings.appeal_evidence_max_bytes + 1024 * 1024
    uploads = (
        *UPLOADS,
        *(Upload(path, videos, settings.video_max_bytes) for path in VIDEO_UPLOADS),
        *(Upload(path, evidence, settings.appeal_evidence_max_bytes) for path in APPEAL_UPLOADS),
    )
    _protect(app, settings)
    app.add_middleware(
        EdgeMiddleware, max_body=settings.max_body_bytes, uploads=uploads, page=web.error_page
    )
    app.add_middleware(SecureCookiesMiddleware)
    return app


def _protect(app: FastAPI, settings: Settings) -> None:
    """Load shedding inside fair share (docs/surge.md): a client's excess is refused
    before it can wait for a place; both answer before any other work."""
    if settings.load_shedding:
        app.add_middleware(
            SheddingMiddleware,
            max_in_flight=settings.max_in_flight,
            max_queue=settings.max_queue,
            wait_seconds=settings.queue_wait_seconds,
            retry_after=settings.shed_retry_after,
            page=web.error_page,
        )
    app.add_middleware(
        FairShareMiddleware,
        budgets=Budgets(
            settings.redis_url,
            enabled=settings.rate_limits,
            timeout=settings.redis_timeout_seconds,
        ),
        session_limits=settings.session_limits,
        address_limits=settings.address_limits,
        in_flight=settings.session_in_flight,
        watches=settings.session_watches,
        page=web.error_page,
    )
