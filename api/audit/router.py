from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request

from api.audit import service
from api.audit.models import AuditEntry
from api.audit.schemas import AuditEntryOut
from api.db import WriteDbSession
from api.errors import problem_responses
from api.pagination import IdQuery, Page, PageParams, paginate, sorting
from api.permissions import Perm, Principal, require
from api.routing import UnitOfWorkRoute
from api.schema_rules import Instant

router = APIRouter(prefix="/api/v1/audit", tags=["audit"], route_class=UnitOfWorkRoute)

Action = Literal[tuple(sorted(service.ACTIONS))]  # type: ignore[valid-type]
SORTS = {"id": AuditEntry.id, "at": AuditEntry.at}


@router.get(
    "",
    response_model=Page[AuditEntryOut],
    name="list",
    summary="Read the audit log",
    responses=problem_responses(401, 403, 422),
)
def list_entries(
    request: Request,
    db: WriteDbSession,
    paging: Annotated[PageParams, sorting(SORTS, "id")],
    principal: Annotated[Principal, require(Perm.audit_read)],
    entity_type: Annotated[str | None, Query(max_length=64)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    actor_id: IdQuery = None,
    action: Action | None = None,
    from_: Annotated[Instant | None, Query(alias="from", description="at or after (RFC 3339)")] = None,
    to: Annotated[Instant | None, Query(description="before (RFC 3339)")] = None,
) -> Page[AuditEntryOut]:
    """Entries oldest first by default (``sort=-id`` for newest first). Read-only: there is no way to
    change or delete an entry. Reading the log is itself recorded."""
    stmt = service.search(
        entity_type=entity_type, entity_id=entity_id, actor_id=actor_id, action=action, start=from_, end=to
    )
    rows, total = paginate(db, stmt, paging, allowed=SORTS, default_sort="id")
    filters = {
        k: v
        for k, v in {
            "entity_type": entity_type,
            "entity_id": entity_id,
            "actor_id": actor_id,
            "action": action,
            "from": from_,
            "to": to,
        }.items()
        if v is not None
    }
    service.record_read(
        db,
        origin=service.origin_of(request, principal.user_id),
        entity_type="audit",
        details={"filters": filters, "returned": len(rows)},
    )
    return Page[AuditEntryOut](
        items=[AuditEntryOut.model_validate(r) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )
