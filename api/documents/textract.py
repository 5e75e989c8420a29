"""Text for search: from PDFs with a text layer (pypdf) and plain-text files. Best effort: a PDF
that cannot be read (scanned, encrypted, malformed) simply has no text."""

from __future__ import annotations

import logging
from pathlib import Path

from api.documents import files

log = logging.getLogger("cmms.documents")

#: what is kept per document (the search index takes a shorter slice, see ``searchable_text``)
MAX_TEXT_CHARS = 200_000
MAX_PAGES = 200


def extract(path: Path, media_type: str) -> str | None:
    if media_type == files.PDF:
        return _pdf_text(path)
    if media_type == files.TEXT:
        with path.open("r", encoding="utf-8-sig", errors="replace") as f:
            return _clean(f.read(MAX_TEXT_CHARS))
    return None


def _pdf_text(path: Path) -> str | None:
    from pypdf import PdfReader

    try:
        reader = PdfReader(path)
        if reader.is_encrypted:
            return None
        parts: list[str] = []
        size = 0
        for page in reader.pages[:MAX_PAGES]:
            text = page.extract_text() or ""
            parts.append(text)
            size += len(text)
            if size >= MAX_TEXT_CHARS:
                break
        return _clean("\n".join(parts)[:MAX_TEXT_CHARS])
    except Exception as exc:  # any malformed PDF: no text, never a failed upload
        log.info("no text extracted from a PDF: %s", type(exc).__name__)
        return None


def _clean(text: str) -> str | None:
    text = text.replace("\x00", "").strip()
    return text or None
