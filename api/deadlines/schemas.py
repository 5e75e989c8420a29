from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.schema_rules import refuse_nul

Status = Literal["open", "met", "waived"]


class DeadlineOut(BaseModel):
    id: int
    case_id: int
    case_number: str
    rule: str = Field(description="the rule's code, e.g. CRPC_173_INTERIM_REPORT")
    rule_id: int
    legal_reference: str
    trigger_event: str = Field(description="what started the clock, in words")
    confidence: str = Field(description="how sure the rule's source is (high, medium, low, target…)")
    source: str = Field(description="which occurrence started it: case (the FIR), report:<id>…")
    triggered_on: dt.date
    due_date: dt.date
    status: Status
    overdue: bool = Field(description="open and due before today (the service's time zone)")
    days_left: int | None = Field(description="days until the due date (negative: overdue); open ones only")
    met_on: dt.date | None
    met_late: bool = Field(description="met after the due date")
    note: str | None
    etag: str = Field(description="send it in If-Match to PATCH this deadline")


class DeadlineUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    _no_nul = field_validator("note")(refuse_nul)

    status: Literal["waived", "open"] = Field(description="waive an open deadline, or reopen a waived one")
    note: str | None = Field(None, min_length=1, max_length=2000, description="why (required to waive)")
