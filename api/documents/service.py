"""Documents of a case: storing an upload as version n+1 of its (kind, title), listing, reading and
downloading, with the confidentiality rule. Keyword-only functions taking ``session``; they never
commit (the request's unit of work does).

Confidential documents are visible only to the case team (current or past assignees), the
district prosecutor of the case's district, the prosecutor general, auditors, and whoever uploaded
them. To anyone else a confidential document does not exist (404, absent from lists), and its text
never enters the case's search index."""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, exists, func, or_, select, true
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from api.audit import service as audit
from api.cases import schemas as cases_schemas
from api.cases import service as cases_service
from api.cases.access import get_readable, get_writable, in_inner_circle
from api.cases.models import Case, CaseParty, Charge, Person, PoliceReport, ScrutinyReview
from api.config import get_settings
from api.db import utcnow
from api.documents import files, memo, textract
from api.documents.intake import StagedUpload, Stager
from api.documents.models import Document
from api.documents.storage import Storage
from api.errors import Conflict, NotFound
from api.permissions import Perm, Principal
from api.reference.models import Court, District, Offence, PoliceStation
from api.search import service as search
from api.users.models import User

ETAG_KIND = "document"
KIND_LABELS = {
    "fir_copy": "FIR copy",
    "challan": "challan",
    "scrutiny_memo": "scrutiny memo",
    "order": "order",
    "forensic_report": "forensic report",
    "medical_report": "medical report",
    "judgment": "judgment",
    "application": "application",
    "evidence": "evidence",
    "correspondence": "correspondence",
    "other": "document",
}
_VERSION_ATTEMPTS = 3


# --- who sees what --------------------------------------------------------------------------


def _visible(session: Session, principal: Principal, case: Case, doc: Any = Document) -> ColumnElement[bool]:
    if in_inner_circle(session, principal, case):
        return true()
    return or_(doc.confidential.is_(False), doc.uploaded_by == principal.user_id)


def _readable_document(session: Session, principal: Principal, document_id: int) -> tuple[Document, Case]:
    doc = session.get(Document, document_id)
    if doc is None:
        raise NotFound("No such document.")
    case = get_readable(session, principal, doc.case_id)  # hidden case: 404 as well
    if doc.confidential and not (
        doc.uploaded_by == principal.user_id or in_inner_circle(session, principal, case)
    ):
        raise NotFound("No such document.")
    return doc, case


# --- reads ----------------------------------------------------------------------------------


LIST_SORTS = {
    "uploaded_at": Document.uploaded_at,
    "title": Document.title,
    "kind": Document.kind,
    "version": Document.version,
}


def list_documents(
    session: Session,
    *,
    principal: Principal,
    case_id: int,
    kind: str | None = None,
    all_versions: bool = False,
) -> Select[tuple[Document]]:
    """The latest visible version of each (kind, title), or every version with ``all_versions``."""
    case = get_readable(session, principal, case_id)
    stmt = select(Document).where(Document.case_id == case.id, _visible(session, principal, case))
    if kind:
        stmt = stmt.where(Document.kind == kind)
    if not all_versions:
        newer = aliased(Document)
        stmt = stmt.where(
            ~exists().where(
                newer.case_id == Document.case_id,
                newer.kind == Document.kind,
                newer.title == Document.title,
                newer.version > Document.version,
                _visible(session, principal, case, newer),
            )
        )
    return stmt


def get_document(session: Session, *, principal: Principal, document_id: int) -> Document:
    return _readable_document(session, principal, document_id)[0]


def download(session: Session, *, principal: Principal, document_id: int, origin: audit.Origin) -> Document:
    """The document whose bytes the caller may fetch; the download is audited."""
    doc, case = _readable_document(session, principal, document_id)
    audit.record_read(
        session,
        origin=origin,
        action="download",
        entity_type="document",
        entity_id=doc.id,
        details={"case_id": case.id, "sha256": doc.sha256, "confidential": doc.confidential},
    )
    return doc


