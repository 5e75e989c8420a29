"""A case's statutory clocks, computed from the deadline rules (``reference.DeadlineRule``) when the
triggering event happens and met when the awaited event happens. Stored, so "overdue in my
district" is one index range at any scale."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, Versioned, utcnow

STATUSES = ("open", "met", "waived")


class CaseDeadline(Versioned, Base):
    """``source`` tells which occurrence of the trigger started the clock (``case`` for the FIR,
    ``report:<id>`` for a police report…), so a rule that fires several times keeps one row each.
    Versioned: a waiver (``PATCH`` with If-Match) cannot overwrite a clock met meanwhile."""

    __tablename__ = "case_deadlines"
    __table_args__ = (
        UniqueConstraint("case_id", "rule_id", "source"),
        Index("ix_case_deadlines_district_status_due", "district_id", "status", "due_date"),
        Index("ix_case_deadlines_status_due", "status", "due_date"),
        # lists of every status in due-date order: a district's, or the province's
        Index("ix_case_deadlines_district_due", "district_id", "due_date"),
        Index("ix_case_deadlines_due", "due_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"))
    rule_id: Mapped[int] = mapped_column(ForeignKey("deadline_rules.id"))
    source: Mapped[str] = mapped_column(String(64), default="case")
    triggered_on: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    met_on: Mapped[date | None] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
