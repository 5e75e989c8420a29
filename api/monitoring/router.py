"""HTTP routes of monitoring (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

from fastapi import APIRouter

from api.routing import UnitOfWorkRoute

router = APIRouter(prefix="/api/v1", tags=["monitoring"], route_class=UnitOfWorkRoute)
