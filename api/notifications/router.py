"""HTTP routes of notifications (thin: parse, call the service, shape the answer). Every route is
the caller's own: another user's notification is a 404."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from api.db import DbSession
from api.errors import problem_responses
from api.notifications import service
from api.notifications.models import Notification
from api.notifications.schemas import MarkedRead, NotificationOut, UnreadCount
from api.pagination import IdPath, Page, PageParams, paginate, sorting
from api.permissions import Perm, Principal, require
from api.routing import UnitOfWorkRoute
from api.schema_rules import TextBool

router = APIRouter(prefix="/api/v1", tags=["notifications"], route_class=UnitOfWorkRoute)

Caller = Annotated[Principal, require(Perm.authenticated)]


def _out(row: Notification) -> NotificationOut:
    return NotificationOut(
        id=row.id,
        kind=row.kind,
        message=row.message,
        case_id=row.case_id,
        link=row.link,
        created_at=row.created_at,
        read_at=row.read_at,
        read=row.read_at is not None,
    )


@router.get(
    "/notifications",
    response_model=Page[NotificationOut],
    name="list",
    summary="My notifications",
    responses=problem_responses(401, 403, 422),
)
def list_notifications(
    db: DbSession,
    paging: Annotated[PageParams, sorting(service.LIST_SORTS, "-created_at")],
    principal: Caller,
    unread: Annotated[TextBool | None, Query(description="true: only unread; false: only read")] = None,
) -> Page[NotificationOut]:
    """The caller's notifications, newest first (``sort``: created_at, ``-created_at`` default).
    Notifications about a case the caller can no longer read are not shown."""
    stmt = service.list_stmt(principal, unread=unread)
    rows, total = paginate(
        db,
        stmt,
        paging,
        allowed=service.LIST_SORTS,
        default_sort="-created_at",
        tiebreak=Notification.id.desc(),
    )
    return Page[NotificationOut](
        items=[_out(r) for r in rows], total=total, limit=paging.limit, offset=paging.offset
    )


@router.get(
    "/notifications/unread-count",
    response_model=UnreadCount,
    name="unread-count",
    summary="How many unread (the bell)",
    responses=problem_responses(401, 403),
)
def unread_count(db: DbSession, principal: Caller) -> UnreadCount:
    return UnreadCount(unread=service.unread_count(db, principal))


@router.post(
    "/notifications/read-all",
    response_model=MarkedRead,
    name="read-all",
    summary="Mark all my notifications read",
    responses=problem_responses(401, 403, 422),
)
def read_all(db: DbSession, principal: Caller) -> MarkedRead:
    marked = service.mark_all_read(db, principal=principal)
    return MarkedRead(marked=marked, unread=service.unread_count(db, principal))


@router.post(
    "/notifications/{notification_id:int}/read",
    response_model=NotificationOut,
    name="read",
    summary="Mark one notification read",
    responses=problem_responses(401, 403, 404, 422),
)
def read_one(notification_id: IdPath, db: DbSession, principal: Caller) -> NotificationOut:
    """Marking a read notification read again changes nothing (same answer)."""
    return _out(service.mark_read(db, principal=principal, notification_id=notification_id))
