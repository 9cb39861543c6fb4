from __future__ import annotations

from fastapi import APIRouter, Depends
from starlette.responses import Response

from warpware import API_VERSION
from warpware.accounts.auth import require_read
from warpware.accounts.domain import Principal
from warpware.kit.jsonio import envelope

router = APIRouter(tags=["system"])


@router.get("/version", summary="Current Partner API version and channel")
def get_version(_principal: Principal = Depends(require_read)) -> Response:
    return envelope(
        {
            "version": API_VERSION,
            "stable": True,
            "channel": "v1",
            "note": "v1 is the current stable channel. Breaking changes will be announced and versioned.",
        }
    )
