"""The workload tables: what each prosecutor carries per district, and each district's case counts,
kept exact in the writer's transaction by api/counsel/loads.py (read by ``GET /api/v1/workload``).
``cmms workload rebuild`` recomputes them from the assignments (after changing the weights, after a
bulk load)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from api.cases.models import CaseAssignment
from api.db import Base, UTCDateTime, utcnow


class ProsecutorLoad(Base):
    """One prosecutor's current places on one district's cases that are not closed (a row only
    while they hold at least one). ``weights_key`` names the weights ``weighted_load`` was
    computed with (rows with another key are not used: the figures are recomputed live)."""

    __tablename__ = "prosecutor_loads"
    __table_args__ = (Index("ix_prosecutor_loads_prosecutor", "prosecutor_id"),)

    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True)
    prosecutor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    open_cases: Mapped[int] = mapped_column(Integer, default=0)
    lead_cases: Mapped[int] = mapped_column(Integer, default=0)
    associate_cases: Mapped[int] = mapped_column(Integer, default=0)
    dormant_cases: Mapped[int] = mapped_column(Integer, default=0)
    weighted_load: Mapped[float] = mapped_column(Float, default=0.0)
    weights_key: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class DistrictLoad(Base):
    """A district's cases that are not closed: open (neither closed nor dormant), dormant, and open
    with nobody currently on them. A district without a row has not been counted yet."""

    __tablename__ = "district_loads"

    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"), primary_key=True)
    open_cases: Mapped[int] = mapped_column(Integer, default=0)
    dormant_cases: Mapped[int] = mapped_column(Integer, default=0)
    unassigned_open_cases: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


#: a prosecutor's current places as one index range, covering what a recount reads of them
#: (declared here, next to the recount that needs it; the table is api/cases/models.py's)
CURRENT_PLACES = Index(
    "ix_case_assignments_prosecutor_current",
    CaseAssignment.__table__.c.prosecutor_id,
    CaseAssignment.__table__.c.ended_at,
    CaseAssignment.__table__.c.case_id,
    CaseAssignment.__table__.c.role,
)
