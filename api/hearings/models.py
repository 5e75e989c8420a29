"""Hearings: a case's dates in court, who attends for the prosecution, and what happened."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, Versioned, utcnow

PURPOSES = (
    "copies",
    "charge",
    "prosecution_evidence",
    "s342",
    "defence_evidence",
    "arguments",
    "judgment",
    "bail",
    "miscellaneous",
)
OUTCOMES = ("held", "adjourned", "not_taken_up", "decided")
SIDES = ("prosecution", "defence", "court", "police", "witness", "jail", "forensic", "other")


class Hearing(Versioned, Base):
    """One date in court. ``district_id`` is the case's, copied so a district's diary is one index
    range; ``next_hearing_id`` links an adjourned hearing to the date it was put off to."""

    __tablename__ = "hearings"
    __table_args__ = (
        # the district list's whole order (the id breaks ties of a start): migration 0009
        Index("ix_hearings_district_starts", "district_id", "starts_at", "id"),
        Index("ix_hearings_prosecutor_starts", "prosecutor_id", "starts_at"),
        Index("ix_hearings_court_starts", "court_id", "starts_at"),
        Index("ix_hearings_case_starts", "case_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    court_id: Mapped[int] = mapped_column(ForeignKey("courts.id"))
    judge: Mapped[str | None] = mapped_column(String(200))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: null: the configured default (``CMMS_HEARING_MINUTES``)
    duration_minutes: Mapped[int | None] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(24))
    prosecutor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    outcome: Mapped[str | None] = mapped_column(String(16))
    adjournment_reason: Mapped[str | None] = mapped_column(String(48))
    adjournment_attributed_to: Mapped[str | None] = mapped_column(String(16))
    next_hearing_id: Mapped[int | None] = mapped_column(ForeignKey("hearings.id", ondelete="SET NULL"))
    #: case_parties ids of the witnesses examined at this hearing
    witnesses_examined: Mapped[list[Any]] = mapped_column(JSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    outcome_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome_recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
