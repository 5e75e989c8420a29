from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class FigureOut(BaseModel):
    count: int = Field(description="how many; equals the total of the list at `link` for the same caller")
    link: str = Field(description="the API path of the list behind the figure")


class TomorrowFigure(FigureOut):
    date: dt.date = Field(description="tomorrow, in the service's time zone")


class StalledFigure(FigureOut):
    days: int = Field(description="no hearing in this many days, and none ahead")


class ProsecutorAdjournments(BaseModel):
    prosecutor_id: int | None = Field(description="null: hearings with no prosecutor recorded")
    name: str | None
    count: int
    link: str | None


class AdjournmentsFigure(FigureOut):
    month: str = Field(description="YYYY-MM, the current month (hearing dates)")
    by_prosecutor: list[ProsecutorAdjournments] = Field(description="most adjournments first")


class DistrictDashboard(BaseModel):
    district_id: int
    district_code: str
    district_name: str
    as_of: dt.datetime
    today: dt.date
    overdue_deadlines: FigureOut = Field(description="open deadlines whose due date has passed")
    hearings_without_prosecutor: TomorrowFigure = Field(description="tomorrow's hearings with no prosecutor")
    cases_without_hearing: StalledFigure = Field(
        description="cases in trial stages (filed to arguments) with no hearing for 60 days and none ahead"
    )
    prosecution_adjournments: AdjournmentsFigure = Field(
        description="this month's adjournments attributed to the prosecution, by prosecutor"
    )
    returns_to_police: FigureOut = Field(description="cases returned to the police, awaiting resubmission")


class RowDetail(BaseModel):
    """What the figure is about, per row (fields that do not apply are null)."""

    item_id: int | None = Field(None, description="the deadline's or the hearing's id")
    date: dt.date | None = Field(
        None, description="due date / hearing date / last hearing date / returned-to-police date"
    )
    at: dt.datetime | None = Field(None, description="the hearing's start (last hearing for stalled cases)")
    days: int | None = Field(None, description="days overdue / since the last hearing / since the return")
    label: str | None = Field(None, description="the deadline rule's code / the adjournment reason code")
    reason_label: str | None = Field(None, description="the adjournment reason, in words (English)")
    reason_label_ur: str | None = Field(None, description="the adjournment reason, in words (Urdu)")
    court: str | None = None
    prosecutor_id: int | None = None
    prosecutor_name: str | None = None
    returns: int | None = Field(None, description="how many times the case was returned to the police")


class MonitoringRow(BaseModel):
    case_id: int
    number: str
    title: str | None = Field(description="null for monitors (titles name people)")
    stage: str
    detail: RowDetail