# --- writes ---------------------------------------------------------------------------------


def check_may_upload(session: Session, *, principal: Principal, case_id: int) -> None:
    """404 for a case the caller cannot see, before a byte of the upload is read. (Takes no lock:
    ``store_upload`` checks again, under the case's lock, once the bytes are in.)"""
    get_readable(session, principal, case_id)


def store_upload(
    session: Session,
    *,
    principal: Principal,
    case_id: int,
    upload: StagedUpload,
    storage: Storage,
    origin: audit.Origin,
) -> Document:
    stager, form = upload.stager, upload.form
    text = textract.extract(stager.path, stager.media_type)  # before any lock is taken
    filename = files.sanitize_filename(
        upload.client_filename, media_type=stager.media_type, fallback=form.title
    )
    storage.put(stager.sha256, stager.path)
    case = get_writable(session, principal, case_id, Perm.documents_upload)
    return _add_version(
        session,
        case=case,
        principal=principal,
        origin=origin,
        kind=form.kind,
        title=form.title,
        filename=filename,
        media_type=stager.media_type,
        size=stager.size,
        sha256=stager.sha256,
        confidential=form.confidential,
        text=text,
    )


def store_generated(
    session: Session,
    *,
    principal: Principal,
    case: Case,
    origin: audit.Origin,
    storage: Storage,
    content: bytes,
    kind: str,
    title: str,
    filename: str,
    scrutiny_review_id: int | None = None,
) -> Document:
    """Store bytes the service made itself (the scrutiny memo) as a version of (kind, title)."""
    stager = Stager(storage, limit=max(len(content), 1))
    try:
        stager.write(content)
        stager.finish()
        text = textract.extract(stager.path, stager.media_type)
        storage.put(stager.sha256, stager.path)
    finally:
        stager.discard()
    return _add_version(
        session,
        case=case,
        principal=principal,
        origin=origin,
        kind=kind,
        title=title,
        filename=files.sanitize_filename(filename, media_type=stager.media_type, fallback=title),
        media_type=stager.media_type,
        size=stager.size,
        sha256=stager.sha256,
        confidential=False,
        text=text,
        scrutiny_review_id=scrutiny_review_id,
    )


def _next_version(session: Session, *, case_id: int, kind: str, title: str) -> int:
    last = session.scalar(
        select(func.max(Document.version)).where(
            Document.case_id == case_id, Document.kind == kind, Document.title == title
        )
    )
    return (last or 0) + 1


def _add_version(
    session: Session,
    *,
    case: Case,
    principal: Principal,
    origin: audit.Origin,
    scrutiny_review_id: int | None = None,
    **fields: Any,
) -> Document:
    """Insert version n+1. The case row is locked (PostgreSQL) or the write transaction is
    exclusive (SQLite), so concurrent uploads queue; the unique constraint plus a retry in a
    savepoint is the backstop that keeps version numbers unique whatever happens."""
    for attempt in range(_VERSION_ATTEMPTS):
        version = _next_version(session, case_id=case.id, kind=fields["kind"], title=fields["title"])
        doc = Document(
            case_id=case.id,
            version=version,
            uploaded_by=principal.user_id,
            scrutiny_review_id=scrutiny_review_id,
            **fields,
        )
        try:
            with session.begin_nested():
                session.add(doc)
                session.flush()
            break
        except IntegrityError:
            if attempt == _VERSION_ATTEMPTS - 1:
                raise Conflict(
                    "Another version of this document was stored at the same time; retry."
                ) from None
    label = KIND_LABELS.get(doc.kind, doc.kind)
    details = {
        "document_id": doc.id,
        "kind": doc.kind,
        "title": doc.title,
        "version": doc.version,
        "filename": doc.filename,
        "sha256": doc.sha256,
        "size": doc.size,
        "confidential": doc.confidential,
    }
    cases_service.record_event(
        session,
        case=case,
        actor_id=principal.user_id,
        kind="document",
        summary=f"{'Generated' if scrutiny_review_id else 'Uploaded'} {label} “{doc.title}”"
        + (f" (version {doc.version})" if doc.version > 1 else ""),
        details=details,
    )
    audit.record(
        session, origin=origin, action="upload", entity_type="document", entity_id=doc.id, details=details
    )
    if not doc.confidential:
        search.index_case(session, case)
    return doc


