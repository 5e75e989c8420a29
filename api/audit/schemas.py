from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEntryOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: datetime
    actor_id: int | None
    action: str
    entity_type: str
    entity_id: str | None
    ip: str | None
    request_id: str | None
    details: dict[str, Any]
    hash: str
    prev_hash: str
