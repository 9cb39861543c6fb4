"""Orders: the list with status tabs, search, filters and keyset pages; the order detail with its actions."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from warpware.connections import repository as connections_repository
from warpware.connections import service as connections_service
from warpware.dashboard.security import current_user, database
from warpware.dashboard.templating import render
from warpware.errors import BadRequest, NotFound
from warpware.kit.ids import parse_uuid
from warpware.kit.pagination import decode_cursor, encode_cursor, parse_timestamp
from warpware.labels import service as labels_service
from warpware.orders import service as orders_service
from warpware.orders.domain import OrderStatus, allowed_actions, tracking_url
from warpware.orders.schemas import OrderFilters
from warpware.users.domain import Permission
from warpware.users.service import SignedIn

router = APIRouter()

PER_PAGE = 50
TIMELINE_LIMIT = 200
KNOWN_SOURCES = ("api", "shopify", "woocommerce", "edi", "email", "csv", "file", "shipstation")


@dataclass(frozen=True)
class Tab:
    key: str
    label: str
    statuses: tuple[str, ...] | None  # None: every status
    archived: bool = False


TABS = (
    Tab("all", "All", None),
    Tab("pending", "Pending", ("pending",)),
    Tab("ready", "Ready", ("ready",)),
    Tab("processing", "Sent", ("processing",)),
    Tab("shipped", "Shipped", ("shipped",)),
    Tab("delivered", "Delivered", ("delivered",)),
    Tab("hold", "Held", ("hold",)),
    Tab("failed", "Failed", ("failed",)),
    Tab("cancelled", "Cancelled", ("cancelled",)),
    Tab("archived", "Archived", None, archived=True),
)
TAB_BY_KEY = {t.key: t for t in TABS}
STATUS_LABELS = {t.statuses[0]: t.label for t in TABS if t.statuses}


@router.get("/orders")
def list_orders(
    request: Request,
    status: str = "all",
    q: str = "",
    source: str = "",
    connection: str = "",
    tag: str = "",
    date_from: str = "",
    date_to: str = "",
    after: str = "",
    user: SignedIn = Depends(current_user),
) -> Response:
    tab = TAB_BY_KEY.get(status, TABS[0])
    values = {
        "q": q.strip()[:255],
        "source": source.strip()[:40],
        "connection": connection.strip(),
        "tag": tag.strip()[:100],
        "date_from": date_from.strip(),
        "date_to": date_to.strip(),
    }
    error = None
    try:
        connection_id = parse_uuid(values["connection"]) if values["connection"] else None
        if values["connection"] and connection_id is None:
            raise BadRequest("Unknown connection")
        filters = OrderFilters(
            search=values["q"] or None,
            source=values["source"] or None,
            connection_id=connection_id,
            tag=values["tag"] or None,
            date_from=parse_timestamp("From date", values["date_from"] or None),
            date_to=parse_timestamp("To date", values["date_to"] or None, end_of_day=True),
            archived=tab.archived,
        )
        before_seq = decode_cursor(after) if after else None
    except BadRequest as exc:
        error = exc.detail
        filters = OrderFilters(archived=tab.archived)
        before_seq = None
    principal = user.principal
    with database(request).reading() as session:
        orders, next_seq = orders_service.browse(
            session,
            principal,
            filters,
            list(tab.statuses) if tab.statuses else None,
            before_seq=before_seq,
            limit=PER_PAGE,
        )
        counts = orders_service.status_counts(
            session, principal, filters.model_copy(update={"archived": False})
        )
        connections = connections_repository.for_account(session, principal.account_id)
    tab_counts = {
        t.key: (
            counts.get("archived", 0)
            if t.archived
            else sum(n for s, n in counts.items() if s != "archived")
            if t.statuses is None
            else counts.get(t.statuses[0], 0)
        )
        for t in TABS
    }
    kept = {k: v for k, v in values.items() if v}

    def link(**changes: str) -> str:
        params = {**kept, "status": tab.key, **changes}
        return "/orders?" + urlencode(
            {k: v for k, v in params.items() if v and not (k == "status" and v == "all")}
        )

    return render(
        request,
        "orders/list.html",
        {
            "tabs": TABS,
            "tab": tab,
            "tab_counts": tab_counts,
            "tab_links": {t.key: link(status=t.key) for t in TABS},
            "orders": orders,
            "values": values,
            "error": error,
            "connections": connections,
            "connection_names": {str(c.id): c.name for c in connections},
            "sources": KNOWN_SOURCES,
            "status_labels": STATUS_LABELS,
            "next_link": link(after=encode_cursor(next_seq)) if next_seq is not None else None,
            "first_link": link() if after else None,
        },
    )


@router.get("/orders/{order_id}")
def order_detail(order_id: str, request: Request, user: SignedIn = Depends(current_user)) -> Response:
    principal = user.principal
    with database(request).reading() as session:
        # 404 for an unknown id and for another account's order alike.
        order = orders_service.get_order(session, principal, order_id)
        lines = orders_service.lines_for(session, [order])[order.id]
        events, total_events = orders_service.timeline(session, order, limit=TIMELINE_LIMIT)
        related = orders_service.related_orders(session, principal, order)
        labels = labels_service.for_order(session, order)
        try:
            connection = (
                connections_service.get(session, principal, str(order.connection_id))
                if order.connection_id
                else None
            )
        except NotFound:
            connection = None  # deleted since
    actions = allowed_actions(
        OrderStatus(order.status),
        archived=order.archived_at is not None,
        duplicate_flag=order.dedup_key is not None or order.channel_dedup_key is not None,
    )
    return render(
        request,
        "orders/detail.html",
        {
            "order": order,
            "lines": lines,
            "events": events,
            "total_events": total_events,
            "connection": connection,
            "status_labels": STATUS_LABELS,
            "address": order.shipping_address or {},
            "actions": actions if user.can(Permission.ACT_ON_ORDERS) else frozenset(),
            "tracking_url": tracking_url(order.carrier, order.tracking_number),
            "label_links": [(label, tracking_url(label.carrier, label.tracking_number)) for label in labels],
            # Who routed it: the newest `routed` event's actor ("rules", "user:<email>", "brokering" …).
            "routed_by": next((e.actor for e in events if e.type == "routed"), None),
            "parent": related.parent,
            "children": related.children,
        },
    )
