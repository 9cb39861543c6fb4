from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from warpware.accounts.auth import require_read, require_write
from warpware.accounts.domain import Principal
from warpware.connections import repository, service
from warpware.connections.schemas import ConnectionCreate, ConnectionUpdate, connection_read
from warpware.db import Database
from warpware.kit.jsonio import envelope

router = APIRouter(tags=["connections"])


def _db(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


@router.get("/connections", summary="List connections (credentials are never returned)")
def list_connections(request: Request, principal: Principal = Depends(require_read)) -> Response:
    with _db(request).reading() as session:
        rows = repository.for_account(session, principal.account_id)
    return envelope([connection_read(c) for c in rows], {"total": len(rows)})


@router.post("/connections", status_code=201, summary="Create a destination connection")
def create_connection(
    body: ConnectionCreate, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _db(request).writing() as session:
        connection = service.create(session, principal, body)
    return envelope(connection_read(connection), status_code=201)


@router.get("/connections/{connection_id}", summary="Get a connection")
def get_connection(
    connection_id: str, request: Request, principal: Principal = Depends(require_read)
) -> Response:
    with _db(request).reading() as session:
        connection = service.get(session, principal, connection_id)
    return envelope(connection_read(connection))


@router.patch("/connections/{connection_id}", summary="Edit a connection")
def update_connection(
    connection_id: str,
    body: ConnectionUpdate,
    request: Request,
    principal: Principal = Depends(require_write),
) -> Response:
    with _db(request).writing() as session:
        connection = service.update(session, principal, connection_id, body)
    return envelope(connection_read(connection))


@router.delete("/connections/{connection_id}", summary="Delete a connection")
def delete_connection(
    connection_id: str, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _db(request).writing() as session:
        service.delete(session, principal, connection_id)
    return envelope({"id": connection_id, "deleted": True})


@router.post("/connections/{connection_id}/test", summary="Call the remote once and report")
def test_connection(
    connection_id: str, request: Request, principal: Principal = Depends(require_write)
) -> Response:
    with _db(request).writing() as session:
        result = service.test_connection(session, principal, connection_id)
    return envelope(result)
