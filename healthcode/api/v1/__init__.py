"""Version 1 of the JSON API."""

from fastapi import APIRouter, Depends

from healthcode.api.v1 import (
    accounts,
    appeals,
    audit,
    authorisations,
    dependants,
    employers,
    fraud,
    notices,
    organisations,
    paper_passes,
    records,
    registry,
    residents,
    scanning,
    scans,
    sharing,
    staff,
    venues,
)
from healthcode.http.strict_input import refuse_unknown_input

# every route refuses a query parameter or a form field it does not declare (a 422
# naming it, with the request's other errors), as FastAPI would drop it without a
# word; the routes below inherit this
router = APIRouter(dependencies=[Depends(refuse_unknown_input)])
# FastAPI tries routes in order, at ~1.5 µs each: the busiest first (a gate's scan, a
# resident's code page); no route of these two shadows a later one's paths.
router.include_router(scans.router)
router.include_router(residents.router)
router.include_router(accounts.router)
router.include_router(dependants.router)
router.include_router(scanning.router)
router.include_router(organisations.router)
router.include_router(paper_passes.router)
router.include_router(staff.router)
router.include_router(employers.router)
router.include_router(registry.router)
router.include_router(authorisations.router)
router.include_router(notices.router)
router.include_router(venues.router)
router.include_router(records.router)
router.include_router(appeals.router)
router.include_router(fraud.router)
router.include_router(sharing.router)
router.include_router(audit.router)


@router.get("/health", tags=["ops"], summary="Liveness probe (also the benchmark baseline)")
async def health() -> dict[str, str]:
    return {"status": "ok"}
