from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from api.pagination import MAX_ID
from api.schema_rules import IsoDate, not_null, refuse_nul

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
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)

    _no_nul = field_validator("*")(refuse_nul)


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
    date: IsoDate
    police_station_id: int = Id
    occurrence_date: IsoDate | None = None
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
    model_config = ConfigDict(
        json_schema_extra=not_null(
            "title", "category", "restricted", "complex", "juvenile", "gender_based_violence"
        )
    )

    title: str | None = Field(None, min_length=1, max_length=300)
    category: Category | None = None
    restricted: bool | None = None
    complex: bool | None = None
    juvenile: bool | None = None
    gender_based_violence: bool | None = None
    court_id: int | None = Field(None, ge=1, le=MAX_ID)
    ctd_number: str | None = Field(None, max_length=64)
    court_case_number: str | None = Field(None, max_length=64)
    occurrence_date: IsoDate | None = None
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
    etag: str = Field(description="the party's version; send it in If-Match to PATCH the party")


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
    name: str
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
    actor_name: str | None = None
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


# --- sub-resources: people, charges, police reports, scrutiny, dispositions, notes ----------------

ReportKind = Literal["interim", "final", "supplementary", "cancellation"]
ScrutinyDecision = Literal["fit", "defective_returned", "discharge_recommended"]
Outcome = Literal["convicted", "acquitted", "discharged", "compounded", "withdrawn", "abated", "consigned"]

#: the coded defects of a police report found at scrutiny (fixed vocabulary; ``other`` needs notes)
DEFECT_CODES: dict[str, str] = {
    "missing_site_plan": "Site plan (naqsha mauqa) not attached",
    "missing_medical_report": "Medico-legal / post-mortem report missing",
    "missing_forensic_report": "Forensic report (ballistics, DNA, chemical) missing",
    "missing_fsl_report": "Forensic Science Laboratory report awaited or missing",
    "missing_witness_statements_161": "Statements of witnesses under s.161 CrPC missing",
    "missing_recovery_memo": "Recovery memo (mashirnama) missing",
    "incomplete_accused_particulars": "Accused particulars incomplete (CNIC, parentage, address)",
    "wrong_sections": "Sections of law wrongly applied",
    "missing_case_property": "Case property not produced or not sealed",
    "other": "Other defect (explain in notes)",
}
DefectCode = Literal[
    "missing_site_plan",
    "missing_medical_report",
    "missing_forensic_report",
    "missing_fsl_report",
    "missing_witness_statements_161",
    "missing_recovery_memo",
    "incomplete_accused_particulars",
    "wrong_sections",
    "missing_case_property",
    "other",
]
_DEFECTS_DOC = "Coded defects: " + "; ".join(f"`{k}`: {v}" for k, v in DEFECT_CODES.items())


class PartyCreated(PartyOut):
    matched_existing: bool = Field(
        description="true when the CNIC (or person_id) linked a person already in the index "
        "instead of creating a new one"
    )


