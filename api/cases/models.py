"""The case file: identity, FIR, people, charges, police reports, scrutiny, dispositions, notes,
counsel assignments and the timeline."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from api.db import Base, UTCDateTime, Versioned, utcnow

STAGES = (
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
)
CATEGORIES = ("ata", "ordinary", "special")
CUSTODY = (
    "not_arrested",
    "arrested",
    "police_remand",
    "judicial_custody",
    "on_bail",
    "absconding",
    "proclaimed_offender",
    "released",
    "discharged",
)
PARTY_ROLES = ("accused", "complainant", "victim", "witness", "investigation_officer", "defence_counsel")
WITNESS_STATUS = ("cited", "summoned", "served", "present", "examined", "given_up", "hostile")
CHARGE_STAGES = ("fir", "challan", "framed")
REPORT_KINDS = ("interim", "final", "supplementary", "cancellation")
SCRUTINY_DECISIONS = ("fit", "defective_returned", "discharge_recommended")
OUTCOMES = ("convicted", "acquitted", "discharged", "compounded", "withdrawn", "abated", "consigned")


class CaseNumberSequence(Base):
    """The last number issued per district and year (incremented atomically, so numbers are unique
    and gap-free even under concurrent filing)."""

    __tablename__ = "case_number_sequences"

    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Case(Versioned, Base):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("district_id", "year", "seq"),
        UniqueConstraint("police_station_id", "fir_year", "fir_number"),
        Index("ix_cases_district_created", "district_id", "created_at"),
        Index("ix_cases_stage_created", "stage", "created_at"),
        Index("ix_cases_fir_date", "fir_date"),
        Index("ix_cases_district_stage_fir", "district_id", "stage", "fir_date", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    stage: Mapped[str] = mapped_column(String(16), default="intake")
    stage_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    dormant_from: Mapped[str | None] = mapped_column(String(16))
    returns_count: Mapped[int] = mapped_column(Integer, default=0)
    restricted: Mapped[bool] = mapped_column(Boolean, default=False)
    complex: Mapped[bool] = mapped_column(Boolean, default=False)
    juvenile: Mapped[bool] = mapped_column(Boolean, default=False)
    gender_based_violence: Mapped[bool] = mapped_column(Boolean, default=False)
    court_id: Mapped[int | None] = mapped_column(ForeignKey("courts.id"), index=True)
    ctd_number: Mapped[str | None] = mapped_column(String(64))
    court_case_number: Mapped[str | None] = mapped_column(String(64))
    # the FIR (s.154 CrPC): one per case
    fir_number: Mapped[str] = mapped_column(String(32))
    fir_year: Mapped[int] = mapped_column(Integer)
    fir_date: Mapped[date] = mapped_column(Date)
    police_station_id: Mapped[int] = mapped_column(ForeignKey("police_stations.id"), index=True)
    occurrence_date: Mapped[date | None] = mapped_column(Date)
    occurrence_place: Mapped[str | None] = mapped_column(String(300))
    brief_facts: Mapped[str | None] = mapped_column(Text)
    judgment_date: Mapped[date | None] = mapped_column(Date)
    closed_reason: Mapped[str | None] = mapped_column(Text)
    #: the earliest upcoming hearing (kept by api.hearings)
    next_hearing_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    parties: Mapped[list[CaseParty]] = relationship(
        "CaseParty",
        back_populates="case",
        order_by="CaseParty.id",
        cascade="all, delete-orphan",
        lazy="raise",
    )
    charges: Mapped[list[Charge]] = relationship(
        "Charge", order_by="Charge.id", cascade="all, delete-orphan", lazy="raise"
    )


class Person(Base):
    """The person index: one row per real person, shared by the cases they appear in."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    name_ur: Mapped[str | None] = mapped_column(String(200))
    father_name: Mapped[str | None] = mapped_column(String(200))
    cnic: Mapped[str | None] = mapped_column(String(15), index=True)
    gender: Mapped[str | None] = mapped_column(String(16))
    birth_year: Mapped[int | None] = mapped_column(Integer)
    address: Mapped[str | None] = mapped_column(String(400))
    phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseParty(Versioned, Base):
    """A person's part in one case: accused (with custody), complainant, victim, witness, IO, counsel."""

    __tablename__ = "case_parties"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    custody_status: Mapped[str | None] = mapped_column(String(32))
    age: Mapped[int | None] = mapped_column(Integer)
    witness_type: Mapped[str | None] = mapped_column(String(32))
    witness_status: Mapped[str | None] = mapped_column(String(16))
    protected: Mapped[bool] = mapped_column(Boolean, default=False)
    rank: Mapped[str | None] = mapped_column(String(64))
    unit: Mapped[str | None] = mapped_column(String(128))
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    case: Mapped[Case] = relationship("Case", back_populates="parties", lazy="raise")
    person: Mapped[Person] = relationship("Person", lazy="joined")


class Charge(Base):
    """A charge line: an offence from the statute catalogue, optionally against one accused."""

    __tablename__ = "case_charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    offence_id: Mapped[int] = mapped_column(ForeignKey("offences.id"), index=True)
    party_id: Mapped[int | None] = mapped_column(ForeignKey("case_parties.id", ondelete="CASCADE"))
    stage_added: Mapped[str] = mapped_column(String(16), default="fir")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    added_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    offence = relationship("Offence", lazy="joined")


class PoliceReport(Base):
    """A report under s.173 CrPC (challan): interim, final, supplementary or cancellation."""

    __tablename__ = "police_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    received_on: Mapped[date] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ScrutinyReview(Versioned, Base):
    """A prosecutor's scrutiny of a police report: fit / defective and returned / discharge."""

    __tablename__ = "scrutiny_reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    police_report_id: Mapped[int | None] = mapped_column(ForeignKey("police_reports.id"))
    decision: Mapped[str] = mapped_column(String(32))
    defects: Mapped[list[Any]] = mapped_column(JSON, default=list)
    returned_on: Mapped[date | None] = mapped_column(Date)
    resubmitted_on: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    reviewed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Disposition(Base):
    """The outcome for one accused on one charge (or on the whole case when charge is empty)."""

    __tablename__ = "dispositions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    party_id: Mapped[int] = mapped_column(ForeignKey("case_parties.id", ondelete="CASCADE"), index=True)
    charge_id: Mapped[int | None] = mapped_column(ForeignKey("case_charges.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16))
    sentence: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(String(64))
    decided_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class CaseNote(Base):
    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CaseAssignment(Base):
    """A prosecutor on a case's team, with history: ``ended_at`` is set when they leave it."""

    __tablename__ = "case_assignments"
    __table_args__ = (Index("ix_case_assignments_prosecutor_case", "prosecutor_id", "case_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    prosecutor_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    role: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)


class CaseEvent(Base):
    """The case timeline: who did what, when, and why."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(32))
    summary: Mapped[str] = mapped_column(String(500))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
