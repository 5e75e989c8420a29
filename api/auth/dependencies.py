"""Authentication of a request: bearer JWT → session row (not revoked) → active user → Principal."""

from __future__ import annotations

from fastapi import Request

from api.auth import service as auth_service
from api.db import request_session
from api.errors import Unauthorized
from api.permissions import Principal


def current_principal(request: Request, token: str | None) -> Principal:
    """``token`` is the bearer token the OAuth2 scheme parsed from the Authorization header."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    if not token:
        raise Unauthorized("Sign in first: send 'Authorization: Bearer <access token>'.")
    principal = auth_service.principal_for_token(request_session(request), token)
    if principal is None:
        raise Unauthorized("The access token is invalid, expired or revoked.")
    request.state.principal = principal
    return principal
