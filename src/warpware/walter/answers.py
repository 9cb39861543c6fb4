"""Plain-English answers written from a tool's result (the built-in path; a model writes its own). Pure."""

from __future__ import annotations

from typing import Any

from warpware.walter.questions import Plan

HELP = (
    'I can answer questions about your orders, for example: "How many orders failed in the last 7 days?", '
    '"What are the most common errors this week?", "Which orders are on hold and why?", '
    '"Where is order ORDER-1234?" or "How many orders shipped yesterday by carrier?"'
)
_STATUS_PHRASES = {
    "pending": "pending",
    "ready": "ready to send",
    "processing": "sent to the warehouse",
    "shipped": "shipped",
    "delivered": "delivered",
    "hold": "on hold",
    "failed": "failed",
    "cancelled": "cancelled",
}


def _orders(n: int) -> str:
    return f"{n} order" + ("" if n == 1 else "s")


def _lead(label: str) -> str:
    """'in the last 7 days' → 'In the last 7 days, ' (a sentence opener)."""
    return label[0].upper() + label[1:] + ", "


def _list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _failed(result: dict[str, Any], label: str) -> str:
    count = result["count"]
    if count == 0:
        return f"No orders failed {label}."
    text = f"{_lead(label)}{_orders(count)} failed."
    top = result["top_errors"]
    if top:
        text += f" The most common error was '{top[0]['error']}' ({_orders(top[0]['orders'])})."
    still = result["still_failed"]
    if still:
        text += f" {still} of them still {'needs' if still == 1 else 'need'} attention (status failed)."
    else:
        text += " None of them is failed now."
    return text


def _errors(result: dict[str, Any], label: str) -> str:
    errors = result["errors"]
    if not errors:
        return f"No errors {label}: no order failed to send."
    parts = [f"'{e['error']}' ({_orders(e['orders'])})" for e in errors]
    return f"The most common errors {label}: {_list(parts)}."


def _held(result: dict[str, Any]) -> str:
    count = result["count"]
    if count == 0:
        return "No orders are on hold."
    examples: dict[str, list[str]] = {}
    for order in result["orders"]:
        examples.setdefault(order["hold_reason"] or "No reason given", []).append(order["external_id"])
    parts = []
    for group in result["by_reason"]:
        ids = examples.get(group["reason"], [])
        shown = f" ({', '.join(ids[:5])}{', …' if group['orders'] > len(ids[:5]) else ''})" if ids else ""
        parts.append(f"{group['orders']} for '{group['reason']}'{shown}")
    verb = "is" if count == 1 else "are"
    return f"{_orders(count)} {verb} on hold: {_list(parts)}."


def _found(result: dict[str, Any]) -> str:
    if not result["found"]:
        return f"I could not find order {result['order']} in your account."
    order = result["order"]
    name, status = order["external_id"], order["status"]
    if status == "shipped":
        text = f"Order {name} has shipped"
        if order["carrier"] or order["tracking_number"]:
            text += f" via {order['carrier'] or 'an unknown carrier'}"
            if order["tracking_number"]:
                text += f", tracking number {order['tracking_number']}"
        if order["shipped_at"]:
            text += f" (shipped {order['shipped_at']})"
        return text + "."
    if status == "delivered":
        return f"Order {name} was delivered" + (
            f" on {order['delivered_at']}." if order["delivered_at"] else "."
        )
    if status == "hold":
        return f"Order {name} is on hold: {order['hold_reason'] or 'no reason given'}."
    if status == "failed":
        return f"Order {name} failed to send to the warehouse: {order['error_message'] or 'unknown error'}."
    if status == "processing":
        where = order["destination"] or "the warehouse"
        return f"Order {name} was sent to {where} and is awaiting fulfillment" + (
            f" (sent {order['processed_at']})." if order["processed_at"] else "."
        )
    if status == "ready":
        return f"Order {name} is routed to {order['destination'] or 'a destination'} and ready to send."
    if status == "cancelled":
        return f"Order {name} was cancelled."
    last = order["last_event"]
    return f"Order {name} is pending" + (f"; latest: {last['message']}." if last else ".")


def _shipped(result: dict[str, Any], label: str) -> str:
    total = result["total"]
    if total == 0:
        return f"No orders shipped {label}."
    parts = [f"{c['carrier']} {c['orders']}" for c in result["by_carrier"]]
    return f"{_lead(label)}{_orders(total)} shipped: {_list(parts)}."


def _counted(result: dict[str, Any], plan: Plan) -> str:
    scope = f" {plan.period.label}" if plan.period else ""
    created = " created" if plan.period else ""
    if plan.status is not None:
        n = result["count"]
        return f"{_orders(n)}{created}{scope} {'is' if n == 1 else 'are'} {_STATUS_PHRASES[plan.status]}" + (
            " now." if plan.period else "."
        )
    by_status = [f"{n} {_STATUS_PHRASES[s]}" for s, n in result["by_status"].items() if n]
    head = f"You have {_orders(result['total'])}{created}{scope}"
    return head + (f": {_list(by_status)}." if by_status else ".")


def answer(plan: Plan, result: dict[str, Any]) -> str:
    label = plan.period.label if plan.period else ""
    if plan.tool == "failed_orders":
        return _failed(result, label)
    if plan.tool == "common_errors":
        return _errors(result, label)
    if plan.tool == "held_orders":
        return _held(result)
    if plan.tool == "find_order":
        return _found(result)
    if plan.tool == "shipped_by_carrier":
        return _shipped(result, label)
    return _counted(result, plan)
