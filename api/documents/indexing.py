"""What a case's documents add to its full-text index (called by api.search; imports nothing
from it, so the two packages never import each other in a circle)."""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session, aliased

from api.documents.models import Document

#: per document and per case, what goes into the full-text index
INDEX_CHARS_PER_DOCUMENT = 20_000
INDEX_CHARS_PER_CASE = 100_000


def searchable_text(session: Session, case_id: int) -> str:
    """What the case's documents add to its full-text index: titles and extracted text of the
    latest version of each non-confidential document, truncated (used by api.search)."""
    newer = aliased(Document)
    rows = session.execute(
        select(Document.title, func.substr(Document.text, 1, INDEX_CHARS_PER_DOCUMENT))
        .where(
            Document.case_id == case_id,
            Document.confidential.is_(False),
            ~exists().where(
                newer.case_id == Document.case_id,
                newer.kind == Document.kind,
                newer.title == Document.title,
                newer.version > Document.version,
            ),
        )
        .order_by(Document.id)
    ).all()
    parts: list[str] = []
    size = 0
    for title, text in rows:
        for part in (title, text):
            if part and size < INDEX_CHARS_PER_CASE:
                part = part[: INDEX_CHARS_PER_CASE - size]
                parts.append(part)
                size += len(part)
    return " ".join(parts)
