"""Rendering pages: one Jinja2 environment over templates/, the base layout's context, flash messages."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from warpware.dashboard.nav import NAV
from warpware.users.domain import Permission

TEMPLATES = Path(__file__).parent / "templates"
FLASH_COOKIE = "ww_flash"

environment = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    # Scripts and styles only from our own static files: no inline script runs even if one slipped in.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


def _flashes(request: Request) -> list[dict[str, str]]:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return []
    try:
        data = json.loads(unquote(raw))
    except ValueError:
        return []
    if not isinstance(data, list):
        return []
    return [
        {"kind": str(d.get("kind", "info")), "message": str(d.get("message", ""))}
        for d in data[:5]
        if isinstance(d, dict)
    ]


def render(
    request: Request, template: str, context: dict[str, Any] | None = None, *, status_code: int = 200
) -> HTMLResponse:
    """Render `template` inside the base layout. The context always has `user` (None when signed out),
    `csrf_token`, `nav`, `current_path`, `flashes` and `can(permission)`."""
    user = getattr(request.state, "user", None)
    flashes = _flashes(request)
    values: dict[str, Any] = {
        "request": request,
        "user": user,
        "csrf_token": user.csrf_token if user is not None else "",
        "nav": NAV,
        "current_path": request.url.path,
        "flashes": flashes,
        "can": (lambda permission: user is not None and user.can(Permission(permission))),
        **(context or {}),
    }
    body = environment.get_template(template).render(values)
    response = HTMLResponse(body, status_code=status_code, headers=SECURITY_HEADERS)
    if flashes:
        response.delete_cookie(FLASH_COOKIE, path="/")
    return response


def flash(response: Response, message: str, kind: str = "success") -> None:
    """Show `message` once on the next page rendered (kind: success, error, info)."""
    value = quote(json.dumps([{"kind": kind, "message": message[:500]}]), safe="")
    response.set_cookie(FLASH_COOKIE, value, httponly=True, samesite="lax", path="/", max_age=60)


def redirect(url: str, *, message: str | None = None, kind: str = "success") -> RedirectResponse:
    """303 See Other after a POST, optionally with a flash message for the page it lands on."""
    response = RedirectResponse(url, status_code=303)
    if message:
        flash(response, message, kind)
    return response
