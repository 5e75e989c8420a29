"""One error hierarchy, answered as ``application/problem+json`` (RFC 9457) everywhere."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger("cmms.errors")

PROBLEM_TYPE_BASE = "https://cmms.example/problems/"
PROBLEM_MEDIA_TYPE = "application/problem+json"


class ProblemError(BaseModel):
    loc: list[str | int]
    msg: str


class Problem(BaseModel):
    """The body of every error response."""

    type: str
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    request_id: str | None = None
    errors: list[ProblemError] | None = None
    allowed: list[str] | None = None


class AppError(Exception):
    """Base of every error the service raises on purpose."""

    status = 400
    code = "bad-request"
    title = "Bad request"
    #: commit the unit of work before answering (a failed login's counter, a revoked token family)
    keep_changes = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}


class Unauthorized(AppError):
    status, code, title = 401, "unauthorized", "Not authenticated"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        super().__init__(detail, **kw)
        self.headers.setdefault("WWW-Authenticate", "Bearer")


class InvalidCredentials(Unauthorized):
    code, title = "invalid-credentials", "Incorrect username or password"
    keep_changes = True


class TokenReuse(Unauthorized):
    code, title = "token-reused", "Refresh token already used"
    keep_changes = True


class Forbidden(AppError):
    status, code, title = 403, "forbidden", "Forbidden"


class NotFound(AppError):
    status, code, title = 404, "not-found", "Not found"


class MethodNotAllowed(AppError):
    status, code, title = 405, "method-not-allowed", "Method not allowed"


class Conflict(AppError):
    status, code, title = 409, "conflict", "Conflict"


class PreconditionFailed(AppError):
    status, code, title = 412, "precondition-failed", "Precondition failed"


class PayloadTooLarge(AppError):
    status, code, title = 413, "payload-too-large", "Payload too large"


class UnsupportedMediaType(AppError):
    status, code, title = 415, "unsupported-media-type", "Unsupported media type"


class ValidationFailed(AppError):
    status, code, title = 422, "validation-failed", "Invalid input"

    @classmethod
    def at(cls, loc: list[str | int], msg: str) -> ValidationFailed:
        """One field's problem: ``ValidationFailed.at(["body", "district_id"], "No such district.")``."""
        return cls(msg, errors=[{"loc": loc, "msg": msg}])


class PreconditionRequired(AppError):
    status, code, title = 428, "precondition-required", "Precondition required"


class TooManyRequests(AppError):
    status, code, title = 429, "too-many-requests", "Too many requests"
    keep_changes = True


class ServiceUnavailable(AppError):
    status, code, title = 503, "service-unavailable", "Service unavailable"


_STATUS_CLASSES: dict[int, type[AppError]] = {
    cls.status: cls
    for cls in (
        AppError,  # 400 bad-request
        Unauthorized,
        Forbidden,
        NotFound,
        MethodNotAllowed,
        Conflict,
        PreconditionFailed,
        PayloadTooLarge,
        UnsupportedMediaType,
        ValidationFailed,
        PreconditionRequired,
        TooManyRequests,
        ServiceUnavailable,
    )
}


def problem_response(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    extra: dict[str, Any] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": getattr(request.state, "request_id", None),
    }
    if errors is not None:
        body["errors"] = errors
    if extra:
        body.update(extra)
    headers = dict(headers or {})
    if body["request_id"]:
        # set here too: a 500 is sent by the outermost middleware, outside the request-id middleware
        headers.setdefault("X-Request-ID", body["request_id"])
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE)


def _loc(loc: tuple[Any, ...] | list[Any]) -> list[str | int]:
    return [p if isinstance(p, int) else str(p) for p in loc]


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    out = []
    for err in exc.errors():
        msg = err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            msg = "Unknown or read-only field: not accepted"
        out.append({"loc": _loc(err.get("loc", ())), "msg": msg})
    return out


async def app_error_handler(request: Request, exc: AppError) -> JSONResponse:
    return problem_response(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        errors=exc.errors,
        headers=exc.headers,
        extra=exc.extra,
    )


async def validation_handler(request: Request, exc: RequestValidationError) -> JSONResponse:
    return problem_response(
        request,
        status=422,
        code="validation-failed",
        title="Invalid input",
        detail="The request is not valid; see errors.",
        errors=_validation_errors(exc),
    )


def _allowed_methods(request: Request) -> str:
    """Every method the path answers (RFC 9110 ``Allow``): Starlette's 405 names only the methods
    of the first route whose path matched, and /cases answers GET and POST through two routes."""
    from starlette.routing import Match

    routes = request.app.router.routes
    return ", ".join(
        method
        for method in ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    )


async def http_exception_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    cls = _STATUS_CLASSES.get(exc.status_code)
    code = cls.code if cls else f"http-{exc.status_code}"
    title = cls.title if cls else "HTTP error"
    detail = exc.detail if isinstance(exc.detail, str) else title
    if exc.status_code == 404 and detail == "Not Found":
        detail = "No such resource."
    if exc.status_code == 400 and detail == "There was an error parsing the body":  # FastAPI's words
        detail = "The body could not be parsed: it is not UTF-8 JSON, or it is nested too deeply."
    headers = dict(exc.headers or {})
    if exc.status_code == 401:
        headers.setdefault("WWW-Authenticate", "Bearer")
    if exc.status_code == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    return problem_response(
        request, status=exc.status_code, code=code, title=title, detail=detail, headers=headers
    )


async def database_error_handler(request: Request, exc: SQLAlchemyError) -> JSONResponse:
    """Errors the database raises at flush or commit time, answered as what they mean."""
    if isinstance(exc, IntegrityError):
        return problem_response(
            request,
            status=409,
            code="conflict",
            title="Conflict",
            detail="The change conflicts with existing data (a duplicate or a missing reference).",
        )
    if isinstance(exc, DataError):  # a value the column cannot hold (out of range, bad encoding)
        return problem_response(
            request,
            status=422,
            code="validation-failed",
            title="Invalid input",
            detail="A value is out of range or malformed for storage.",
            errors=[],
        )
    if isinstance(exc, StaleDataError):
        return problem_response(
            request,
            status=412,
            code="precondition-failed",
            title="Precondition failed",
            detail="Someone else changed this record at the same time; reload and retry.",
        )
    if isinstance(exc, OperationalError):
        log.warning("database busy or unreachable: %s", type(exc.orig).__name__ if exc.orig else exc)
        return problem_response(
            request,
            status=503,
            code="service-unavailable",
            title="Service unavailable",
            detail="The database is busy or unreachable; retry shortly.",
            headers={"Retry-After": "2"},
        )
    return await unhandled_handler(request, exc)


async def unhandled_handler(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", extra={"request_id": getattr(request.state, "request_id", None)})
    return problem_response(
        request,
        status=500,
        code="internal-error",
        title="Internal server error",
        detail="An unexpected error occurred. Quote the request id when reporting it.",
    )


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(AppError, app_error_handler)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_handler)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_exception_handler)  # type: ignore[arg-type]
    app.add_exception_handler(SQLAlchemyError, database_error_handler)  # type: ignore[arg-type]
    app.add_exception_handler(Exception, unhandled_handler)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entries documenting problem+json answers (schema ``Problem``)."""
    return {
        s: {
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
            "description": _STATUS_CLASSES[s].title if s in _STATUS_CLASSES else "Error",
        }
        for s in statuses
    }
