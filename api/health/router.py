from __future__ import annotations

from fastapi import APIRouter, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from pydantic import BaseModel
from sqlalchemy import text

from api import migrate
from api.db import get_engine
from api.errors import ServiceUnavailable, problem_responses
from api.routing import UnitOfWorkRoute

router = APIRouter(tags=["system"], route_class=UnitOfWorkRoute)

PUBLIC = {"x-cmms-public": True}


class Health(BaseModel):
    status: str


class Readiness(BaseModel):
    status: str
    database: str
    migration: str | None
    head: str | None


@router.get("/health", response_model=Health, name="health", summary="Process is up", openapi_extra=PUBLIC)
def health() -> Health:
    """Answers as long as the process serves requests; touches nothing else."""
    return Health(status="ok")


@router.get(
    "/ready",
    response_model=Readiness,
    name="ready",
    summary="Ready to serve",
    responses=problem_responses(503),
    openapi_extra=PUBLIC,
)
def ready() -> Readiness:
    """The database answers and its schema is at the newest migration."""
    engine = get_engine()
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        current = migrate.current_revision(engine)
    except Exception as exc:
        raise ServiceUnavailable(f"Database unreachable: {type(exc).__name__}.") from exc
    head = migrate.head_revision()
    if current != head:
        raise ServiceUnavailable(
            f"Database schema at {current or 'nothing'}, code expects {head}: run `cmms migrate`."
        )
    return Readiness(status="ok", database=engine.dialect.name, migration=current, head=head)


@router.get(
    "/metrics",
    name="metrics",
    summary="Prometheus metrics",
    openapi_extra=PUBLIC,
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}}},
)
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
