"""HTTP routes of notifications (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

from fastapi import APIRouter

from api.routing import UnitOfWorkRoute

router = APIRouter(prefix="/api/v1", tags=["notifications"], route_class=UnitOfWorkRoute)
