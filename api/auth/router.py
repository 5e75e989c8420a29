from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from api.audit import service as audit
from api.auth import service
from api.auth.schemas import RefreshRequest, TokenPair
from api.db import DbSession
from api.errors import problem_responses
from api.permissions import Perm, Principal, require
from api.routing import UnitOfWorkRoute

router = APIRouter(prefix="/api/v1/auth", tags=["auth"], route_class=UnitOfWorkRoute)


@router.post(
    "/token",
    response_model=TokenPair,
    name="token",
    summary="Sign in (OAuth2 password flow)",
    responses=problem_responses(401, 422, 429),
    openapi_extra={"x-cmms-public": True},
)
def token(
    request: Request,
    db: DbSession,
    username: Annotated[str, Form(min_length=1, max_length=128)],
    password: Annotated[str, Form(min_length=1, max_length=1024)],
) -> TokenPair:
    """Exchange a username and password for an access token and a refresh token.

    Repeated failures lock the account for a while (429 with ``Retry-After``)."""
    return service.login(
        db,
        username=username,
        password=password,
        origin=audit.origin_of(request),
        user_agent=request.headers.get("user-agent"),
    )


@router.post(
    "/refresh",
    response_model=TokenPair,
    name="refresh",
    summary="Rotate the refresh token",
    responses=problem_responses(401, 422),
    openapi_extra={"x-cmms-public": True},
)
def refresh(request: Request, db: DbSession, body: RefreshRequest) -> TokenPair:
    """Exchange a refresh token for a new pair. The used token dies; presenting it again ends the
    whole sign-in (every token of its family)."""
    return service.refresh(db, token=body.refresh_token, origin=audit.origin_of(request))


@router.post(
    "/logout",
    status_code=204,
    name="logout",
    summary="Sign out",
    responses=problem_responses(401),
)
def logout(
    request: Request, db: DbSession, principal: Annotated[Principal, require(Perm.authenticated)]
) -> Response:
    """End this sign-in: its access token and refresh token stop working at once, on every worker."""
    service.logout(db, principal=principal, origin=audit.origin_of(request, principal.user_id))
    return Response(status_code=204)