class PartyUpdate(_In):
    """Changes to a person's part in the case. ``custody_status`` only for accused and
    ``witness_status`` only for witnesses; custody changes drive the dormant/revive guards."""

    model_config = ConfigDict(json_schema_extra=not_null("custody_status", "witness_status", "protected"))

    custody_status: Custody | None = None
    witness_status: WitnessStatus | None = None
    witness_type: str | None = Field(None, max_length=32)
    protected: bool | None = None
    age: int | None = Field(None, ge=0, le=120)
    rank: str | None = Field(None, max_length=64)
    unit: str | None = Field(None, max_length=128)
    notes: str | None = Field(None, max_length=4000)

    @model_validator(mode="after")
    def _no_null_required(self) -> PartyUpdate:
        for name in ("custody_status", "witness_status", "protected"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class PersonSuggestion(BaseModel):
    id: int
    name: str
    name_ur: str | None
    father_name: str | None
    cnic: str | None = Field(description="withheld (null) for roles that do not see CNICs")
    gender: str | None
    matched_by: Literal["cnic", "name"]


class ChargeCreate(_In):
    offence_id: int = Id
    party_id: int | None = Field(
        None, ge=1, le=MAX_ID, description="the accused (a party of this case) it is against; null for all"
    )
    stage_added: ChargeStage = "fir"


class PoliceReportIn(_In):
    kind: ReportKind
    received_on: IsoDate
    notes: str | None = Field(None, max_length=4000)


class PoliceReportOut(BaseModel):
    id: int
    case_id: int
    kind: ReportKind
    received_on: dt.date
    days_from_fir: int = Field(description="days between the FIR date and receipt of this report")
    notes: str | None
    created_at: dt.datetime
    created_by: int | None


class ScrutinyIn(_In):
    police_report_id: int | None = Field(None, ge=1, le=MAX_ID)
    decision: ScrutinyDecision
    defects: list[DefectCode] = Field(default_factory=list, max_length=20, description=_DEFECTS_DOC)
    returned_on: IsoDate | None = Field(None, description="only with defective_returned")
    notes: str | None = Field(None, max_length=8000)

    @model_validator(mode="after")
    def _coherent(self) -> ScrutinyIn:
        if self.decision == "defective_returned" and not self.defects:
            raise ValueError("a defective_returned decision lists at least one defect code")
        if self.decision == "fit" and self.defects:
            raise ValueError("a report found fit has no defects")
        if self.returned_on is not None and self.decision != "defective_returned":
            raise ValueError("returned_on is only for a defective_returned decision")
        if "other" in self.defects and not self.notes:
            raise ValueError("explain the 'other' defect in notes")
        if len(set(self.defects)) != len(self.defects):
            raise ValueError("a defect code is listed twice")
        return self


class ScrutinyUpdate(_In):
    resubmitted_on: IsoDate = Field(description="when the police resubmitted the corrected report")


class ScrutinyOut(BaseModel):
    id: int
    case_id: int
    police_report_id: int | None
    decision: ScrutinyDecision
    defects: list[DefectCode] = Field(description=_DEFECTS_DOC)
    returned_on: dt.date | None
    resubmitted_on: dt.date | None
    days_from_receipt: int | None = Field(description="report received → decision, in days")
    notes: str | None
    reviewed_by: int | None
    reviewed_at: dt.datetime
    etag: str = Field(description="send it in If-Match to PATCH this review")
    suggested_transition: Stage | None = Field(
        None,
        description="the stage move this decision calls for while the case is in scrutiny "
        "(e.g. `returned` after defective_returned); the client makes it through /transitions",
    )


class DispositionIn(_In):
    party_id: int = Field(ge=1, le=MAX_ID, description="an accused of this case")
    charge_id: int | None = Field(None, ge=1, le=MAX_ID, description="a charge line of this case; null = all")
    outcome: Outcome
    sentence: str | None = Field(None, min_length=1, max_length=4000, description="only with convicted")
    reason: str | None = Field(
        None, max_length=64, description="reason code for an adverse outcome (e.g. witnesses_hostile)"
    )
    decided_on: IsoDate

    @model_validator(mode="after")
    def _sentence_only_when_convicted(self) -> DispositionIn:
        if self.sentence is not None and self.outcome != "convicted":
            raise ValueError("a sentence is recorded only with a conviction")
        return self


class DispositionOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    party_id: int
    charge_id: int | None
    outcome: Outcome
    sentence: str | None
    reason: str | None
    decided_on: dt.date
    created_at: dt.datetime
    created_by: int | None


class NoteIn(_In):
    body: str = Field(min_length=1, max_length=20000)


class NoteOut(BaseModel):
    id: int
    case_id: int
    author_id: int | None
    body: str
    created_at: dt.datetime


class ImportRowReport(BaseModel):
    row: int = Field(description="the line's number in the file (the header is row 1)")
    status: Literal["ok", "error", "duplicate"]
    errors: list[str] = Field(default_factory=list)
    fir: str | None = Field(None, description="FIR number/year of the row")
    case_number: str | None = None


class ImportReport(BaseModel):
    dry_run: bool
    imported: bool = Field(description="true when the cases were written")
    cases_created: int
    duplicates: int
    rows: list[ImportRowReport]
