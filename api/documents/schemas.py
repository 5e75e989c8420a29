from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

Kind = Literal[
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
]


class DocumentOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    case_id: int
    kind: Kind
    title: str
    version: int
    filename: str
    media_type: str
    size: int
    sha256: str
    confidential: bool
    has_text: bool
    scrutiny_review_id: int | None
    uploaded_by: int | None
    uploaded_at: datetime
    content_url: str
