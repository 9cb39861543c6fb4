"""What an operator does to an order from its detail page.

Every action is a POST with the session's CSRF token by an operator or admin (`acting`), one service
call in one transaction, and a redirect back to the order with a flash message. The services enforce
which states allow what (orders.domain): a refusal is a flash message and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter, Depends, Request
from sqlalchemy.orm import Session
from starlette.responses import Response

from warpware.dashboard.security import Acting, acting, database
from warpware.dashboard.templating import redirect
from warpware.errors import Unprocessable
from warpware.orders import edits as orders_edits
from warpware.orders import service as orders_service
from warpware.orders.models import Order
from warpware.pipeline import service as pipeline_service
from warpware.users.domain import Permission

router = APIRouter()
OPERATOR = Depends(acting(Permission.ACT_ON_ORDERS))
MAX_LINES = 500


def _act(request: Request, order_id: str, work: Callable[[Session], tuple[Order, str]]) -> Response:
    """Run `work` in one transaction; a refusal (422) rolls it back and is shown as an error message."""
    try:
        with database(request).writing() as session:
            order, message = work(session)
    except Unprocessable as exc:
        return redirect(f"/orders/{order_id}", message=exc.detail, kind="error")
    return redirect(f"/orders/{order.id}", message=message)


# Actions that take nothing but the order: one service call (session, principal, order id, actor=) and
# the message to show; each becomes POST /orders/{order_id}/<name>.
_PLAIN_ACTIONS: dict[str, tuple[Callable[..., Order], str]] = {
    "release": (pipeline_service.release, "Order {external_id} is released."),
    "retry": (pipeline_service.retry, "Order {external_id} is queued to be sent again."),
    "reset": (pipeline_service.reset, "Order {external_id} is reset and goes through the rules again."),
    "archive": (orders_edits.archive, "Order {external_id} is archived."),
    "unarchive": (orders_edits.unarchive, "Order {external_id} is back from the archive."),
    "clear-duplicate": (
        pipeline_service.clear_duplicate_flag,
        "Duplicate flag cleared: {external_id} can be received again.",
    ),
}


def _plain_action(call: Callable[..., Order], message: str) -> Callable[..., Response]:
    def endpoint(order_id: str, request: Request, act: Acting = OPERATOR) -> Response:
        def work(session: Session) -> tuple[Order, str]:
            order = call(session, act.user.principal, order_id, actor=act.actor)
            return order, message.format(external_id=order.external_id)

        return _act(request, order_id, work)

    return endpoint


for _name, (_call, _message) in _PLAIN_ACTIONS.items():
    router.add_api_route(f"/orders/{{order_id}}/{_name}", _plain_action(_call, _message), methods=["POST"])


@router.post("/orders/{order_id}/hold")
def hold(order_id: str, request: Request, act: Acting = OPERATOR) -> Response:
    reason = act.field("reason")[:500] or None

    def work(session: Session) -> tuple[Order, str]:
        order = pipeline_service.hold_order(
            session, act.user.principal, order_id, reason=reason, actor=act.actor
        )
        return order, f"Order {order.external_id} is on hold."

    return _act(request, order_id, work)


@router.post("/orders/{order_id}/cancel")
def cancel(order_id: str, request: Request, act: Acting = OPERATOR) -> Response:
    reason = act.field("reason")[:500] or None

    def work(session: Session) -> tuple[Order, str]:
        order = orders_service.get_order(session, act.user.principal, order_id)
        if order.status == "cancelled":  # the API's cancel is idempotent; a person wants to know
            raise Unprocessable("This order is already cancelled")
        order = orders_service.cancel_order(
            session, act.user.principal, order_id, reason=reason, actor=act.actor
        )
        return order, f"Order {order.external_id} is cancelled."

    return _act(request, order_id, work)


@router.post("/orders/{order_id}/address")
def edit_address(order_id: str, request: Request, act: Acting = OPERATOR) -> Response:
    values = {name: act.field(name) for name in orders_edits.ADDRESS_FIELDS}

    def work(session: Session) -> tuple[Order, str]:
        order, changes = orders_edits.edit_address(
            session, act.user.principal, order_id, values, actor=act.actor
        )
        if not changes:
            return order, "The shipping address is unchanged."
        return order, f"Shipping address updated ({', '.join(changes)})."

    return _act(request, order_id, work)


def _line_edits(act: Acting) -> list[orders_edits.LineEdit]:
    """The edit form's rows (line-<n>-id/sku/name/quantity/price/remove) and its one blank 'new' row."""
    edits = []
    for n in range(MAX_LINES):
        prefix = f"line-{n}-"
        raw_id = act.field(prefix + "id")
        if not raw_id:
            break
        if act.field(prefix + "remove"):
            continue
        edits.append(
            orders_edits.LineEdit(
                line_id=int(raw_id) if raw_id.isdigit() else -1,
                sku=act.field(prefix + "sku"),
                name=act.field(prefix + "name"),
                quantity=act.field(prefix + "quantity"),
                price=act.field(prefix + "price"),
            )
        )
    if act.field("new-sku") or act.field("new-quantity"):
        edits.append(
            orders_edits.LineEdit(
                line_id=None,
                sku=act.field("new-sku"),
                name=act.field("new-name"),
                quantity=act.field("new-quantity") or "1",
                price=act.field("new-price"),
            )
        )
    return edits


@router.post("/orders/{order_id}/lines")
def edit_lines(order_id: str, request: Request, act: Acting = OPERATOR) -> Response:
    edits = _line_edits(act)

    def work(session: Session) -> tuple[Order, str]:
        order, changes = orders_edits.edit_lines(
            session, act.user.principal, order_id, edits, actor=act.actor
        )
        if not changes:
            return order, "The line items are unchanged."
        return order, "Line items updated."

    return _act(request, order_id, work)
