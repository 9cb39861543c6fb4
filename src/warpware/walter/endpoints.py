"""Partner API POST /walter: 10 requests a minute per key, 503 when Walter is off for the account."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Request
from pydantic import Field, StringConstraints, ValidationError
from starlette.responses import Response

from warpware.accounts.auth import _authorize
from warpware.accounts.domain import Principal
from warpware.config import Settings
from warpware.errors import Unprocessable
from warpware.kit.jsonio import envelope
from warpware.orders.schemas import StrictModel
from warpware.walter import service

router = APIRouter(tags=["walter"])


class WalterQuery(StrictModel):
    query: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
    context: dict[str, Any] = Field(default_factory=dict)


def _parse(body: dict[str, Any]) -> WalterQuery:
    # Validated here rather than by FastAPI: its error paths drop a body field called `query` (they read
    # it as the query-string location), and the caller should hear which field was wrong.
    try:
        return WalterQuery.model_validate(body)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]) or "body", "message": str(e["msg"])}
            for e in exc.errors()
        ]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise Unprocessable(f"Validation failed: {summary}", extra={"errors": errors}) from None


def require_walter(request: Request) -> Principal:
    """A read key, counted in its own bucket of walter_rate_limit_per_minute (10) requests a minute."""
    settings: Settings = request.app.state.settings
    return _authorize(request, "read", bucket="walter", limit=settings.walter_rate_limit_per_minute)


@router.post(
    "/walter",
    summary="Ask Walter AI about your orders in plain English",
    openapi_extra={
        "requestBody": {"content": {"application/json": {"schema": WalterQuery.model_json_schema()}}}
    },
    responses={
        429: {"description": "More than 10 requests a minute"},
        503: {"description": "Walter AI is not enabled for this account"},
    },
)
def ask_walter(
    request: Request, body: dict[str, Any] = Body(...), principal: Principal = Depends(require_walter)
) -> Response:
    parsed = _parse(body)
    answer = service.ask(
        request.app.state.database,
        principal,
        parsed.query,
        parsed.context,
        settings=request.app.state.settings,
    )
    return envelope(
        {
            "response": answer.response,
            "tool_calls": answer.tool_calls,
            "client_id": principal.client_id,
            "engine": answer.engine,
        }
    )
