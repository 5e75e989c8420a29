"""What an uploaded file is and what it may be called: the type allow-list by magic bytes (never the
client's content type or extension) and filename sanitising."""

from __future__ import annotations

import re
import unicodedata
import zipfile
from pathlib import Path
from urllib.parse import quote

PDF = "application/pdf"
JPEG = "image/jpeg"
PNG = "image/png"
TIFF = "image/tiff"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
TEXT = "text/plain; charset=utf-8"

#: extensions a file of each type may carry (the first is added when the name has none of them)
EXTENSIONS: dict[str, tuple[str, ...]] = {
    PDF: (".pdf",),
    JPEG: (".jpg", ".jpeg"),
    PNG: (".png",),
    TIFF: (".tif", ".tiff"),
    DOCX: (".docx",),
    ODT: (".odt",),
    TEXT: (".txt",),
}
ALLOWED_DESCRIPTION = "PDF, JPEG, PNG, TIFF, DOCX, ODT or plain UTF-8 text"

#: bytes needed to recognise every binary type
HEAD_SIZE = 16
_ZIP = b"PK\x03\x04"


def binary_type(head: bytes) -> str | None:
    """The type the first bytes announce, or None (perhaps text, perhaps refused). ZIP containers
    are ``"zip"`` until ``container_type`` looked inside."""
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    if head.startswith(_ZIP):
        return "zip"
    return None


def container_type(path: Path) -> str | None:
    """DOCX (a ZIP with ``[Content_Types].xml`` and ``word/`` parts) or ODT (a ZIP whose
    ``mimetype`` entry names an OpenDocument text); None for any other archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            names = archive.namelist()
            if "mimetype" in names:
                info = archive.getinfo("mimetype")
                if info.file_size <= 100:
                    with archive.open(info) as f:
                        if f.read(100).strip() == ODT.encode():
                            return ODT
            if "[Content_Types].xml" in names and any(n.startswith("word/") for n in names):
                return DOCX
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
        return None
    return None


#: C0/C1 controls other than tab, line feed, form feed and carriage return
_TEXT_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")


class TextCheck:
    """Fed the bytes as they stream in: stays ``ok`` while they are valid UTF-8 without NULs or
    other control characters, and do not open with markup (HTML, XML, SVG are not plain text)."""

    def __init__(self) -> None:
        import codecs

        self._decoder = codecs.getincrementaldecoder("utf-8")()
        self.ok = True
        self._started = False

    def feed(self, data: bytes, *, final: bool = False) -> None:
        if not self.ok:
            return
        try:
            text = self._decoder.decode(data, final=final)
        except UnicodeDecodeError:
            self.ok = False
            return
        if _TEXT_CONTROLS.search(text):
            self.ok = False
            return
        if not self._started:
            stripped = text.lstrip("\ufeff \t\r\n\f")
            if stripped:
                self._started = True
                if stripped.startswith("<"):
                    self.ok = False


# --- names ----------------------------------------------------------------------------------

MAX_NAME_CHARS = 150
_BIDI_CONTROLS = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
_RESERVED = re.compile(r'[<>:"/\\|?*]')
_WINDOWS_DEVICES = re.compile(r"^(con|prn|aux|nul|com\d|lpt\d)(\.|$)", re.IGNORECASE)


def sanitize_filename(raw: str | None, *, media_type: str, fallback: str) -> str:
    """A safe display name: the last path component only (``/`` and ``\\`` separators, drive
    letters), no control or bidi-override characters, no characters Windows refuses, NFC Unicode
    (Urdu kept), at most 150 characters, ending in an extension of the detected type."""
    name = unicodedata.normalize("NFC", raw or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = re.sub(r"^[A-Za-z]:", "", name)
    name = "".join(ch for ch in name if unicodedata.category(ch) != "Cc")
    name = _BIDI_CONTROLS.sub("", name)
    name = _RESERVED.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" .")
    if not name or set(name) <= {".", "_", " "}:
        name = _safe_stem(fallback)
    if _WINDOWS_DEVICES.match(name):
        name = f"_{name}"
    allowed = EXTENSIONS.get(media_type, ())
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    if allowed and f".{ext.lower()}" not in allowed:
        stem, ext = name, allowed[0][1:]
    stem = stem[: MAX_NAME_CHARS - len(ext) - 1].rstrip(" .") or "document"
    return f"{stem}.{ext}" if ext else stem


def _safe_stem(title: str) -> str:
    stem = _RESERVED.sub("_", "".join(ch for ch in title if unicodedata.category(ch) != "Cc"))
    return re.sub(r"\s+", " ", stem).strip(" .") or "document"


def content_disposition(filename: str) -> str:
    """``attachment`` with an ASCII fallback name and the exact UTF-8 name (RFC 6266 / 8187)."""
    ascii_name = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\%' else "_" for ch in filename)
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
