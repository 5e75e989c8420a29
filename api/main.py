"""create_app(): routers, middleware, error handlers, operationIds, and the SPA at /."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import FileResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import errors, schema_rules
from api import registry as _registry  # noqa: F401  (every model and every case-event handler)
from api.audit.router import router as audit_router
from api.auth.router import router as auth_router
from api.calendar.router import router as calendar_router
from api.cases.router import router as cases_router
from api.config import Settings, get_settings
from api.counsel.router import router as counsel_router
from api.deadlines.router import router as deadlines_router
from api.documents.router import router as documents_router
from api.errors import Problem
from api.health.router import router as health_router
from api.hearings.router import router as hearings_router
from api.limits import RequestLimits
from api.monitoring.router import router as monitoring_router
from api.notifications.router import router as notifications_router
from api.observability import Metrics, ObservabilityMiddleware, configure_logging
from api.reference.router import router as reference_router
from api.tasks.router import router as tasks_router
from api.users.router import router as users_router

VERSION = "0.1.0"

TAGS = [
    {"name": "auth", "description": "Sign in (OAuth2 password flow), refresh rotation, sign out."},
    {"name": "users", "description": "The signed-in user, and user management for administrators."},
    {
        "name": "reference",
        "description": "Districts, courts, police stations, the statute catalogue, "
        "adjournment reasons, holidays and deadline rules.",
    },
    {
        "name": "cases",
        "description": "The digital case file: filing, search, the lifecycle, the timeline, the team.",
    },
    {
        "name": "documents",
        "description": "The digital file: uploads (type-checked, versioned, checksummed), downloads "
        "(audited), and the generated scrutiny memo.",
    },
    {
        "name": "counsel",
        "description": "Workload per prosecutor, least-loaded suggestions and bulk reassignment.",
    },
    {
        "name": "hearings",
        "description": "Hearings: scheduling with clash warnings, outcomes and adjournments, cause lists, diaries.",
    },
    {
        "name": "calendar",
        "description": "Private iCalendar (RFC 5545) feeds of a user's hearings and due dates.",
    },
    {"name": "tasks", "description": "Tasks with checklists and due dates; overdue at a glance."},
    {
        "name": "deadlines",
        "description": "Statutory deadlines computed from the deadline rules and the case's events.",
    },
    {
        "name": "notifications",
        "description": "The caller's in-app notifications: list, unread count, mark read.",
    },
    {
        "name": "monitoring",
        "description": "Supervisors' monitoring dashboard: what is overdue, unattended or stalled.",
    },
    {
        "name": "audit",
        "description": "The append-only, hash-chained audit log (auditors, prosecutor general).",
    },
    {"name": "system", "description": "Liveness, readiness and Prometheus metrics."},
]


def _operation_id(route: APIRoute) -> str:
    return f"{route.tags[0]}-{route.name}" if route.tags else route.name


class LongCache:
    """Hashed SPA assets never change under one name: cache them for a year."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 200:
                message["headers"] = [
                    *message.get("headers", []),
                    (b"cache-control", b"public, max-age=31536000, immutable"),
                ]
            await send(message)

        await self.app(scope, receive, send_wrapper)


def _mount_spa(app: FastAPI, spa_dir: Path) -> None:
    """Serve the built SPA: /assets with long caching; any other unknown GET that is not an API path
    answers with index.html so deep links like /cases/12 work."""
    index = spa_dir / "index.html"
    if (spa_dir / "assets").is_dir():
        app.mount("/assets", LongCache(StaticFiles(directory=spa_dir / "assets")), name="assets")

    api_prefixes = ("/api/", "/assets/", "/health", "/ready", "/metrics", "/docs", "/redoc", "/openapi.json")

    async def spa_or_problem(request: Request, exc: StarletteHTTPException) -> Response:
        path = request.url.path
        if (
            exc.status_code == 404
            and request.method in ("GET", "HEAD")
            and index.is_file()
            and not path.startswith(api_prefixes)
        ):
            candidate = (spa_dir / path.lstrip("/")).resolve()
            if candidate.is_file() and candidate.is_relative_to(spa_dir.resolve()):
                return FileResponse(candidate)
            return FileResponse(index, headers={"Cache-Control": "no-cache"})
        return await errors.http_exception_handler(request, exc)

    app.add_exception_handler(StarletteHTTPException, spa_or_problem)  # type: ignore[arg-type]


