"""Version 1 of the JSON API."""

from fastapi import APIRouter

from healthcode.api.v1 import accounts as auth
from healthcode.api.v1 import organisations as issuer
from healthcode.api.v1 import residents as codes
from healthcode.api.v1 import scanning as public

router = APIRouter()
router.include_router(auth.router)
router.include_router(codes.router)
router.include_router(public.router)
router.include_router(issuer.router)


@router.get("/health", tags=["ops"], summary="Liveness probe (also the benchmark baseline)")
async def health() -> dict[str, str]:
    return {"status": "ok"}
