from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class NotificationOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str = Field(
        description="assignment, hearing_scheduled, hearing_changed, hearing_reminder, "
        "deadline_approaching, deadline_overdue, task_assigned, …"
    )
    message: str = Field(description="readable text naming the case by its number")
    case_id: int | None
    link: str | None = Field(description="the SPA path to open (e.g. /cases/123)")
    created_at: datetime
    read_at: datetime | None
    read: bool


class UnreadCount(BaseModel):
    unread: int


class MarkedRead(BaseModel):
    marked: int = Field(description="how many notifications were unread and are now read")
    unread: int = Field(description="how many the caller still has unread (0)")
