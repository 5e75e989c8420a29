from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from api.pagination import MAX_ID
from api.schema_rules import IsoDate, not_null, refuse_nul

Status = Literal["open", "done", "cancelled"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    _no_nul = field_validator("*")(refuse_nul)


class ChecklistItem(_In):
    text: str = Field(min_length=1, max_length=500)
    done: bool = False


Checklist = Field(default_factory=list, max_length=50, description="items ticked off one by one")


class TaskCreate(_In):
    title: str = Field(min_length=1, max_length=300)
    description: str | None = Field(None, max_length=8000)
    assignee_id: int = Field(ge=1, le=MAX_ID, description="an active user who may read the case")
    due_date: IsoDate | None = Field(None, description="today or later (the service's time zone)")
    case_id: int | None = Field(None, ge=1, le=MAX_ID)
    status: Status = "open"
    checklist: list[ChecklistItem] = Checklist


class TaskUpdate(_In):
    """Only the fields sent change. The assignee may change ``status`` and ``checklist`` of their
    own task; editing the rest (or someone else's task) needs the right to write tasks."""

    model_config = ConfigDict(json_schema_extra=not_null("title", "assignee_id", "status", "checklist"))

    title: str | None = Field(None, min_length=1, max_length=300)
    description: str | None = Field(None, max_length=8000)
    assignee_id: int | None = Field(None, ge=1, le=MAX_ID)
    due_date: IsoDate | None = None
    status: Status | None = None
    checklist: list[ChecklistItem] | None = Field(None, max_length=50)

    @model_validator(mode="after")
    def _no_null_required(self) -> TaskUpdate:
        for name in ("title", "assignee_id", "status", "checklist"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class ChecklistItemOut(BaseModel):
    text: str
    done: bool


class TaskOut(BaseModel):
    id: int
    title: str
    description: str | None
    case_id: int | None
    case_number: str | None
    district_id: int | None
    assignee_id: int
    assignee_name: str | None
    due_date: dt.date | None
    status: Status
    overdue: bool = Field(description="open and due before today (the service's time zone)")
    checklist: list[ChecklistItemOut]
    completed_at: dt.datetime | None
    created_at: dt.datetime
    created_by: int | None
    created_by_name: str | None
    updated_at: dt.datetime
    etag: str = Field(description="send it in If-Match to PATCH this task")