# --- scrutiny memo --------------------------------------------------------------------------


def generate_scrutiny_memo(
    session: Session,
    *,
    principal: Principal,
    case_id: int,
    review_id: int,
    storage: Storage,
    origin: audit.Origin,
) -> Document:
    """Render the memo of one scrutiny review from the case record and store it as a document of
    kind ``scrutiny_memo`` (version n+1 when regenerated)."""
    case = get_writable(session, principal, case_id, Perm.documents_upload)
    review = session.scalar(
        select(ScrutinyReview).where(ScrutinyReview.id == review_id, ScrutinyReview.case_id == case.id)
    )
    if review is None:
        raise NotFound("No such scrutiny review in this case.")
    data = memo_data(session, case=case, review=review, principal=principal)
    return store_generated(
        session,
        principal=principal,
        case=case,
        origin=origin,
        storage=storage,
        content=memo.render(data),
        kind="scrutiny_memo",
        title=f"Scrutiny memo (review {review.id})",
        filename=f"scrutiny-memo-{case.number}-review-{review.id}.pdf",
        scrutiny_review_id=review.id,
    )


def memo_data(session: Session, *, case: Case, review: ScrutinyReview, principal: Principal) -> memo.MemoData:
    settings = get_settings()
    district = session.scalar(select(District.name).where(District.id == case.district_id)) or ""
    station = session.scalar(select(PoliceStation.name).where(PoliceStation.id == case.police_station_id))
    court = session.scalar(select(Court.name).where(Court.id == case.court_id)) if case.court_id else None
    report = session.get(PoliceReport, review.police_report_id) if review.police_report_id else None
    accused = session.execute(
        select(Person.name, Person.name_ur, Person.father_name, CaseParty.custody_status)
        .join(CaseParty, CaseParty.person_id == Person.id)
        .where(CaseParty.case_id == case.id, CaseParty.role == "accused")
        .order_by(CaseParty.id)
    ).all()
    sections = session.execute(
        select(Offence.statute, Offence.section, Offence.title)
        .join(Charge, Charge.offence_id == Offence.id)
        .where(Charge.case_id == case.id)
        .group_by(Offence.id, Offence.statute, Offence.section, Offence.title)
        .order_by(func.min(Charge.id))
    ).all()
    reviewer = session.scalar(select(User.full_name).where(User.id == review.reviewed_by))
    zone = ZoneInfo(settings.timezone)
    return memo.MemoData(
        case_number=case.number,
        case_title=case.title,
        district=district,
        category=case.category,
        fir_number=case.fir_number,
        fir_year=case.fir_year,
        fir_date=case.fir_date,
        police_station=station or "",
        court=court,
        decision=review.decision,
        defects=list(review.defects or []),
        defect_words=dict(getattr(cases_schemas, "DEFECT_CODES", {})),
        returned_on=review.returned_on,
        resubmitted_on=review.resubmitted_on,
        returns_count=case.returns_count,
        notes=review.notes,
        prosecutor=reviewer or principal.full_name,
        reviewed_on=review.reviewed_at.astimezone(zone).date(),
        review_id=review.id,
        report_kind=report.kind if report else None,
        report_received_on=report.received_on if report else None,
        accused=[memo.AccusedLine(*row) for row in accused],
        sections=[tuple(row) for row in sections],  # type: ignore[misc]
        generated_at=utcnow(),
        timezone=settings.timezone,
    )
