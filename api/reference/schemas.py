from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from api.deadlines.service import EVENTS as DEADLINE_EVENTS
from api.pagination import MAX_ID
from api.schema_rules import IsoDate, refuse_nul

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
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    _no_nul = field_validator("*")(refuse_nul)


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
    date: IsoDate
    name: str = Field(min_length=1, max_length=120)
    kind: str = Field("fixed", max_length=32)
    status: str = Field("notified", max_length=64)
    scope: str = Field("federal", max_length=32)
    notes: str | None = Notes
    source: str | None = Text200


class HolidayUpdate(_In):
    date: IsoDate | None = None
    name: str | None = Field(None, min_length=1, max_length=120)
    kind: str | None = Field(None, max_length=32)
    status: str | None = Field(None, max_length=64)
    scope: str | None = Field(None, max_length=32)
    notes: str | None = Notes
    source: str | None = Text200


# --- deadline rules: the legal text, and the machine side (api.deadlines computes from it) -------

DeadlineEvent = Literal[DEADLINE_EVENTS]  # type: ignore[valid-type]
RuleProvince = Literal["Sindh", "Khyber Pakhtunkhwa", "Punjab"]
_CATEGORY = r"(ata|ordinary|special)"
_COURT = r"(high_court_bench|anti_terrorism|sessions|additional_sessions|special|judicial_magistrate)"
_ALERT = r"(lead|team|district_prosecutor)"


def _list_of(item: str) -> str:
    return rf"^{item}(,{item})*$"


class _RuleMachine(BaseModel):
    """Null trigger: the rule is listed for reference and never computed."""

    trigger: DeadlineEvent | None = Field(None, description="the case event that starts the clock")
    after_rule: str | None = Field(
        None,
        pattern=r"^[A-Z][A-Z0-9_]{1,63}$",
        description="code of a rule with the same trigger: this period starts when that one ends",
    )
    met_by: DeadlineEvent | None = Field(None, description="the case event that meets the deadline")
    province: RuleProvince | None = Field(None, description="only cases of this province (null: all)")
    case_category: str | None = Field(
        None, max_length=16, pattern=_list_of(_CATEGORY), description="comma-separated; null: all"
    )
    court_type: str | None = Field(
        None,
        max_length=32,
        pattern=_list_of(_COURT),
        description="the case's court, comma-separated; null: all",
    )
    alert_days: int | None = Field(None, ge=0, le=365, description="reminder lead time; null: the setting")
    alert_roles: str | None = Field(
        None,
        max_length=100,
        pattern=_list_of(_ALERT),
        description="comma-separated: lead, team, district_prosecutor",
    )


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
    trigger: str | None
    after_rule: str | None
    met_by: str | None
    province: str | None
    case_category: str | None
    court_type: str | None
    alert_days: int | None
    alert_roles: str | None
    computed: bool = Field(
        False, description="whether cases get clocks from it (trigger, met_by and a period)"
    )

    @model_validator(mode="after")
    def _computed(self) -> DeadlineRuleOut:
        self.computed = bool(
            self.trigger and self.met_by and (self.offset_days is not None or self.offset_months)
        )
        return self


class DeadlineRuleCreate(_In, _RuleMachine):
    code: str = Field(pattern=r"^[A-Z][A-Z0-9_]{1,63}$")
    trigger_event: str = Field(min_length=1, max_length=1000)
    offset_days: int | None = Field(None, ge=0, le=3650)
    offset_months: int | None = Field(None, ge=0, le=120)
    day_kind: Literal["calendar", "working"] = "calendar"
    applies_to: str = Field(min_length=1, max_length=1000)
    legal_reference: str = Field(min_length=1, max_length=1000)
    confidence: str = Field("high", max_length=32)
    effective_from: IsoDate | None = None
    effective_to: IsoDate | None = None
    notes: str | None = Notes
    source: str | None = Text200

    @model_validator(mode="after")
    def _coherent(self) -> DeadlineRuleCreate:
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        if self.after_rule == self.code:
            raise ValueError("a rule cannot start after itself (after_rule)")
        return self


class DeadlineRuleUpdate(_In, _RuleMachine):
    trigger_event: str | None = Field(None, min_length=1, max_length=1000)
    offset_days: int | None = Field(None, ge=0, le=3650)
    offset_months: int | None = Field(None, ge=0, le=120)
    day_kind: Literal["calendar", "working"] | None = None
    applies_to: str | None = Field(None, min_length=1, max_length=1000)
    legal_reference: str | None = Field(None, min_length=1, max_length=1000)
    confidence: str | None = Field(None, max_length=32)
    effective_from: IsoDate | None = None
    effective_to: IsoDate | None = None
    notes: str | None = Notes
    source: str | None = Text200

    @model_validator(mode="after")
    def _coherent(self) -> DeadlineRuleUpdate:
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self
