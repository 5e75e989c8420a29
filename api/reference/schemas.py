from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from api.pagination import MAX_ID

Flag = Literal["yes", "no", "depends", "check", "with permission", "n/a"]
CourtType = Literal[
    "high_court_bench", "anti_terrorism", "sessions", "additional_sessions", "special", "judicial_magistrate"
]
Side = Literal["prosecution", "defence", "court", "police", "witness", "jail", "forensic", "other"]
Province = Literal["Sindh", "Khyber Pakhtunkhwa"]


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


Text200 = Field(None, max_length=200)
Notes = Field(None, max_length=4000)


class DistrictOut(_Out):
    code: str
    name: str
    name_ur: str | None
    province: str
    division: str
    status: str
    notes: str | None
    source: str | None


class DistrictCreate(_In):
    code: str = Field(
        pattern=r"^[A-Z]{2,5}(-[A-Z]{1,3})?$", description="stable code, prefix of case numbers"
    )
    name: str = Field(min_length=1, max_length=100)
    name_ur: str | None = Field(None, max_length=100)
    province: Province
    division: str = Field(min_length=1, max_length=64)
    status: str = Field("active", max_length=32)
    notes: str | None = Notes
    source: str | None = Text200


class DistrictUpdate(_In):
    name: str | None = Field(None, min_length=1, max_length=100)
    name_ur: str | None = Field(None, max_length=100)
    division: str | None = Field(None, min_length=1, max_length=64)
    status: str | None = Field(None, max_length=32)
    notes: str | None = Notes
    source: str | None = Text200


class CourtOut(_Out):
    province: str
    division: str | None
    district_id: int | None
    court_type: str
    name: str
    status: str
    notes: str | None
    source: str | None


class CourtCreate(_In):
    province: Province
    division: str | None = Field(None, max_length=64)
    district_id: int | None = Field(None, ge=1, le=MAX_ID)
    court_type: CourtType
    name: str = Field(min_length=1, max_length=200)
    status: str = Field("active", max_length=32)
    notes: str | None = Notes
    source: str | None = Text200


class CourtUpdate(_In):
    division: str | None = Field(None, max_length=64)
    district_id: int | None = Field(None, ge=1, le=MAX_ID)
    court_type: CourtType | None = None
    name: str | None = Field(None, min_length=1, max_length=200)
    status: str | None = Field(None, max_length=32)
    notes: str | None = Notes
    source: str | None = Text200


class PoliceStationOut(_Out):
    district_id: int
    name: str
    police_district: str | None
    district_basis: str
    notes: str | None
    source: str | None


class PoliceStationCreate(_In):
    district_id: int = Field(ge=1, le=MAX_ID)
    name: str = Field(min_length=1, max_length=120)
    police_district: str | None = Field(None, max_length=64)
    district_basis: Literal["source", "inferred"] = "source"
    notes: str | None = Notes
    source: str | None = Text200


class PoliceStationUpdate(_In):
    district_id: int | None = Field(None, ge=1, le=MAX_ID)
    name: str | None = Field(None, min_length=1, max_length=120)
    police_district: str | None = Field(None, max_length=64)
    district_basis: Literal["source", "inferred"] | None = None
    notes: str | None = Notes
    source: str | None = Text200


class OffenceOut(_Out):
    statute: str
    section: str
    title: str
    ata_scheduled: str
    bailable: str
    cognizable: str
    compoundable: str
    max_punishment: str | None
    notes: str | None
    verification: str | None
    source: str | None


class OffenceCreate(_In):
    statute: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,31}$")
    section: str = Field(min_length=1, max_length=32)
    title: str = Field(min_length=1, max_length=300)
    ata_scheduled: Flag
    bailable: Flag
    cognizable: Flag
    compoundable: Flag
    max_punishment: str | None = Notes
    notes: str | None = Notes
    verification: str | None = Field(None, max_length=32)
    source: str | None = Text200


class OffenceUpdate(_In):
    title: str | None = Field(None, min_length=1, max_length=300)
    ata_scheduled: Flag | None = None
    bailable: Flag | None = None
    cognizable: Flag | None = None
    compoundable: Flag | None = None
    max_punishment: str | None = Notes
    notes: str | None = Notes
    verification: str | None = Field(None, max_length=32)
    source: str | None = Text200


class AdjournmentReasonOut(_Out):
    code: str
    label: str
    label_ur: str | None
    attributed_to: str
    active: bool


class AdjournmentReasonCreate(_In):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,47}$")
    label: str = Field(min_length=1, max_length=200)
    label_ur: str | None = Field(None, max_length=200)
    attributed_to: Side
    active: bool = True


class AdjournmentReasonUpdate(_In):
    label: str | None = Field(None, min_length=1, max_length=200)
    label_ur: str | None = Field(None, max_length=200)
    attributed_to: Side | None = None
    active: bool | None = None


class HolidayOut(_Out):
    date: dt.date
    name: str
    kind: str
    status: str
    scope: str
    notes: str | None
    source: str | None


class HolidayCreate(_In):
    date: dt.date
    name: str = Field(min_length=1, max_length=120)
    kind: str = Field("fixed", max_length=32)
    status: str = Field("notified", max_length=64)
    scope: str = Field("federal", max_length=32)
    notes: str | None = Notes
    source: str | None = Text200


class HolidayUpdate(_In):
    date: dt.date | None = None
    name: str | None = Field(None, min_length=1, max_length=120)
    kind: str | None = Field(None, max_length=32)
    status: str | None = Field(None, max_length=64)
    scope: str | None = Field(None, max_length=32)
    notes: str | None = Notes
    source: str | None = Text200


class DeadlineRuleOut(_Out):
    code: str
    trigger_event: str
    offset_days: int | None
    offset_months: int | None
    day_kind: str
    applies_to: str
    legal_reference: str
    confidence: str
    effective_from: dt.date | None
    effective_to: dt.date | None
    notes: str | None
    source: str | None


class DeadlineRuleCreate(_In):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")
    trigger_event: str = Field(min_length=1, max_length=1000)
    offset_days: int | None = Field(None, ge=0, le=3650)
    offset_months: int | None = Field(None, ge=0, le=120)
    day_kind: Literal["calendar", "working"] = "calendar"
    applies_to: str = Field(min_length=1, max_length=1000)
    legal_reference: str = Field(min_length=1, max_length=1000)
    confidence: str = Field("high", max_length=32)
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    notes: str | None = Notes
    source: str | None = Text200


class DeadlineRuleUpdate(_In):
    trigger_event: str | None = Field(None, min_length=1, max_length=1000)
    offset_days: int | None = Field(None, ge=0, le=3650)
    offset_months: int | None = Field(None, ge=0, le=120)
    day_kind: Literal["calendar", "working"] | None = None
    applies_to: str | None = Field(None, min_length=1, max_length=1000)
    legal_reference: str | None = Field(None, min_length=1, max_length=1000)
    confidence: str | None = Field(None, max_length=32)
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    notes: str | None = Notes
    source: str | None = Text200
