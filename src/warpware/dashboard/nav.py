"""The navigation of the base layout: (label, path, the permission needed to see the link or None).
Each entry is a page module under pages/; the page itself enforces its permission, the menu only
leaves out links that would lead to a refusal."""

from __future__ import annotations

NAV: tuple[tuple[str, str, str | None], ...] = (
    ("Orders", "/orders", None),
    ("Health", "/health", None),
    ("Connections", "/connections", None),
    ("Rules", "/rules", None),
    ("Webhooks", "/webhooks", None),
    ("Users", "/users", "users.manage"),
    ("Demo", "/demo", None),
)
