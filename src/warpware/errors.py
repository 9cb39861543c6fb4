"""Errors that carry their HTTP status and a human detail; one set of handlers turns them into responses."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from warpware.kit.jsonio import json_response

log = logging.getLogger("warpware")


class WarpWareError(Exception):
    status_code = 400

    def __init__(
        self,
        detail: str,
        *,
        status_code: int | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        if status_code is not None:
            self.status_code = status_code
        self.headers = headers or {}
        self.extra = extra or {}


class BadRequest(WarpWareError):
    status_code = 400


class Unauthorized(WarpWareError):
    status_code = 401


class Forbidden(WarpWareError):
    status_code = 403


class NotFound(WarpWareError):
    status_code = 404


class Conflict(WarpWareError):
    status_code = 409


class UnsupportedMediaType(WarpWareError):
    status_code = 415


class Unprocessable(WarpWareError):
    status_code = 422


class TooManyRequests(WarpWareError):
    status_code = 429


class ServiceUnavailable(WarpWareError):
    status_code = 503


def _field_path(loc: tuple[Any, ...]) -> str:
    # Only the first element says where the value came from; a body field may itself be called "query".
    parts = [str(p) for p in (loc[1:] if loc and loc[0] in ("body", "query", "path", "header") else loc)]
    return ".".join(parts) or "body"


def validation_detail(errors: Sequence[Any]) -> tuple[str, list[dict[str, str]]]:
    fields = [
        {"field": _field_path(tuple(e.get("loc", ()))), "message": str(e.get("msg", "invalid"))}
        for e in errors
    ]
    summary = "; ".join(f"{f['field']}: {f['message']}" for f in fields[:5])
    if len(fields) > 5:
        summary += f"; and {len(fields) - 5} more"
    return f"Validation failed: {summary}", fields


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(WarpWareError)
    async def _warpware_error(_request: Request, exc: WarpWareError) -> Response:
        return json_response(
            {"detail": exc.detail, **exc.extra}, status_code=exc.status_code, headers=exc.headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> Response:
        errors = list(exc.errors())
        if any(e.get("type") == "json_invalid" for e in errors):
            return json_response({"detail": "Malformed JSON in request body"}, status_code=400)
        # Decisions: bad query or path parameters are a 400, a body that fails validation is a 422.
        if errors and all(e.get("loc", ("",))[0] in ("query", "path", "header") for e in errors):
            detail, fields = validation_detail(errors)
            return json_response(
                {"detail": detail.replace("Validation failed", "Invalid parameter"), "errors": fields},
                status_code=400,
            )
        detail, fields = validation_detail(errors)
        return json_response({"detail": detail, "errors": fields}, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else "Request failed"
        if exc.status_code == 404 and detail == "Not Found":
            detail = "No such endpoint"
        return json_response(
            {"detail": detail},
            status_code=exc.status_code,
            headers=dict(exc.headers) if exc.headers else None,
        )

    @app.exception_handler(Exception)
    async def _unexpected(_request: Request, exc: Exception) -> Response:
        log.exception("unhandled error", exc_info=exc)
        return json_response({"detail": "Internal server error"}, status_code=500)
