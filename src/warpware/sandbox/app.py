"""The sandbox warehouse: Extensiv 3PL Warehouse Manager's REST shape, plus an admin API for tests.

API (what the Extensiv connector calls, base_url pointing here):
  POST /AuthServer/api/Token              Basic client_id:secret → Bearer token
  POST /orders                            create; 409 on a referenceNum it already holds
  GET  /orders?rql=referenceNum==X        hal+json list: {"totalResults", "_embedded": {ORDER_REL: [...]}}
  GET  /orders/{id}                       one order, with an ETag
  POST /orders/{id}/canceler              cancel (If-Match honoured when sent)
  POST /orders/{id}/labels                attach a pre-generated parcel label (201 new, 200 replaced)
Admin (never faulted): /_sandbox/faults, /_sandbox/settings, /_sandbox/orders, /_sandbox/stats,
  /_sandbox/reset, /_sandbox/tokens/revoke, /_sandbox/orders/{id}/status.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from typing import Any, Literal

from fastapi import FastAPI, Request
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.responses import Response

from warpware.sandbox.config import SandboxConfig, SandboxFaults, SandboxSettings
from warpware.sandbox.resources import admin_order_view, order_list_resource, order_resource
from warpware.sandbox.state import Label, SandboxError, SandboxState, rate_limited_error

HAL_JSON = "application/hal+json; charset=utf-8"
_BROKEN_JSON = b'{"readOnly": {"orderId": '


def _json(
    content: Any, status_code: int = 200, headers: dict[str, str] | None = None, media_type: str = HAL_JSON
) -> Response:
    return Response(json.dumps(content), status_code=status_code, headers=headers, media_type=media_type)


def _answer(
    faults: SandboxFaults,
    content: Any,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    *,
    scope: Literal["token", "create", "read"] = "read",
) -> Response:
    if faults.malformed is None or faults.malformed_scope not in ("all", scope):
        return _json(content, status_code, headers)
    if faults.malformed == "invalid_json":
        return Response(_BROKEN_JSON, status_code=status_code, headers=headers, media_type=HAL_JSON)
    return _json({"unexpected": "shape"}, status_code, headers)


async def _parse_json(request: Request) -> Any:
    raw = await request.body()
    try:
        return json.loads(raw) if raw else None
    except ValueError as exc:
        raise SandboxError(400, "InvalidJson", f"The request body is not valid JSON: {exc}") from exc


async def _gate(state: SandboxState, request: Request, *, token_endpoint: bool = False) -> SandboxFaults:
    """Apply the request-wide faults, then (outside the token endpoint) require a live Bearer token."""
    faults, limited = state.count_request(token_endpoint=token_endpoint)
    if faults.latency_ms:
        await asyncio.sleep(faults.latency_ms / 1000)
    if faults.timeout:
        await asyncio.sleep(faults.timeout_seconds)
    if faults.status_5xx:
        raise SandboxError(503, "ServiceUnavailable", "The warehouse is temporarily unavailable.")
    if faults.auth_failure:
        raise SandboxError(
            401,
            "Unauthorized",
            "Authorization has been denied for this request.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    if limited:
        raise rate_limited_error(faults)
    if not token_endpoint:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not state.token_valid(token.strip()):
            raise SandboxError(
                401,
                "Unauthorized",
                "Authorization has been denied for this request.",
                headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
            )
    return faults


def _validate_order(body: Any) -> tuple[str, list[str]]:
    """The order's referenceNum and its SKUs, or a 400 naming the first thing that is wrong."""
    if not isinstance(body, dict):
        raise SandboxError(400, "InvalidOrder", "The order must be a JSON object.")
    reference = body.get("referenceNum")
    if not isinstance(reference, str) or not reference.strip():
        raise SandboxError(400, "InvalidOrder", "referenceNum is required.")
    for identifier in ("customerIdentifier", "facilityIdentifier"):
        value = body.get(identifier)
        if not isinstance(value, dict) or not isinstance(value.get("id"), int):
            raise SandboxError(400, "InvalidOrder", f"{identifier}.id is required and must be an integer.")
    ship_to = body.get("shipTo")
    if not isinstance(ship_to, dict) or not (ship_to.get("name") or ship_to.get("companyName")):
        raise SandboxError(400, "InvalidOrder", "shipTo with a name or companyName is required.")
    items = body.get("orderItems")
    if not isinstance(items, list) or not items:
        raise SandboxError(400, "InvalidOrder", "orderItems must list at least one item.")
    skus: list[str] = []
    for index, item in enumerate(items):
        item_identifier = item.get("itemIdentifier") if isinstance(item, dict) else None
        sku = item_identifier.get("sku") if isinstance(item_identifier, dict) else None
        qty = item.get("qty") if isinstance(item, dict) else None
        if not isinstance(sku, str) or not sku:
            raise SandboxError(400, "InvalidOrder", f"orderItems[{index}].itemIdentifier.sku is required.")
        if isinstance(qty, bool) or not isinstance(qty, int | float) or qty <= 0:
            raise SandboxError(400, "InvalidOrder", f"orderItems[{index}].qty must be a positive number.")
        skus.append(sku)
    return reference, skus


