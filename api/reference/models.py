"""Reference data: districts, courts, police stations, the statute catalogue, adjournment reasons,
holidays and deadline rules. Loaded from the versioned CSV files in ``api/reference/data``; admins
edit them through the API. ``source`` and the uncertainty columns stay visible to admins."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, Date, ForeignKey, Integer, String, Text, UniqueConstraint, and_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, Versioned


class District(Versioned, Base):
    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    name_ur: Mapped[str | None] = mapped_column(String(100))
    province: Mapped[str] = mapped_column(String(64), index=True)
    division: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(32), default="active")
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))


class Court(Versioned, Base):
    __tablename__ = "courts"
    __table_args__ = (UniqueConstraint("province", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    province: Mapped[str] = mapped_column(String(64))
    division: Mapped[str | None] = mapped_column(String(64))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    court_type: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(32), default="active")
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))

    @hybrid_property
    def sitting(self) -> bool:
        """Still sits: every status but ``abolished-*`` and ``historical-*`` (a court whose status
        is only to be confirmed is taken to sit; the data keeps closed courts for old cases)."""
        return not self.status.startswith(("abolished", "historical"))

    @sitting.inplace.expression
    @classmethod
    def _sitting(cls) -> ColumnElement[bool]:
        return and_(cls.status.notlike("abolished%"), cls.status.notlike("historical%"))


class PoliceStation(Versioned, Base):
    __tablename__ = "police_stations"
    __table_args__ = (UniqueConstraint("district_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    police_district: Mapped[str | None] = mapped_column(String(64))
    district_basis: Mapped[str] = mapped_column(String(16), default="source")
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))


class Offence(Versioned, Base):
    __tablename__ = "offences"
    __table_args__ = (UniqueConstraint("statute", "section"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    statute: Mapped[str] = mapped_column(String(32), index=True)
    section: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    ata_scheduled: Mapped[str] = mapped_column(String(16))
    bailable: Mapped[str] = mapped_column(String(16))
    cognizable: Mapped[str] = mapped_column(String(16))
    compoundable: Mapped[str] = mapped_column(String(16))
    max_punishment: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    verification: Mapped[str | None] = mapped_column(String(32))
    source: Mapped[str | None] = mapped_column(String(200))


class AdjournmentReason(Versioned, Base):
    __tablename__ = "adjournment_reasons"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(48), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    label_ur: Mapped[str | None] = mapped_column(String(200))
    attributed_to: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)


class Holiday(Versioned, Base):
    __tablename__ = "holidays"
    __table_args__ = (UniqueConstraint("date", "name", "scope"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    date: Mapped[date] = mapped_column(Date, index=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(64))
    scope: Mapped[str] = mapped_column(String(32))
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))


class DeadlineRule(Versioned, Base):
    __tablename__ = "deadline_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    trigger_event: Mapped[str] = mapped_column(Text)
    offset_days: Mapped[int | None] = mapped_column(Integer)
    offset_months: Mapped[int | None] = mapped_column(Integer)
    day_kind: Mapped[str] = mapped_column(String(16))
    applies_to: Mapped[str] = mapped_column(Text)
    legal_reference: Mapped[str] = mapped_column(Text)
    confidence: Mapped[str] = mapped_column(String(32))
    effective_from: Mapped[date | None] = mapped_column(Date)
    effective_to: Mapped[date | None] = mapped_column(Date)
    notes: Mapped[str | None] = mapped_column(Text)
    source: Mapped[str | None] = mapped_column(String(200))
    # the machine side of the rule (null trigger: kept for reference, never computed)
    #: the case event that starts the clock (see api.deadlines for the vocabulary)
    trigger: Mapped[str | None] = mapped_column(String(32))
    #: starts when another rule's period ends (the interim report: 3 days after the 14)
    after_rule: Mapped[str | None] = mapped_column(String(64))
    #: the case event that meets the deadline
    met_by: Mapped[str | None] = mapped_column(String(32))
    #: jurisdiction; null = everywhere
    province: Mapped[str | None] = mapped_column(String(64))
    case_category: Mapped[str | None] = mapped_column(String(16))
    court_type: Mapped[str | None] = mapped_column(String(32))
    #: days before the due date when the people alerted are reminded (null: the setting)
    alert_days: Mapped[int | None] = mapped_column(Integer)
    #: comma-separated: lead, team, district_prosecutor
    alert_roles: Mapped[str | None] = mapped_column(String(100))
