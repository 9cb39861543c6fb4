"""The navigation of the base layout: (label, path). Each entry is a page module under pages/."""

from __future__ import annotations

NAV: tuple[tuple[str, str], ...] = (
    ("Orders", "/orders"),
    ("Health", "/health"),
    ("Connections", "/connections"),
    ("Rules", "/rules"),
    ("Webhooks", "/webhooks"),
    ("Users", "/users"),
    ("Demo", "/demo"),
)
