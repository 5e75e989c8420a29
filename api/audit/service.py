"""Append-only, hash-chained audit log. Written in the caller's transaction; never updated."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi import Request
from sqlalchemy import Select, insert, select, text
from sqlalchemy.orm import Session

from api.audit.models import AuditEntry
from api.db import audited_read, utcnow

GENESIS = "0" * 64
_PG_LOCK_KEY = 0x434D4D53  # "CMMS": serialises audit writers on PostgreSQL until commit

ACTIONS = frozenset(
    {
        "create",
        "read",
        "update",
        "delete",
        "transition",
        "assign",
        "unassign",
        "upload",
        "download",
        "login",
        "login_failed",
        "logout",
        "token_reuse",
        "export",
        "import",
        "password_reset",
        "password_change",
        "deactivate",
        "activate",
    }
)


@dataclass(frozen=True)
class Origin:
    """Who did it and from where."""

    actor_id: int | None = None
    ip: str | None = None
    request_id: str | None = None


def origin_of(request: Request, actor_id: int | None = None) -> Origin:
    return Origin(
        actor_id=actor_id,
        ip=request.client.host if request.client else None,
        request_id=getattr(request.state, "request_id", None),
    )


def _iso(at: datetime) -> str:
    return at.isoformat(timespec="microseconds")


def canonical(entry: AuditEntry) -> bytes:
    body = {
        "id": entry.id,
        "at": _iso(entry.at),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "entity_type": entry.entity_type,
        "entity_id": entry.entity_id,
        "ip": entry.ip,
        "request_id": entry.request_id,
        "details": entry.details or {},
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def compute_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(entry.prev_hash.encode("ascii") + canonical(entry)).hexdigest()


def record(
    session: Session,
    *,
    origin: Origin,
    action: str,
    entity_type: str,
    entity_id: Any = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry in the caller's transaction (so it commits or rolls back with the change)."""
    return append(session, [(origin, Pending(action, entity_type, entity_id, details), utcnow())])[0]


def record_read(
    session: Session,
    *,
    origin: Origin,
    entity_type: str,
    entity_id: Any = None,
    details: dict[str, Any] | None = None,
    action: str = "read",
) -> AuditEntry:
    """The entry of an audited read (a read of personal data, a download, the audit log itself),
    written before the answer in a short write transaction of its own when the request only reads
    (``api.db.audited_read``: on SQLite a reader's transaction cannot become a writer)."""
    with audited_read(session):
        return record(
            session,
            origin=origin,
            action=action,
            entity_type=entity_type,
            entity_id=entity_id,
            details=details,
        )


def lock_writers(session: Session) -> None:
    """Take the audit writers' lock for the rest of the transaction (PostgreSQL; SQLite has one
    writer anyway). Every audited change takes it before its entry and holds it until commit, so
    whoever holds it sees every earlier writer's committed work (api/counsel/loads.py relies on it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})


@dataclass(frozen=True)
class Pending:
    """What one entry records (for :func:`record_many` and :func:`append`)."""

    action: str
    entity_type: str
    entity_id: Any = None
    details: dict[str, Any] | None = None


def record_many(session: Session, *, origin: Origin, entries: list[Pending]) -> list[AuditEntry]:
    """Append several entries of one origin in order, chained exactly as that many :func:`record`
    calls would chain them, with one read of the chain's end and one multi-row INSERT."""
    now = utcnow()
    return append(session, [(origin, e, now) for e in entries])


def append(session: Session, items: list[tuple[Origin, Pending, datetime]]) -> list[AuditEntry]:
    """Append (who and from where, what, when) entries at the chain's end, in order: one read of
    the end and one multi-row Core INSERT (the entries are not added to the session). On
    PostgreSQL the audit writers' lock is taken first and held until commit."""
    if not items:
        return []
    for _, e, _ in items:
        if e.action not in ACTIONS:
            raise ValueError(f"unknown audit action {e.action!r}")
    lock_writers(session)
    last = session.execute(_CHAIN_END).first()
    next_id, prev = ((last.id + 1), last.hash) if last else (1, GENESIS)
    out: list[AuditEntry] = []
    for origin, e, at in items:
        entry = AuditEntry(
            id=next_id,
            at=at,
            actor_id=origin.actor_id,
            action=e.action,
            entity_type=e.entity_type,
            entity_id=None if e.entity_id is None else str(e.entity_id),
            ip=origin.ip,
            request_id=origin.request_id,
            details=json.loads(json.dumps(e.details or {}, default=str)),
            prev_hash=prev,
        )
        entry.hash = compute_hash(entry)
        out.append(entry)
        next_id, prev = next_id + 1, entry.hash
    columns = [c.key for c in AuditEntry.__table__.columns]
    session.execute(insert(AuditEntry), [{c: getattr(entry, c) for c in columns} for entry in out])
    return out


_CHAIN_END = select(AuditEntry.id, AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int
    reason: str


def verify(session: Session, *, batch: int = 5000) -> tuple[int, ChainBreak | None]:
    """Walk the chain in order; return (entries checked, first break or None)."""
    expected_prev = GENESIS
    expected_id = 1
    checked = 0
    for entry in _walk(session, batch):
        if entry.id != expected_id:
            return checked, ChainBreak(expected_id, f"entry {expected_id} is missing (next is {entry.id})")
        if entry.prev_hash != expected_prev:
            return checked, ChainBreak(entry.id, "prev_hash does not match the previous entry's hash")
        if compute_hash(entry) != entry.hash:
            return checked, ChainBreak(entry.id, "content does not match its hash (altered)")
        expected_prev = entry.hash
        expected_id += 1
        checked += 1
    return checked, None


def _walk(session: Session, batch: int) -> Iterator[AuditEntry]:
    after = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > after).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id
        session.expunge_all()


def search(
    *,
    entity_type: str | None = None,
    entity_id: str | None = None,
    actor_id: int | None = None,
    action: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Select[tuple[AuditEntry]]:
    stmt = select(AuditEntry)
    if entity_type:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    if entity_id:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if action:
        stmt = stmt.where(AuditEntry.action == action)
    if start:
        stmt = stmt.where(AuditEntry.at >= start)
    if end:
        stmt = stmt.where(AuditEntry.at < end)
    return stmt