def _lifespan(settings: Settings) -> Any:
    """Starts the in-process scheduler of the periodic jobs (not under CMMS_ENV=test)."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        from api.audit import reads
        from api.jobs import service as jobs

        app.state.scheduler = jobs.start_scheduler(settings) if jobs.scheduler_wanted(settings) else None
        try:
            yield
        finally:
            if app.state.scheduler is not None:
                app.state.scheduler.stop()
            reads.shutdown()  # the waiting read audit entries are written before the process ends

    return lifespan


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json)
    app = FastAPI(
        lifespan=_lifespan(settings),
        title="CMMS API",
        version=VERSION,
        summary="Case Management and Monitoring System for public prosecution services.",
        description="The one HTTP API of CMMS, used by the SPA, third-party systems and scripts. "
        "Every error is application/problem+json (RFC 9457).",
        openapi_tags=TAGS,
        generate_unique_id_function=_operation_id,
        separate_input_output_schemas=False,
    )
    app.state.metrics = Metrics()
    errors.install_handlers(app)
    # FastAPI matches a request against the routes one by one (0.2-0.4 ms for a route 40-80 in, on
    # every request): the most requested first, the reference data and the administration last
    for router in (
        health_router,
        auth_router,
        cases_router,
        notifications_router,
        hearings_router,
        deadlines_router,
        counsel_router,
        tasks_router,
        documents_router,
        calendar_router,
        users_router,
        monitoring_router,
        reference_router,
        audit_router,
    ):
        app.include_router(router)
    app.add_middleware(RequestLimits, settings=settings)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials=False,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "X-Request-ID"],
        )
    app.add_middleware(ObservabilityMiddleware, metrics=app.state.metrics)
    _mount_spa(app, settings.spa_dir)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


IDEMPOTENCY_PARAMETER = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "Send a unique key (e.g. a UUID) to make a retry safe: the same key and request "
    "replay the first answer; the same key with another request is a 422.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[\\x21-\\x7e]+$"},
}


def _openapi(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(
        title=app.title,
        version=app.version,
        summary=app.summary,
        description=app.description,
        routes=app.routes,
        tags=app.openapi_tags,
    )
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = Problem.model_json_schema(
        ref_template="#/components/schemas/{model}"
    )
    for name, sub in (
        Problem.model_json_schema(ref_template="#/components/schemas/{model}").get("$defs", {}).items()
    ):
        schema["components"]["schemas"][name] = sub
    schema["components"]["schemas"]["Problem"].pop("$defs", None)
    problem_422 = errors.problem_responses(422)[422]
    problem_400 = errors.problem_responses(400)[400]
    for operations in schema["paths"].values():
        for operation in operations.values():
            # FastAPI's default 422 describes its own body; ours is problem+json everywhere
            if "HTTPValidationError" in json.dumps(operation.get("responses", {}).get("422", {})):
                operation["responses"]["422"] = problem_422
            # a query string that is not UTF-8, a body that is not JSON (api/limits.py, FastAPI)
            operation.setdefault("responses", {}).setdefault("400", problem_400)
            for parameter in operation.get("parameters", []):
                if parameter.get("in") == "query":
                    schema_rules.no_nul_in_query(parameter["schema"])
                # updates without If-Match are refused (428): the header is required, not optional
                if parameter.get("in") == "header" and parameter["name"].lower() == "if-match":
                    parameter["required"] = True
                    parameter["schema"] = {"type": "string", "minLength": 1, "title": "If-Match"}
        post = operations.get("post")
        if post is not None and not post.get("x-cmms-public"):
            post.setdefault("parameters", []).append(IDEMPOTENCY_PARAMETER)
            post.setdefault("responses", {}).setdefault("422", problem_422)  # an invalid key
    for unused in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(unused, None)
    app.openapi_schema = schema
    return schema
