"""Where document bytes live, behind a small interface so an S3-compatible store can replace the
local one. Content-addressed: a blob's name is its SHA-256, so identical uploads share one blob
and a stored blob never changes.

Uploads are first written to a staging file (see ``staging_file``), hashed while written, then
handed to ``put`` under their checksum. A blob whose database row was rolled back stays behind
unreferenced; that is harmless (never served without a row) and a sweep can collect it."""

from __future__ import annotations

import os
import re
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Protocol

from api.config import get_settings

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


class Storage(Protocol):
    def staging_file(self) -> tuple[BinaryIO, Path]:
        """A new, private, writable file for an incoming upload (and its path)."""
        ...

    def put(self, sha256: str, staged: Path) -> None:
        """Store the staged file under its checksum; the staged file is consumed."""
        ...

    def open(self, sha256: str) -> BinaryIO:
        """The blob for reading (FileNotFoundError when absent)."""
        ...

    def exists(self, sha256: str) -> bool: ...


class LocalStorage:
    """Blobs at ``root/ab/cd/<sha256>``; staging files in ``root/.staging`` (same file system, so
    storing is an atomic rename)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if not _SHA256.match(sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def staging_file(self) -> tuple[BinaryIO, Path]:
        staging = self.root / ".staging"
        staging.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, name = tempfile.mkstemp(dir=staging, prefix="upload-")
        return os.fdopen(fd, "w+b"), Path(name)

    def put(self, sha256: str, staged: Path) -> None:
        target = self.path(sha256)
        if target.exists():  # the same bytes are already stored
            staged.unlink(missing_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(staged, 0o600)
        os.replace(staged, target)

    def open(self, sha256: str) -> BinaryIO:
        return self.path(sha256).open("rb")

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).is_file()


@lru_cache
def _local(root: str) -> LocalStorage:
    return LocalStorage(Path(root))


def get_storage() -> Storage:
    """The configured store (the local directory ``files_dir``; the seam for an S3 store)."""
    return _local(str(get_settings().files_dir))
