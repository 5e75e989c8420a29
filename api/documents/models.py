"""The digital file: a case's documents, each upload a version of (kind, title). Bytes live in the
content-addressed store (see storage.py); a row holds the metadata, the checksum and the text."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from api.db import Base, UTCDateTime, utcnow

KINDS = (
    "fir_copy",
    "challan",
    "scrutiny_memo",
    "order",
    "forensic_report",
    "medical_report",
    "judgment",
    "application",
    "evidence",
    "correspondence",
    "other",
)


class Document(Base):
    """One version of one document of a case. Rows are never updated or deleted: a new upload of
    the same kind and title is version n+1, and the earlier versions stay listable."""

    __tablename__ = "documents"
    __table_args__ = (UniqueConstraint("case_id", "kind", "title", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(200))
    version: Mapped[int] = mapped_column(Integer)
    #: the sanitised name offered on download (never a path; the bytes live at their content address)
    filename: Mapped[str] = mapped_column(String(255))
    #: detected from the bytes, never taken from the client
    media_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    confidential: Mapped[bool] = mapped_column(Boolean, default=False)
    #: text extracted for search (PDFs with a text layer, plain text); None when there is none
    text: Mapped[str | None] = mapped_column(Text)
    #: for generated scrutiny memos: the review they were made from
    scrutiny_review_id: Mapped[int | None] = mapped_column(
        ForeignKey("scrutiny_reviews.id", ondelete="SET NULL")
    )
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
