"""Request and response bodies of hearings and cause lists."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from api.pagination import MAX_ID
from api.schema_rules import Instant, IsoDate, not_null, refuse_nul

Purpose = Literal[
    "copies",
    "charge",
    "prosecution_evidence",
    "s342",
    "defence_evidence",
    "arguments",
    "judgment",
    "bail",
    "miscellaneous",
]
Outcome = Literal["held", "adjourned", "not_taken_up", "decided"]
Side = Literal["prosecution", "defence", "court", "police", "witness", "jail", "forensic", "other"]
Id = Field(ge=1, le=MAX_ID)
OptionalId = Field(None, ge=1, le=MAX_ID)
Minutes = Field(None, ge=5, le=24 * 60, description="how long it is expected to take (default: the setting)")
#: "HH:MM" in the service's local time (settings.timezone)
LOCAL_TIME = r"^([01]\d|2[0-3]):[0-5]\d$"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    _no_nul = field_validator("*")(refuse_nul)


class HearingCreate(_In):
    """``starts_at`` must carry its offset (``2026-12-03T10:00:00+05:00``); a naive date-time is a 422,
    so nobody's hearing silently moves by five hours."""

    case_id: int = Id
    court_id: int = Id
    starts_at: Instant
    purpose: Purpose
    judge: str | None = Field(None, max_length=200)
    prosecutor_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="who attends for the prosecution; default the case's lead; a prosecutor of the "
        "case's team or district",
    )
    duration_minutes: int | None = Minutes
    notes: str | None = Field(None, max_length=4000)


class HearingCheck(HearingCreate):
    """The body of a hearing about to be saved. ``hearing_id``: the hearing being edited (left out
    of its own clash list)."""

    hearing_id: int | None = OptionalId


class AdjournmentIn(_In):
    reason: str = Field(min_length=1, max_length=48, description="a code of /reference/adjournment-reasons")
    attributed_to: Side | None = Field(None, description="default: the reason's side")


class HearingUpdate(_In):
    """Schedule fields (any of them; clashes are re-checked) and/or the outcome. The outcome fields
    (``outcome``, ``adjournment``, ``next_date``, ``next_time``, ``next_purpose``,
    ``witnesses_examined``) are refused on a hearing that has not started yet."""

    model_config = ConfigDict(json_schema_extra=not_null("court_id", "starts_at", "purpose", "outcome"))

    court_id: int | None = OptionalId
    starts_at: Instant | None = None
    purpose: Purpose | None = None
    judge: str | None = Field(None, max_length=200)
    prosecutor_id: int | None = Field(None, ge=1, le=MAX_ID, description="null: no prosecutor attending")
    duration_minutes: int | None = Minutes
    notes: str | None = Field(None, max_length=4000)
    outcome: Outcome | None = None
    adjournment: AdjournmentIn | None = Field(None, description="required when the outcome is adjourned")
    next_date: IsoDate | None = Field(
        None, description="the date it was put off to: creates the next hearing (not a Sunday or a holiday)"
    )
    next_time: str | None = Field(
        None, pattern=LOCAL_TIME, description="HH:MM local time of the next hearing (default 09:00)"
    )
    next_purpose: Purpose | None = Field(None, description="the next hearing's purpose (default: this one's)")
    witnesses_examined: list[int] | None = Field(
        None, max_length=200, description="case_parties ids of this case's witnesses examined at this hearing"
    )

    @model_validator(mode="after")
    def _coherent(self) -> HearingUpdate:
        for name in ("court_id", "starts_at", "purpose"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        if "outcome" in self.model_fields_set and self.outcome is None:
            raise ValueError("outcome cannot be null once given; record the right one instead")
        if (self.next_time is not None or self.next_purpose is not None) and self.next_date is None:
            raise ValueError("next_time and next_purpose go with next_date")
        if self.witnesses_examined is not None:
            if any(not 1 <= w <= MAX_ID for w in self.witnesses_examined):
                raise ValueError("witnesses_examined holds case_parties ids")
            if len(set(self.witnesses_examined)) != len(self.witnesses_examined):
                raise ValueError("witnesses_examined names a witness twice")
        return self


class ConflictOut(BaseModel):
    """Another hearing of the same prosecutor that overlaps. ``case_id``/``case_number`` are null
    when that case is one the caller may not read (the clash is still shown, without naming it)."""

    hearing_id: int
    case_id: int | None
    case_number: str | None
    court_id: int
    court_name: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime


class ConflictsOut(BaseModel):
    conflicts: list[ConflictOut]


class AdjournmentOut(BaseModel):
    reason: str
    label: str | None = Field(description="the reason, in words")
    label_ur: str | None = Field(description="the reason, in words (Urdu), if the reference list has it")
    attributed_to: str | None


class HearingOut(BaseModel):
    id: int
    case_id: int
    case_number: str
    case_title: str
    district_id: int
    court_id: int
    court_name: str | None
    judge: str | None
    starts_at: dt.datetime
    ends_at: dt.datetime
    duration_minutes: int = Field(description="the hearing's length (the setting when none was given)")
    purpose: str
    prosecutor_id: int | None
    prosecutor_name: str | None
    outcome: str | None
    adjournment: AdjournmentOut | None
    next_hearing_id: int | None
    witnesses_examined: list[int]
    notes: str | None
    outcome_recorded_at: dt.datetime | None
    outcome_recorded_by: int | None
    created_at: dt.datetime
    updated_at: dt.datetime
    version: int


class HearingWritten(HearingOut):
    """A created or edited hearing, with the clash warning and (after an outcome with a next date)
    the hearing it was put off to."""

    conflicts: list[ConflictOut]
    next_hearing: HearingWritten | None = Field(
        None, description="the hearing a next date created (with its own clashes)"
    )


class CauseListItem(BaseModel):
    serial: int
    hearing_id: int
    case_id: int
    case_number: str
    title: str
    accused: list[str]
    court_case_number: str | None
    purpose: str
    starts_at: dt.datetime
    time: str = Field(description="HH:MM local time")
    judge: str | None
    prosecutor_id: int | None
    prosecutor_name: str | None
    fir_number: str
    fir_year: int
    police_station: str | None
    outcome: str | None


class CauseList(BaseModel):
    court_id: int
    court_name: str
    date: dt.date
    timezone: str
    items: list[CauseListItem]
