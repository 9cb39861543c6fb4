"""Users: a placeholder until its page is built (replace this module and templates/users/)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from warpware.dashboard.security import current_user
from warpware.dashboard.templating import render
from warpware.users.service import SignedIn

router = APIRouter()


@router.get("/users")
def users_page(request: Request, _user: SignedIn = Depends(current_user)) -> Response:
    return render(request, "users/index.html")
