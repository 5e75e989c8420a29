"""Documents: upload (streamed, hashed, type-checked), list with versions, metadata, download, and
the generated scrutiny memo. Thin: parse, call the service, shape the answer."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Annotated, BinaryIO

from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.params import Depends
from fastapi.responses import StreamingResponse

from api.audit import service as audit
from api.concurrency import etag_documented, set_etag
from api.config import get_settings
from api.db import DbSession, WriteDbSession
from api.documents import files, intake, service
from api.documents.intake import StagedUpload
from api.documents.models import KINDS, Document
from api.documents.schemas import DocumentOut, Kind
from api.documents.storage import get_storage
from api.errors import problem_responses
from api.pagination import IdPath, Page, PageParams, paginate, sorting
from api.permissions import Perm, Principal, require
from api.routing import UnitOfWorkRoute, admission_released
from api.schema_rules import TextBool

router = APIRouter(prefix="/api/v1", tags=["documents"], route_class=UnitOfWorkRoute)

Reader = Annotated[Principal, require(Perm.documents_read)]
Uploader = Annotated[Principal, require(Perm.documents_upload)]
CHUNK = 256 * 1024

UPLOAD_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["file", "kind", "title"],
                "properties": {
                    "file": {
                        "type": "string",
                        "format": "binary",
                        "description": f"{files.ALLOWED_DESCRIPTION}; the type is read from the bytes",
                    },
                    "kind": {"type": "string", "enum": list(KINDS)},
                    "title": {"type": "string", "minLength": 1, "maxLength": intake.TITLE_MAX},
                    "confidential": {"type": "boolean", "default": False},
                },
                "additionalProperties": False,
            },
            "encoding": {"file": {"contentType": "application/octet-stream"}},
        }
    },
}


def _out(doc: Document) -> DocumentOut:
    return DocumentOut(
        id=doc.id,
        case_id=doc.case_id,
        kind=doc.kind,  # type: ignore[arg-type]
        title=doc.title,
        version=doc.version,
        filename=doc.filename,
        media_type=doc.media_type,
        size=doc.size,
        sha256=doc.sha256,
        confidential=doc.confidential,
        has_text=bool(doc.text),
        scrutiny_review_id=doc.scrutiny_review_id,
        uploaded_by=doc.uploaded_by,
        uploaded_at=doc.uploaded_at,
        content_url=f"/api/v1/documents/{doc.id}/content",
    )


def _created(response: Response, doc: Document) -> DocumentOut:
    response.headers["Location"] = f"/api/v1/documents/{doc.id}"
    set_etag(response, service.ETAG_KIND, doc.id, 1)
    return _out(doc)


def _end_read_transaction(db: DbSession) -> None:
    """The access check ran in the request's (writing) transaction; end it before the body
    streams in, so a slow upload holds no database lock (SQLite's writer lock above all). Nothing
    was written yet, so this discards nothing."""
    if not (db.new or db.dirty or db.deleted):
        db.rollback()


async def staged_upload(
    request: Request, case_id: IdPath, principal: Uploader, db: DbSession
) -> StagedUpload:
    """401, 403, 404 and a Content-Length 413 are answered before a byte of the body is read."""
    limit = get_settings().max_upload_mb * intake.MIB
    intake.check_declared_size(request.headers.get("content-length"), limit)
    await run_in_threadpool(service.check_may_upload, db, principal=principal, case_id=case_id)
    await run_in_threadpool(_end_read_transaction, db)
    async with admission_released(request):  # a slow sender keeps no other request waiting
        return await intake.receive(
            content_type=request.headers.get("content-type", ""),
            content_length=request.headers.get("content-length"),
            stream=request.stream(),
            storage=get_storage(),
            limit=limit,
        )


@router.post(
    "/cases/{case_id:int}/documents",
    response_model=DocumentOut,
    status_code=201,
    name="upload",
    summary="Upload a document to a case",
    openapi_extra={"requestBody": UPLOAD_BODY},
    responses=problem_responses(401, 403, 404, 409, 413, 415, 422) | etag_documented(201),
)
def upload(
    case_id: IdPath,
    request: Request,
    response: Response,
    db: DbSession,
    principal: Uploader,
    upload: Annotated[StagedUpload, Depends(staged_upload)],
) -> DocumentOut:
    """Multipart fields ``file``, ``kind``, ``title``, optional ``confidential``. The type is
    decided from the bytes (PDF, JPEG, PNG, TIFF, DOCX, ODT, UTF-8 text; anything else 415); the
    size limit is the ``max_upload_mb`` setting (413). A new upload with the kind and title of an
    existing document becomes its next version."""
    try:
        doc = service.store_upload(
            db,
            principal=principal,
            case_id=case_id,
            upload=upload,
            storage=get_storage(),
            origin=audit.origin_of(request, principal.user_id),
        )
    finally:
        upload.discard()
    return _created(response, doc)


@router.get(
    "/cases/{case_id:int}/documents",
    response_model=Page[DocumentOut],
    name="list",
    summary="A case's documents",
    responses=problem_responses(401, 403, 404, 422),
)
def list_documents(
    case_id: IdPath,
    db: DbSession,
    paging: Annotated[PageParams, sorting(service.LIST_SORTS, "-uploaded_at")],
    principal: Reader,
    kind: Kind | None = None,
    all_versions: Annotated[TextBool, Query(description="every version, not only the latest")] = False,
) -> Page[DocumentOut]:
    """The latest version of each document (kind and title) by default. ``sort``: uploaded_at,
    title, kind, version (``-`` for descending; default ``-uploaded_at``)."""
    stmt = service.list_documents(
        db, principal=principal, case_id=case_id, kind=kind, all_versions=all_versions
    )
    rows, total = paginate(
        db, stmt, paging, allowed=service.LIST_SORTS, default_sort="-uploaded_at", tiebreak=Document.id.desc()
    )
    return Page[DocumentOut](
        items=[_out(d) for d in rows], total=total, limit=paging.limit, offset=paging.offset
    )


@router.get(
    "/documents/{document_id:int}",
    response_model=DocumentOut,
    name="get",
    summary="A document's metadata",
    responses=problem_responses(401, 403, 404, 422) | etag_documented(),
)
def get_document(document_id: IdPath, response: Response, db: DbSession, principal: Reader) -> DocumentOut:
    doc = service.get_document(db, principal=principal, document_id=document_id)
    set_etag(response, service.ETAG_KIND, doc.id, 1)
    return _out(doc)


def _chunks(f: BinaryIO) -> Iterator[bytes]:
    with f:
        while chunk := f.read(CHUNK):
            yield chunk


@router.get(
    "/documents/{document_id:int}/content",
    name="download",
    summary="Download a document",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "The bytes, as an attachment, under their type (one of the accepted ones)",
            "content": {
                media.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
                for media in files.EXTENSIONS
            },
            "headers": {
                "ETag": {"description": "the SHA-256 of the bytes, quoted", "schema": {"type": "string"}},
                "Repr-Digest": {"description": "sha-256=:<base64>: (RFC 9530)", "schema": {"type": "string"}},
                "Content-Disposition": {"schema": {"type": "string"}},
            },
        },
        **problem_responses(401, 403, 404, 422),
    },
)
def download(
    document_id: IdPath, request: Request, db: WriteDbSession, principal: Reader
) -> StreamingResponse:
    """Every download is audited. Served as an attachment with ``nosniff``; the checksum is in
    ``ETag`` and ``Repr-Digest``."""
    doc = service.download(
        db, principal=principal, document_id=document_id, origin=audit.origin_of(request, principal.user_id)
    )
    blob = get_storage().open(doc.sha256)
    digest = base64.b64encode(bytes.fromhex(doc.sha256)).decode("ascii")
    return StreamingResponse(
        _chunks(blob),
        media_type=doc.media_type,
        headers={
            "Content-Length": str(doc.size),
            "Content-Disposition": files.content_disposition(doc.filename),
            "X-Content-Type-Options": "nosniff",
            "ETag": f'"{doc.sha256}"',
            "Repr-Digest": f"sha-256=:{digest}:",
            "Cache-Control": "private, no-store",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


@router.post(
    "/cases/{case_id:int}/scrutiny/{review_id:int}/memo",
    response_model=DocumentOut,
    status_code=201,
    name="scrutiny-memo",
    summary="Generate the scrutiny memo (PDF)",
    responses=problem_responses(401, 403, 404, 409, 422) | etag_documented(201),
)
def scrutiny_memo(
    case_id: IdPath,
    review_id: IdPath,
    request: Request,
    response: Response,
    db: DbSession,
    principal: Uploader,
) -> DocumentOut:
    """Made from the case record and the review (case and FIR numbers, police station, accused with
    custody, sections, the police report and days from the FIR, decision, defects in words, dates,
    remarks, the prosecutor), stored as a ``scrutiny_memo`` document; regenerating makes version n+1."""
    doc = service.generate_scrutiny_memo(
        db,
        principal=principal,
        case_id=case_id,
        review_id=review_id,
        storage=get_storage(),
        origin=audit.origin_of(request, principal.user_id),
    )
    return _created(response, doc)
