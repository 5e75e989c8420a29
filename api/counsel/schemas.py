"""Counsel: workload figures per prosecutor, assignment suggestions, bulk reassignment."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from api.pagination import MAX_ID
from api.schema_rules import refuse_nul

#: at most this many cases move in one bulk reassignment (split bigger moves by case_ids or role)
MAX_REASSIGN = 5_000
#: at most this many target prosecutors in one bulk reassignment
MAX_TARGETS = 50

Id = Field(ge=1, le=MAX_ID)
#: an id in a list: the schema's items say 1..MAX_ID, as the validator below enforces
IdItem = Annotated[int, Field(ge=1, le=MAX_ID)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    _no_nul = field_validator("*")(refuse_nul)


class WorkloadRow(BaseModel):
    """One prosecutor's load in one district (cases of other districts are not counted here;
    hearings and tasks are the person's own, wherever they are)."""

    prosecutor_id: int
    name: str
    district_id: int | None = Field(description="the prosecutor's own district")
    assignable: bool = Field(description="an active user with the prosecutor role (can be assigned cases)")
    open_cases: int = Field(description="current assignments on cases neither closed nor dormant")
    lead_cases: int = Field(description="open cases where they are lead")
    associate_cases: int = Field(description="open cases where they are associate")
    dormant_cases: int = Field(description="current assignments on dormant cases (not in open_cases)")
    weighted_load: float = Field(
        description="sum over open cases of category weight x complex factor x restricted factor, "
        "associate places counting half (CMMS_WORKLOAD_WEIGHTS)"
    )
    hearings_next_7_days: int = Field(description="their hearings starting in [now, now + 7 days)")
    overdue_tasks: int = Field(description="their open tasks due before today (service time zone)")


class WorkloadTotals(BaseModel):
    prosecutors: int = Field(description="rows")
    open_cases: int = Field(description="distinct cases of the district neither closed nor dormant")
    dormant_cases: int = Field(description="distinct dormant cases of the district")
    unassigned_open_cases: int = Field(description="open cases with nobody currently assigned")
    lead_cases: int = Field(description="sum of the rows")
    associate_cases: int = Field(description="sum of the rows")
    weighted_load: float = Field(description="sum of the rows")
    hearings_next_7_days: int = Field(description="sum of the rows")
    overdue_tasks: int = Field(description="sum of the rows")


class WorkloadOut(BaseModel):
    district_id: int
    as_of: dt.datetime
    today: dt.date = Field(description="today in the service's time zone (the overdue cut-off)")
    weights: dict[str, float] = Field(description="the weights in force")
    items: list[WorkloadRow]
    totals: WorkloadTotals


class SuggestionRow(WorkloadRow):
    rank: int = Field(description="1 = least loaded")
    why: str = Field(description="a short reason to show next to the name")


class SuggestionsOut(BaseModel):
    case_id: int
    district_id: int
    items: list[SuggestionRow]


PlaceRole = Literal["lead", "associate"]


class ReassignmentIn(_In):
    """Move a prosecutor's cases in one district to one or several others, all or nothing."""

    from_prosecutor_id: int = Id
    to_prosecutor_ids: list[IdItem] = Field(min_length=1, max_length=MAX_TARGETS)
    district_id: int | None = Field(
        None,
        ge=1,
        le=MAX_ID,
        description="default: the caller's district (district prosecutor) or the from prosecutor's",
    )
    case_ids: list[IdItem] | None = Field(
        None,
        min_length=1,
        max_length=MAX_REASSIGN,
        description="only these cases (each must be a case of the district the from prosecutor holds)",
    )
    role: Literal["lead", "associate", "all"] = Field("all", description="which of their places move")
    reason: str = Field(min_length=1, max_length=2000, description="recorded on every case's timeline")

    @field_validator("to_prosecutor_ids", "case_ids")
    @classmethod
    def _ids(cls, value: list[int] | None) -> list[int] | None:
        if value is None:
            return value
        for v in value:
            if not 1 <= v <= MAX_ID:
                raise ValueError(f"{v} is not a valid id")
        if len(set(value)) != len(value):
            raise ValueError("an id appears twice")
        return value


class MovedCase(BaseModel):
    case_id: int
    number: str
    from_role: PlaceRole = Field(description="the place the from prosecutor held")
    to_prosecutor_id: int
    role: PlaceRole = Field(description="the place the target now holds")


class ReleasedCase(BaseModel):
    """The from prosecutor's associate place ended; every target already was on the team."""

    case_id: int
    number: str
    from_role: PlaceRole


class ReassignmentOut(BaseModel):
    district_id: int
    from_prosecutor_id: int
    moved: list[MovedCase]
    released: list[ReleasedCase] = Field(default_factory=list)
    count: int = Field(description="cases moved (len(moved))")
