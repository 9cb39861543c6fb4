"""Users: the people of the account, for its admins. Add a user (an initial password set by the admin,
or generated and shown once), change a role, deactivate (their sessions end at once) or reactivate.

The account always keeps an active admin: a change that would leave none is refused with a message.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from warpware.dashboard.security import Acting, acting, database, require_permission
from warpware.dashboard.templating import redirect, render
from warpware.errors import Conflict, Unprocessable
from warpware.users import service as users_service
from warpware.users.domain import MIN_PASSWORD_LENGTH, ROLE_DESCRIPTIONS, Permission, Role
from warpware.users.service import SignedIn

router = APIRouter()
ROLES = [role.value for role in (Role.VIEWER, Role.OPERATOR, Role.ADMIN)]


def _index(
    request: Request,
    user: SignedIn,
    *,
    values: dict[str, str] | None = None,
    error: str = "",
    status_code: int = 200,
) -> Response:
    with database(request).reading() as session:
        users = users_service.users_of(session, user.principal)
    return render(
        request,
        "users/index.html",
        {
            "users": users,
            "roles": ROLES,
            "role_descriptions": {r.value: d for r, d in ROLE_DESCRIPTIONS.items()},
            "values": values or {"email": "", "name": "", "role": Role.OPERATOR.value},
            "error": error,
            "min_password": MIN_PASSWORD_LENGTH,
        },
        status_code=status_code,
    )


@router.get("/users")
def users_page(
    request: Request, user: SignedIn = Depends(require_permission(Permission.MANAGE_USERS))
) -> Response:
    return _index(request, user)


@router.post("/users")
def add_user(request: Request, act: Acting = Depends(acting(Permission.MANAGE_USERS))) -> Response:
    values = {"email": act.field("email"), "name": act.field("name"), "role": act.field("role")}
    typed = act.form.get("password")
    password = typed if isinstance(typed, str) and typed else users_service.new_password()
    generated = not (isinstance(typed, str) and typed)
    try:
        with database(request).writing() as session:
            created = users_service.create_user(
                session,
                account_slug=act.user.principal.account_slug,
                email=values["email"],
                password=password,
                role=values["role"],
                name=values["name"],
            )
            email, role = created.email, created.role
    except (Unprocessable, Conflict) as exc:
        return _index(request, act.user, values=values, error=exc.detail, status_code=422)
    if not generated:
        return redirect("/users", message=f"User {email} added as {role}, with the password you set.")
    # The generated password is rendered straight from the POST: it is shown here and never again.
    return render(
        request,
        "users/password_created.html",
        {"email": email, "role": role, "password": password},
        status_code=201,
    )


@router.post("/users/{user_id}/role")
def change_role(
    user_id: str, request: Request, act: Acting = Depends(acting(Permission.MANAGE_USERS))
) -> Response:
    try:
        with database(request).writing() as session:
            changed = users_service.change_role(session, act.user.principal, user_id, act.field("role"))
            email, role = changed.email, changed.role
    except Unprocessable as exc:
        return redirect("/users", message=exc.detail, kind="error")
    return redirect("/users", message=f"{email} is now {role}.")


@router.post("/users/{user_id}/deactivate")
def deactivate(
    user_id: str, request: Request, act: Acting = Depends(acting(Permission.MANAGE_USERS))
) -> Response:
    return _set_active(request, act, user_id, active=False)


@router.post("/users/{user_id}/reactivate")
def reactivate(
    user_id: str, request: Request, act: Acting = Depends(acting(Permission.MANAGE_USERS))
) -> Response:
    return _set_active(request, act, user_id, active=True)


def _set_active(request: Request, act: Acting, user_id: str, *, active: bool) -> Response:
    try:
        with database(request).writing() as session:
            changed = users_service.set_active(
                session, act.user.principal, user_id, active=active, by_user_id=act.user.user_id
            )
            email = changed.email
    except Unprocessable as exc:
        return redirect("/users", message=exc.detail, kind="error")
    if active:
        return redirect("/users", message=f"{email} can sign in again.")
    return redirect("/users", message=f"{email} is deactivated and signed out everywhere.")