def _parse_rql(rql: str | None) -> tuple[str | None, int | None]:
    reference: str | None = None
    order_id: int | None = None
    for clause in (rql or "").split(";"):
        if not clause.strip():
            continue
        name, sep, value = clause.partition("==")
        value = value.strip().strip("\"'")
        if sep and name.strip() == "referenceNum":
            reference = value
        elif sep and name.strip() == "readOnly.orderId" and value.isdigit():
            order_id = int(value)
        else:
            raise SandboxError(400, "InvalidRql", f"Unsupported rql clause: {clause}")
    return reference, order_id


class _StatusForce(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: int | str
    isClosed: bool | None = None  # noqa: N815 - Extensiv's field name


class _SettingsPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ship_delay: float | None = None
    token_ttl_seconds: int | None = None


def create_sandbox_app(config: SandboxConfig | None = None) -> FastAPI:
    state = SandboxState(config or SandboxConfig())
    app = FastAPI(
        title="WarpWare sandbox warehouse", docs_url="/_sandbox/docs", openapi_url="/_sandbox/openapi.json"
    )
    app.state.sandbox = state

    @app.exception_handler(SandboxError)
    async def sandbox_error(_: Request, exc: SandboxError) -> Response:
        return _json({"ErrorCode": exc.error_code, "Message": exc.message}, exc.status_code, exc.headers)

    @app.post("/AuthServer/api/Token")
    async def token(request: Request) -> Response:
        faults = await _gate(state, request, token_endpoint=True)
        scheme, _, encoded = request.headers.get("authorization", "").partition(" ")
        try:
            client_id, _, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            client_id, secret = "", ""
        if scheme.lower() != "basic" or not state.credentials_accepted(client_id, secret):
            raise SandboxError(401, "InvalidClient", "The client credentials are invalid.")
        body = await _parse_json(request)
        if not isinstance(body, dict) or body.get("grant_type") != "client_credentials":
            raise SandboxError(400, "UnsupportedGrantType", "grant_type must be client_credentials.")
        access_token, ttl = state.issue_token()
        return _answer(
            faults,
            {
                "access_token": access_token,
                "token_type": "Bearer",
                "expires_in": ttl,
                "refresh_token": None,
                "scope": None,
            },
            headers={"Cache-Control": "no-store"},
            scope="token",
        )

    @app.post("/orders")
    async def create_order(request: Request) -> Response:
        body = await _parse_json(request)
        if isinstance(body, dict) and isinstance(body.get("referenceNum"), str):
            state.record_attempt(body["referenceNum"])
        faults = await _gate(state, request)
        if state.count_create_call():
            raise SandboxError(500, "InternalServerError", "An unexpected error occurred.")
        reference, skus = _validate_order(body)
        prefix = faults.invalid_sku_prefix
        for sku in skus:
            if prefix and sku.startswith(prefix):
                raise SandboxError(
                    422, "InvalidItem", f"Item with SKU {sku} does not exist for this customer."
                )
        order = state.create_order(reference, body)
        return _answer(
            faults,
            order_resource(order),
            201,
            headers={"Location": f"/orders/{order.order_id}", "ETag": order.etag},
            scope="create",
        )

    @app.get("/orders")
    async def list_orders(
        request: Request, rql: str | None = None, pgsiz: int = 100, pgnum: int = 1
    ) -> Response:
        faults = await _gate(state, request)
        reference, order_id = _parse_rql(rql)
        found = sorted(state.find_orders(reference, order_id), key=lambda order: order.order_id)
        size = max(1, min(pgsiz, 1000))
        page = found[(max(pgnum, 1) - 1) * size :][:size]
        return _answer(faults, order_list_resource(page, len(found)))

    @app.get("/orders/{order_id}")
    async def get_order(request: Request, order_id: int) -> Response:
        faults = await _gate(state, request)
        order = state.read_order(order_id)
        return _answer(faults, order_resource(order), headers={"ETag": order.etag})

    @app.post("/orders/{order_id}/canceler")
    async def cancel_order(request: Request, order_id: int) -> Response:
        faults = await _gate(state, request)
        body = await _parse_json(request)
        reason = body.get("reason") if isinstance(body, dict) else None
        order = state.cancel_order(
            order_id, request.headers.get("if-match"), reason if isinstance(reason, str) else None
        )
        return _answer(faults, order_resource(order), headers={"ETag": order.etag})

    @app.post("/orders/{order_id}/labels")
    async def attach_label(request: Request, order_id: int) -> Response:
        faults = await _gate(state, request)
        body = await _parse_json(request)
        if not isinstance(body, dict) or not isinstance(body.get("labelId"), str) or not body["labelId"]:
            raise SandboxError(400, "InvalidLabel", "labelId is required.")
        text = {
            name: body.get(name) if isinstance(body.get(name), str) else None
            for name in ("trackingNumber", "carrier", "labelUrl", "labelFormat")
        }
        label = Label(
            label_id=body["labelId"],
            tracking_number=text["trackingNumber"],
            carrier=text["carrier"],
            label_url=text["labelUrl"],
            label_format=text["labelFormat"],
        )
        created = state.attach_label(order_id, label)
        return _answer(faults, {"orderId": order_id, "labelId": label.label_id}, 201 if created else 200)

    # -- admin API: no faults, no auth; it is how tests and demos steer the sandbox ------------------

    @app.get("/_sandbox/faults")
    async def get_faults() -> Response:
        return _json(state.faults.model_dump(), media_type="application/json")

    @app.put("/_sandbox/faults")
    async def put_faults(request: Request) -> Response:
        # PUT replaces: every fault not named in the body is switched off.
        try:
            faults = SandboxFaults.model_validate(await _parse_json(request) or {})
        except ValidationError as exc:
            raise SandboxError(422, "InvalidFaults", str(exc)) from exc
        with state.lock:
            state.faults = faults
        return _json(faults.model_dump(), media_type="application/json")

    @app.get("/_sandbox/settings")
    async def get_settings() -> Response:
        return _json(state.settings.model_dump(), media_type="application/json")

    @app.put("/_sandbox/settings")
    async def put_settings(request: Request) -> Response:
        # Only the fields sent change, so a test can move the ship delay without knowing the token TTL.
        try:
            patch = _SettingsPatch.model_validate(await _parse_json(request) or {})
            with state.lock:
                merged = state.settings.model_dump() | patch.model_dump(exclude_none=True)
                state.settings = SandboxSettings.model_validate(merged)
        except ValidationError as exc:
            raise SandboxError(422, "InvalidSettings", str(exc)) from exc
        return _json(state.settings.model_dump(), media_type="application/json")

    @app.get("/_sandbox/orders")
    async def admin_orders() -> Response:
        orders = state.find_orders(ship=False)
        with state.lock:
            views = [
                admin_order_view(order, state.create_attempts.get(order.reference_num, 0))
                for order in sorted(orders, key=lambda order: order.order_id)
            ]
            attempts = dict(state.create_attempts)
        return _json(
            {"count": len(views), "orders": views, "createAttempts": attempts}, media_type="application/json"
        )

    @app.get("/_sandbox/stats")
    async def admin_stats() -> Response:
        with state.lock:
            stats = {
                "apiRequests": state.api_requests,
                "tokenRequests": state.token_requests,
                "tokensIssued": state.tokens_issued,
                "createCalls": state.create_calls,
                "orders": len(state.orders),
            }
        return _json(stats, media_type="application/json")

    @app.post("/_sandbox/reset")
    async def admin_reset() -> Response:
        state.reset()
        return Response(status_code=204)

    @app.post("/_sandbox/tokens/revoke")
    async def admin_revoke() -> Response:
        return _json({"revoked": state.revoke_tokens()}, media_type="application/json")

    @app.put("/_sandbox/orders/{order_id}/status")
    async def admin_force_status(request: Request, order_id: int) -> Response:
        try:
            forced = _StatusForce.model_validate(await _parse_json(request))
        except ValidationError as exc:
            raise SandboxError(422, "InvalidStatus", str(exc)) from exc
        order = state.force_status(order_id, forced.status, forced.isClosed)
        return _json(order_resource(order))

    return app
