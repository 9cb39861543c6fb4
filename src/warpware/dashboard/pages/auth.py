"""Sign in, sign out, and / (which lands on the orders list)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.responses import RedirectResponse, Response

from warpware.dashboard.security import (
    CSRF_FIELD,
    SESSION_COOKIE,
    SIGN_IN_CSRF_COOKIE,
    check_csrf,
    clear_session_cookie,
    csrf_form,
    current_user,
    database,
    safe_next,
    set_session_cookie,
    set_sign_in_csrf_cookie,
    sign_in_csrf,
)
from warpware.dashboard.templating import redirect, render
from warpware.errors import TooManyRequests
from warpware.users import service as users_service
from warpware.users.service import SignedIn

router = APIRouter()


@router.get("/")
def home(_user: SignedIn = Depends(current_user)) -> Response:
    return RedirectResponse("/orders", status_code=303)


def _sign_in_page(
    request: Request,
    *,
    next_path: str,
    email: str = "",
    account: str = "",
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    token = sign_in_csrf(request)
    response = render(
        request,
        "auth/sign_in.html",
        {"next": next_path, "email": email, "account": account, "error": error, "signin_csrf": token},
        status_code=status_code,
    )
    set_sign_in_csrf_cookie(request, response, token)
    return response


@router.get("/sign-in")
def sign_in_form(request: Request, next: str | None = None) -> Response:
    with database(request).reading() as session:
        signed_in = users_service.resolve_session(session, request.cookies.get(SESSION_COOKIE))
    if signed_in is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _sign_in_page(request, next_path=safe_next(next))


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post("/sign-in")
async def sign_in(request: Request) -> Response:
    form = await request.form()
    check_csrf(form.get(CSRF_FIELD), request.cookies.get(SIGN_IN_CSRF_COOKIE, ""))
    # Password hashing is CPU work and the session is a database write: off the event loop.
    return await run_in_threadpool(_sign_in, request, form)


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _sign_in(request: Request, form: FormData) -> Response:
    email = _text(form, "email").strip()
    password = _text(form, "password")
    account = _text(form, "account").strip()
    next_path = safe_next(_text(form, "next"))
    if not email or not password:
        return _sign_in_page(
            request,
            next_path=next_path,
            email=email,
            account=account,
            error="Enter your email and password.",
            status_code=400,
        )
    try:
        with database(request).writing() as session:
            attempt = users_service.check_credentials(
                session, email=email, password=password, ip=_client_ip(request), account_slug=account or None
            )
            started = users_service.start_session(session, attempt.user) if attempt.user else None
    except TooManyRequests as exc:
        return _sign_in_page(
            request, next_path=next_path, email=email, account=account, error=exc.detail, status_code=429
        )
    if started is None:
        return _sign_in_page(
            request,
            next_path=next_path,
            email=email,
            account=account,
            error=attempt.error or "Wrong email or password",
            status_code=401,
        )
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(request, response, started.token)
    response.delete_cookie(SIGN_IN_CSRF_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
def sign_out(request: Request, _form: FormData = Depends(csrf_form)) -> Response:
    with database(request).writing() as session:
        users_service.end_session(session, request.cookies.get(SESSION_COOKIE))
    response = redirect("/sign-in", message="You are signed out.", kind="info")
    clear_session_cookie(response)
    return response
