from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from api.pagination import MAX_ID

Category = Literal["ata", "ordinary", "special"]
Stage = Literal[
    "intake",
    "scrutiny",
    "returned",
    "filed",
    "charge",
    "evidence",
    "defence",
    "arguments",
    "judgment",
    "appeal",
    "closed",
    "dormant",
]
Custody = Literal[
    "not_arrested",
    "arrested",
    "police_remand",
    "judicial_custody",
    "on_bail",
    "absconding",
    "proclaimed_offender",
    "released",
    "discharged",
]
PartyRole = Literal["accused", "complainant", "victim", "witness", "investigation_officer", "defence_counsel"]
WitnessStatus = Literal["cited", "summoned", "served", "present", "examined", "given_up", "hostile"]
ChargeStage = Literal["fir", "challan", "framed"]
Id = Field(ge=1, le=MAX_ID)
CNIC = Field(
    None, pattern=r"^\d{5}-?\d{7}-?\d$", description="13 digits, dashes optional (e.g. 42101-1234567-1)"
)


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PersonIn(_In):
    """A person; ``person_id`` links an existing person of the index instead of creating one."""

    person_id: int | None = Field(None, ge=1, le=MAX_ID)
    name: str | None = Field(None, min_length=1, max_length=200)
    name_ur: str | None = Field(None, max_length=200)
    father_name: str | None = Field(None, max_length=200)
    cnic: str | None = CNIC
    gender: Literal["male", "female", "other"] | None = None
    age: int | None = Field(None, ge=0, le=120)
    address: str | None = Field(None, max_length=400)
    phone: str | None = Field(None, max_length=32)

    @model_validator(mode="after")
    def _named(self) -> PersonIn:
        if self.person_id is None and not self.name:
            raise ValueError("give a name, or the person_id of a person already in the index")
        return self


class AccusedIn(PersonIn):
    custody_status: Custody = "not_arrested"


class PartyIn(PersonIn):
    role: PartyRole
    custody_status: Custody | None = None
    witness_type: str | None = Field(None, max_length=32)
    witness_status: WitnessStatus | None = None
    protected: bool = False
    rank: str | None = Field(None, max_length=64)
    unit: str | None = Field(None, max_length=128)
    notes: str | None = Field(None, max_length=4000)


class FirIn(_In):
    number: str = Field(min_length=1, max_length=32)
    date: dt.date
    police_station_id: int = Id
    occurrence_date: dt.date | None = None
    occurrence_place: str | None = Field(None, max_length=300)
    brief_facts: str | None = Field(None, max_length=20000)

    @field_validator("date")
    @classmethod
    def _not_future(cls, value: dt.date) -> dt.date:
        if value > dt.date.today() + dt.timedelta(days=1):
            raise ValueError("the FIR date cannot be in the future")
        return value


class ChargeIn(_In):
    offence_id: int = Id
    accused_index: int | None = Field(
        None, ge=0, le=200, description="the accused (0-based in `accused`) it is against"
    )
    stage_added: ChargeStage = "fir"


class CaseCreate(_In):
    district_id: int = Id
    category: Category
    title: str | None = Field(
        None, min_length=1, max_length=300, description="made from the FIR when omitted"
    )
    restricted: bool = False
    complex: bool = False
    juvenile: bool = False
    gender_based_violence: bool = False
    court_id: int | None = Field(None, ge=1, le=MAX_ID)
    ctd_number: str | None = Field(None, max_length=64)
    court_case_number: str | None = Field(None, max_length=64)
    fir: FirIn
    offences: list[ChargeIn] = Field(min_length=1, max_length=50)
    accused: list[AccusedIn] = Field(min_length=1, max_length=200)
    complainant: PersonIn | None = None
    parties: list[PartyIn] = Field(default_factory=list, max_length=500)


class CaseUpdate(_In):
    title: str | None = Field(None, min_length=1, max_length=300)
    category: Category | None = None
    restricted: bool | None = None
    complex: bool | None = None
    juvenile: bool | None = None
    gender_based_violence: bool | None = None
    court_id: int | None = Field(None, ge=1, le=MAX_ID)
    ctd_number: str | None = Field(None, max_length=64)
    court_case_number: str | None = Field(None, max_length=64)
    occurrence_date: dt.date | None = None
    occurrence_place: str | None = Field(None, max_length=300)
    brief_facts: str | None = Field(None, max_length=20000)

    @model_validator(mode="after")
    def _no_null_required(self) -> CaseUpdate:
        for name in ("title", "category", "restricted", "complex", "juvenile", "gender_based_violence"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class TransitionIn(_In):
    to: Stage
    note: str | None = Field(None, max_length=4000)
    reason: str | None = Field(None, max_length=64, description="e.g. s265k_acquittal; needed by some moves")


class FirOut(BaseModel):
    number: str
    year: int
    date: dt.date
    police_station_id: int
    occurrence_date: dt.date | None
    occurrence_place: str | None
    brief_facts: str | None


class PersonOut(BaseModel):
    id: int
    name: str | None
    name_ur: str | None
    father_name: str | None
    cnic: str | None
    gender: str | None
    address: str | None
    phone: str | None


class PartyOut(BaseModel):
    id: int
    role: str
    person: PersonOut
    custody_status: str | None
    age: int | None
    witness_type: str | None
    witness_status: str | None
    protected: bool
    rank: str | None
    unit: str | None
    notes: str | None


class ChargeOut(BaseModel):
    id: int
    offence_id: int
    statute: str
    section: str
    title: str
    party_id: int | None
    stage_added: str


class TeamMember(BaseModel):
    prosecutor_id: int
    role: str
    since: dt.datetime


class CaseSummary(BaseModel):
    id: int
    number: str
    title: str
    stage: Stage
    category: Category
    district_id: int
    restricted: bool
    complex: bool
    fir_number: str
    fir_date: dt.date
    police_station_id: int
    court_id: int | None
    created_at: dt.datetime
    updated_at: dt.datetime


class CaseOut(BaseModel):
    id: int
    number: str
    title: str
    stage: Stage
    next_stages: list[Stage]
    category: Category
    district_id: int
    restricted: bool
    complex: bool
    juvenile: bool
    gender_based_violence: bool
    court_id: int | None
    ctd_number: str | None
    court_case_number: str | None
    returns_count: int
    stage_changed_at: dt.datetime
    judgment_date: dt.date | None
    closed_reason: str | None
    fir: FirOut
    parties: list[PartyOut]
    charges: list[ChargeOut]
    team: list[TeamMember]
    created_at: dt.datetime
    updated_at: dt.datetime


class EventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    at: dt.datetime
    actor_id: int | None
    kind: str
    summary: str
    details: dict[str, object]


class AssignmentIn(_In):
    prosecutor_id: int = Id
    role: Literal["lead", "associate"]
    reason: str | None = Field(None, max_length=2000)


class AssignmentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    prosecutor_id: int
    role: str
    started_at: dt.datetime
    ended_at: dt.datetime | None
    assigned_by: int | None
    reason: str | None
