"""Receiving an upload without buffering it: the multipart body is parsed as it streams in, the
file part written to a staging file while hashed (SHA-256), counted against the size limit (413 as
soon as it is exceeded, or at once from Content-Length) and checked against the type allow-list
(415, early for bytes that cannot be any allowed type)."""

from __future__ import annotations

import hashlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from api.documents import files
from api.documents.models import KINDS
from api.documents.storage import Storage
from api.errors import PayloadTooLarge, UnsupportedMediaType, ValidationFailed
from api.schema_rules import TextBool

MIB = 1024 * 1024
#: room for the multipart framing and the small fields, beyond the file itself
FORM_ALLOWANCE = 64 * 1024
MAX_FIELD_BYTES = 2048
TITLE_MAX = 200


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"The file is larger than the limit of {limit // MIB} MiB.")


def refused_type() -> UnsupportedMediaType:
    return UnsupportedMediaType(f"This type of file is not accepted; send {files.ALLOWED_DESCRIPTION}.")


class Stager:
    """Writes an incoming file to a staging file while hashing, counting and type-checking it."""

    def __init__(self, storage: Storage, limit: int) -> None:
        self.limit = limit
        self._file: BinaryIO | None
        self._file, self.path = storage.staging_file()
        self._hash = hashlib.sha256()
        self.size = 0
        self._head = b""
        self._binary: str | None = None
        self._classified = False
        self._text = files.TextCheck()
        self.sha256 = ""
        self.media_type = ""

    def write(self, data: bytes) -> None:
        if not data:
            return
        self.size += len(data)
        if self.size > self.limit:
            raise too_large(self.limit)
        if not self._classified:
            self._head += data[: files.HEAD_SIZE - len(self._head)]
            if len(self._head) >= files.HEAD_SIZE:
                self._classify()
        if self._binary is None:
            self._text.feed(data)
            if self._classified and not self._text.ok:
                raise refused_type()
        self._hash.update(data)
        assert self._file is not None
        self._file.write(data)

    def _classify(self) -> None:
        self._classified = True
        self._binary = files.binary_type(self._head)

    def finish(self) -> None:
        """Close the staging file and decide the type (415) ; empty files are a 422."""
        assert self._file is not None
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._file = None
        if self.size == 0:
            raise ValidationFailed(
                "The file is empty.", errors=[{"loc": ["body", "file"], "msg": "the file is empty"}]
            )
        if not self._classified:
            self._classify()
        if self._binary == "zip":
            media_type = files.container_type(self.path)
        elif self._binary is not None:
            media_type = self._binary
        else:
            self._text.feed(b"", final=True)
            media_type = files.TEXT if self._text.ok else None
        if media_type is None:
            raise refused_type()
        self.media_type = media_type
        self.sha256 = self._hash.hexdigest()

    def discard(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        self.path.unlink(missing_ok=True)


class UploadForm(BaseModel):
    """The form fields beside ``file``."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(json_schema_extra={"enum": list(KINDS)})
    title: str = Field(min_length=1, max_length=TITLE_MAX)
    confidential: TextBool = False

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in KINDS:
            raise ValueError(f"one of {', '.join(KINDS)}")
        return value

    @field_validator("title")
    @classmethod
    def _clean_title(cls, value: str) -> str:
        cleaned = " ".join("".join(ch for ch in value if ch.isprintable() or ch == " ").split())
        if not cleaned:
            raise ValueError("a title is required")
        return cleaned


@dataclass
class StagedUpload:
    """A received upload: the file in staging, its checksum and detected type, and the fields."""

    stager: Stager
    form: UploadForm
    client_filename: str | None = None

    @property
    def path(self) -> Path:
        return self.stager.path

    def discard(self) -> None:
        self.stager.discard()


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    is_file: bool = False
    data: bytearray = field(default_factory=bytearray)


class _FormCollector:
    """python-multipart callbacks: small fields are kept; the file part's bytes are queued for the
    stager (written outside the event loop)."""

    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.file_seen = False
        self.filename: str | None = None
        self.pending: list[bytes] = []
        self._part = _Part()
        self._header_name = b""
        self._header_value = b""

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self._on_part_begin,
            "on_part_data": self._on_part_data,
            "on_part_end": self._on_part_end,
            "on_header_field": self._on_header_field,
            "on_header_value": self._on_header_value,
            "on_header_end": self._on_header_end,
            "on_headers_finished": self._on_headers_finished,
        }

    def _on_part_begin(self) -> None:
        self._part = _Part()

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._part.headers[self._header_name.lower()] = self._header_value
        self._header_name = self._header_value = b""

    def _on_headers_finished(self) -> None:
        _, options = parse_options_header(self._part.headers.get(b"content-disposition", b""))
        name = options.get(b"name")
        if name is None:
            raise ValidationFailed.at(["body"], "every form part needs a name")
        self._part.name = name.decode("utf-8", "replace")
        if self._part.name == "file":
            if self.file_seen:
                raise ValidationFailed.at(["body", "file"], "send one file per upload")
            self.file_seen = True
            self._part.is_file = True
            raw = options.get(b"filename")
            self.filename = raw.decode("utf-8", "replace") if raw is not None else None
        elif self._part.name in self.fields:
            raise ValidationFailed.at(["body", self._part.name], "given more than once")

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if self._part.is_file:
            self.pending.append(data[start:end])
            return
        self._part.data += data[start:end]
        if len(self._part.data) > MAX_FIELD_BYTES:
            raise ValidationFailed.at(["body", self._part.name], "too long")

    def _on_part_end(self) -> None:
        if self._part.is_file:
            return
        try:
            self.fields[self._part.name] = self._part.data.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed.at(["body", self._part.name], "not valid UTF-8") from None


def check_declared_size(content_length: str | None, limit: int) -> None:
    """413 before a byte of the body is read when Content-Length already says it is too large."""
    if content_length and content_length.strip().isdigit() and int(content_length) > limit + FORM_ALLOWANCE:
        raise too_large(limit)


async def receive(
    *,
    content_type: str,
    content_length: str | None,
    stream: AsyncIterator[bytes],
    storage: Storage,
    limit: int,
) -> StagedUpload:
    """Parse a ``multipart/form-data`` body (fields ``file``, ``kind``, ``title``, ``confidential``)
    from ``stream`` into a staged upload. The caller discards it if it does not store it."""
    media, params = parse_options_header(content_type)
    if media != b"multipart/form-data" or not params.get(b"boundary"):
        raise UnsupportedMediaType("Send the document as multipart/form-data.")
    check_declared_size(content_length, limit)
    collector = _FormCollector()
    parser = MultipartParser(params[b"boundary"], collector.callbacks())  # type: ignore[arg-type]
    stager = await run_in_threadpool(Stager, storage, limit)
    received = 0
    try:
        try:
            async for chunk in stream:
                received += len(chunk)
                if received > limit + FORM_ALLOWANCE:
                    raise too_large(limit)
                parser.write(chunk)
                if collector.pending:
                    data = b"".join(collector.pending)
                    collector.pending.clear()
                    await run_in_threadpool(stager.write, data)
            parser.finalize()
        except FormParserError:
            raise ValidationFailed.at(["body"], "malformed multipart body") from None
        if not collector.file_seen:
            raise ValidationFailed.at(["body", "file"], "a file is required")
        try:
            form = UploadForm.model_validate(collector.fields)
        except ValidationError as exc:
            raise ValidationFailed(
                "Invalid upload form.",
                errors=[
                    {"loc": ["body", *[str(p) for p in e["loc"]]], "msg": e["msg"]} for e in exc.errors()
                ],
            ) from None
        await run_in_threadpool(stager.finish)
    except BaseException:
        stager.discard()
        raise
    return StagedUpload(stager=stager, form=form, client_filename=collector.filename)
