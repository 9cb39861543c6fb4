"""The `order.inject_labels` job: pass an order's pending labels to its destination after the push."""

from __future__ import annotations

import uuid
from typing import Any, cast

from warpware.connections import service as connections_service
from warpware.connections.models import Connection
from warpware.connectors.base import ConnectorError, Label, LabelSink, RetryableConnectorError
from warpware.kit.clock import utcnow
from warpware.labels import repository
from warpware.labels.models import OrderLabel
from warpware.labels.service import COMPONENT, INJECT_JOB
from warpware.orders import repository as orders_repository
from warpware.orders import service as orders_service
from warpware.orders.domain import OrderStatus
from warpware.worker import JobContext, RetryLater, job_handler


def _label(label: OrderLabel) -> Label:
    return Label(
        label_id=str(label.id),
        tracking_number=label.tracking_number,
        carrier=label.carrier,
        label_url=label.label_url,
        label_format=label.label_format,
    )


def _record(
    ctx: JobContext,
    order_id: uuid.UUID,
    connection: Connection,
    outcomes: dict[uuid.UUID, str | None],
    *,
    finish: bool,
) -> None:
    """Mark injected labels passed (None) or note the error, with one timeline entry per label."""
    with ctx.finishing() if finish else ctx.database.writing() as session:
        order = orders_repository.get_order_unscoped(session, order_id)
        if order is None:
            return
        now = utcnow()
        for label in repository.for_order(session, order_id):
            if label.id not in outcomes or label.passed_to_extensiv:
                continue
            error = outcomes[label.id]
            if error is None:
                label.passed_to_extensiv, label.passed_to_extensiv_at, label.last_error = True, now, None
                orders_service.record_event(
                    session,
                    order,
                    source="push",
                    type="label_injected",
                    component=COMPONENT,
                    now=now,
                    message=f"Label {label.tracking_number} injected into {connection.name}",
                    details={"label_id": str(label.id), "connection_id": str(connection.id)},
                )
            else:
                label.last_error = error[:2000]
                orders_service.record_event(
                    session,
                    order,
                    source="push",
                    type="label_injection_failed",
                    component=COMPONENT,
                    now=now,
                    message=f"Label {label.tracking_number} not injected into {connection.name}: {error}",
                    details={"label_id": str(label.id), "connection_id": str(connection.id)},
                )


@job_handler(INJECT_JOB)
def inject_labels_job(payload: dict[str, Any], ctx: JobContext) -> None:
    """Idempotent: labels already passed are not sent again, and sending one twice only replaces it."""
    order_id = uuid.UUID(str(payload["order_id"]))
    with ctx.database.reading() as session:
        order = orders_repository.get_order_unscoped(session, order_id)
        if (
            order is None
            or order.destination_order_id is None
            or order.connection_id is None
            or order.status != OrderStatus.PROCESSING.value
        ):
            return
        connection = session.get(Connection, order.connection_id)
        pending = repository.pending_injection(session, order_id)
        remote_id = order.destination_order_id
    if connection is None or not pending:
        return
    destination = connections_service.destination_for(connection)
    attach = getattr(destination, "attach_label", None)
    if attach is None:
        reason = f"{connection.type} destinations do not accept labels"
        _record(ctx, order_id, connection, {label.id: reason for label in pending}, finish=True)
        return
    sink = cast(LabelSink, destination)  # it has attach_label: Extensiv and the sandbox
    outcomes: dict[uuid.UUID, str | None] = {}
    # The connector is shared per process (connections.service): it is not ours to close.
    for label in pending:
        try:
            sink.attach_label(remote_id, _label(label))
        except RetryableConnectorError as exc:
            if ctx.attempt < ctx.max_attempts:
                _record(ctx, order_id, connection, outcomes, finish=False)
                raise RetryLater(exc.retry_after, exc.message) from exc
            outcomes[label.id] = f"{exc.category}: {exc.message}"
        except ConnectorError as exc:
            outcomes[label.id] = f"{exc.category}: {exc.message}"
        else:
            outcomes[label.id] = None
    _record(ctx, order_id, connection, outcomes, finish=True)
