"""Request limits enforced in one place, before any endpoint parses anything: the body size (413)
and UTF-8 in query strings and url-encoded forms (400). A pure ASGI middleware, so an oversize body
is counted as it arrives and abandoned at the limit, never read whole into memory."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.config import Settings
from api.errors import http_exception_handler

KIB = 1024
MIB = 1024 * KIB
#: room for the multipart framing and the small fields beside the file (as api.documents.intake)
FORM_ALLOWANCE = 64 * KIB
METHODS_WITH_BODY = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class BodyTooLarge(StarletteHTTPException):
    """Raised from ``receive`` inside the app, so the app's handlers answer it as problem+json."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            status_code=413, detail=f"The request body is larger than the limit of {_size(limit)}."
        )


class NotUtf8(StarletteHTTPException):
    def __init__(self, what: str) -> None:
        super().__init__(
            status_code=400, detail=f"The {what} is not valid percent-encoded UTF-8 (or holds a NUL)."
        )


def _size(limit: int) -> str:
    return f"{limit // MIB} MiB" if limit % MIB == 0 else f"{limit // KIB} KiB"


def _well_encoded(encoded: bytes) -> bool:
    """Whether a query string or url-encoded form body is ASCII that percent-decodes to UTF-8
    without NUL (raw bytes outside ASCII would be read as Latin-1, percent-escapes of bad UTF-8 as
    U+FFFD: both would silently change what was sent; PostgreSQL cannot take a NUL)."""
    if not encoded.isascii():
        return False
    if b"%" not in encoded:
        return True
    decoded = unquote_to_bytes(encoded)
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return b"\x00" not in decoded


class RequestLimits:
    """The size limit is ``max_body_kb`` for every body except ``multipart/form-data`` (file uploads),
    which may reach ``max_upload_mb`` plus the form's framing (the documents intake checks the file
    itself exactly). A declared ``Content-Length`` over the limit is refused before a byte is read;
    otherwise the bytes are counted as they arrive and the request fails as soon as they pass it."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    def limit_for(self, media_type: bytes) -> int:
        if media_type == b"multipart/form-data":
            return self.settings.max_upload_mb * MIB + FORM_ALLOWANCE
        return self.settings.max_body_kb * KIB

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = scope.get("query_string", b"")
        if query and not _well_encoded(query):
            await _refuse(scope, receive, send, NotUtf8("query string"))
            return
        if scope["method"] not in METHODS_WITH_BODY:
            await self.app(scope, receive, send)
            return
        content_type = b""
        declared: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value
            elif name == b"content-length":
                declared = value
        media_type = content_type.split(b";", 1)[0].strip().lower()
        limit = self.limit_for(media_type)
        if declared is not None and declared.strip().isdigit() and int(declared) > limit:
            await _refuse(scope, receive, send, BodyTooLarge(limit))
            return
        form = media_type == b"application/x-www-form-urlencoded"
        received = 0
        buffered = bytearray()

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                received += len(chunk)
                if received > limit:
                    raise BodyTooLarge(limit)
                if form:
                    buffered.extend(chunk)
                    if not message.get("more_body", False) and not _well_encoded(bytes(buffered)):
                        raise NotUtf8("form body")
            return message

        await self.app(scope, counted, send)


async def _refuse(scope: Scope, receive: Receive, send: Send, exc: StarletteHTTPException) -> None:
    """Answer before the app runs (nothing read, nothing stored), in the app's one error shape."""
    # without the query string: Starlette's Request.url cannot decode one that is not UTF-8
    response = await http_exception_handler(Request({**scope, "query_string": b""}), exc)
    await response(scope, receive, send)
