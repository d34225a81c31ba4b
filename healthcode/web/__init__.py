"""The web front end: server-rendered mobile pages (H5) over the same services as
the JSON API, with static files served by us (no CDN) and CSRF protection."""

from __future__ import annotations

from fastapi import FastAPI

from healthcode.crypto import derive
from healthcode.web.csrf import CsrfMiddleware
from healthcode.web.errorpages import error_page
from healthcode.web.pages.accounts import login, passwords, staff
from healthcode.web.pages.appeals import officer as appeal_officer
from healthcode.web.pages.appeals import resident as appeals
from healthcode.web.pages.codes import code
from healthcode.web.pages.fraud import cases as fraud_cases
from healthcode.web.pages.notices import centre as notices_centre
from healthcode.web.pages.organisations import board, paper, review, roster, signalling
from healthcode.web.pages.organisations import calls as staff_calls
from healthcode.web.pages.organisations import counter as org_counter
from healthcode.web.pages.organisations import overrides as org_overrides
from healthcode.web.pages.organisations import staff as organisations
from healthcode.web.pages.records import imports as record_imports
from healthcode.web.pages.records import tracing as record_tracing
from healthcode.web.pages.residents import calls as resident_calls
from healthcode.web.pages.residents import daily_report, declare, family, home, video
from healthcode.web.pages.scanning import check_in, scanner, venue_code
from healthcode.web.pages.scanning import scan as scanning_scan
from healthcode.web.pages.scanning import scan_here as resident_scan
from healthcode.web.pages.scanning import venues as scanning_venues
from healthcode.web.pages.shared import installable, misc
from healthcode.web.pages.support import help as support_help
from healthcode.web.static_files import PREFIX, static_app

__all__ = ["error_page", "install"]


def install(app: FastAPI, *, secret: bytes) -> None:
    """Mount the pages and static files; add CSRF checks for every page request,
    with tokens keyed by a key derived from the master ``secret``."""
    pages = (
        login,
        home,
        declare,
        code,
        family,
        daily_report,
        video,
        notices_centre,
        resident_scan,
        check_in,
        appeals,
    )
    shared = (support_help, misc, installable)
    staff_pages = (
        staff,
        passwords,
        roster,
        board,
        organisations,
        review,
        paper,
        org_overrides,
        org_counter,
        record_imports,
        record_tracing,
        appeal_officer,
        fraud_cases,
    )
    scanning = (scanning_venues, scanning_scan, venue_code, scanner)
    for module in (*pages, *shared, *staff_pages, *scanning):
        app.include_router(module.router)
    for module in (staff_calls, resident_calls, signalling):  # video calls (视频通话)
        app.include_router(module.router)
    app.mount(PREFIX, static_app(), name="static")
    app.add_middleware(CsrfMiddleware, refuse=error_page, key=derive(secret, "healthcode/csrf/v1"))
