"""Who is signed in, what their role lets them do, and the CSRF check every POST form goes through."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.datastructures import FormData
from starlette.responses import Response

from warpware.db import Database
from warpware.users import service as users_service
from warpware.users.domain import ROLE_PERMISSIONS, SESSION_MAX_AGE, Permission, Role
from warpware.users.service import SignedIn

SESSION_COOKIE = "ww_session"
# Before sign-in there is no session to hold a CSRF token, so the sign-in form uses a cookie of its own
# (double submit): a cross-site page can post the form but cannot read or set this cookie.
SIGN_IN_CSRF_COOKIE = "ww_signin_csrf"
CSRF_FIELD = "csrf_token"


class SignInRequired(Exception):
    """No live session: the handler redirects to the sign-in page and back to `next_path` after."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageError(Exception):
    """A dashboard error shown as an HTML page with its status (403, 404, 429 …)."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def database(request: Request) -> Database:
    db: Database = request.app.state.database
    return db


def safe_next(value: str | None) -> str:
    """Only our own paths: never an absolute URL or a scheme-relative `//host` (open redirect)."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/orders"
    return value


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def current_user(request: Request) -> SignedIn:
    """The signed-in user, or a redirect to the sign-in page. Also slides the session's idle expiry."""
    token = request.cookies.get(SESSION_COOKIE)
    db = database(request)
    with db.reading() as session:
        user = users_service.resolve_session(session, token)
    if user is None or token is None:
        raise SignInRequired(_here(request) if request.method == "GET" else "/orders")
    if user.needs_touch:
        with db.writing() as session:
            users_service.touch_session(session, token)
    request.state.user = user
    return user


def require_permission(permission: Permission) -> Callable[..., SignedIn]:
    """Dependency: the signed-in user if their role grants `permission`, else a 403 page."""

    def dependency(user: SignedIn = Depends(current_user)) -> SignedIn:
        if not user.can(permission):
            raise PageError(
                403,
                f"Your role ({user.role}) cannot do this. Ask an admin of your account if you need to.",
            )
        return user

    return dependency


_ROLE_ORDER = (Role.VIEWER, Role.OPERATOR, Role.ADMIN)


def require_role(minimum: Role) -> Callable[..., SignedIn]:
    """Dependency: the signed-in user if their role is `minimum` or above (viewer < operator < admin)."""

    def dependency(user: SignedIn = Depends(current_user)) -> SignedIn:
        if Role(user.role) not in _ROLE_ORDER[_ROLE_ORDER.index(minimum) :]:
            raise PageError(403, f"This needs the {minimum.value} role; yours is {user.role}.")
        return user

    return dependency


def check_csrf(submitted: object, expected: str) -> None:
    if not isinstance(submitted, str) or not expected or not hmac.compare_digest(submitted, expected):
        raise PageError(
            403,
            "This form could not be verified (its security token is missing or out of date). "
            "Go back, reload the page and submit it again.",
        )


async def csrf_form(request: Request, user: SignedIn = Depends(current_user)) -> FormData:
    """Dependency for every POST: the parsed form, once its CSRF token matches the session's."""
    form = await request.form()
    check_csrf(form.get(CSRF_FIELD), user.csrf_token)
    return form


@dataclass(frozen=True)
class Acting:
    """A verified POST by a user allowed to make it: who, and the form they sent."""

    user: SignedIn
    form: FormData

    @property
    def actor(self) -> str:
        return self.user.actor

    def field(self, name: str, default: str = "") -> str:
        value = self.form.get(name)
        return value.strip() if isinstance(value, str) else default


def acting(permission: Permission) -> Callable[..., Awaitable[Acting]]:
    """Dependency for a POST action: CSRF checked first, then the role (both answer 403)."""

    async def dependency(
        form: FormData = Depends(csrf_form), user: SignedIn = Depends(current_user)
    ) -> Acting:
        if not user.can(permission):
            raise PageError(
                403,
                f"Your role ({user.role}) cannot do this. Ask an admin of your account if you need to.",
            )
        return Acting(user=user, form=form)

    return dependency


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
        max_age=int(SESSION_MAX_AGE.total_seconds()),
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def sign_in_csrf(request: Request) -> str:
    """The sign-in form's token: the cookie's value if it has one, else a new one (set by the page)."""
    current = request.cookies.get(SIGN_IN_CSRF_COOKIE)
    return current if current and len(current) <= 100 else secrets.token_urlsafe(32)


def set_sign_in_csrf_cookie(request: Request, response: Response, token: str) -> None:
    response.set_cookie(
        SIGN_IN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/sign-in",
    )


def sign_in_url(next_path: str) -> str:
    return "/sign-in" if next_path in ("", "/", "/orders") else f"/sign-in?next={quote(next_path, safe='')}"


__all__ = ["ROLE_PERMISSIONS", "Permission", "Role", "SignedIn"]
