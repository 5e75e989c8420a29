"""In-app notifications. ``notify`` is the one way other domains tell people something; it never
commits (the caller's unit of work does) and, with a ``dedupe_key``, never tells the same user the
same thing twice. ``notify_many`` is its batched form for the periodic jobs.

What a user sees: their own notifications, except those about a case they can no longer read
(moved district, changed role): those are hidden, not shown with the link cut off, because the
message itself names the case and its title. Hidden ones are left out of the unread count and of
"mark all read" alike, so the count always matches the list."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from api.cases.access import readable_filter
from api.cases.models import Case
from api.db import local_zone, utcnow
from api.errors import NotFound
from api.notifications.models import Notification
from api.pagination import SORT_ALIASES
from api.permissions import Principal

#: how many (user, key) pairs one de-duplication query checks (bind-parameter limits)
_DEDUPE_CHUNK = 400


@dataclass(frozen=True)
class Message:
    """One notification to one user (the batched form of ``notify``)."""

    user_id: int
    kind: str
    message: str
    case_id: int | None = None
    link: str | None = None
    dedupe_key: str | None = None


def notify(
    session: Session,
    *,
    user_ids: Iterable[int | None],
    kind: str,
    message: str,
    case_id: int | None = None,
    link: str | None = None,
    dedupe_key: str | None = None,
    skip_user_id: int | None = None,
) -> list[Notification]:
    """One notification per distinct user (``None`` and ``skip_user_id``, usually the actor, left
    out). ``message`` names the case by its number; ``link`` is the SPA path to open."""
    wanted = {uid for uid in user_ids if uid is not None and uid != skip_user_id}
    fresh = _unsent(
        session,
        [
            Message(
                user_id=uid, kind=kind, message=message, case_id=case_id, link=link, dedupe_key=dedupe_key
            )
            for uid in sorted(wanted)
        ],
    )
    rows = [
        Notification(
            user_id=m.user_id,
            kind=m.kind,
            message=m.message[:500],
            case_id=m.case_id,
            link=m.link,
            dedupe_key=m.dedupe_key,
        )
        for m in fresh
    ]
    session.add_all(rows)
    return rows


def notify_many(session: Session, messages: Sequence[Message]) -> list[Message]:
    """The batched ``notify`` (for the jobs): adds the messages not sent before (same user and
    ``dedupe_key``) with one de-duplication query per 400 keys and one multi-row INSERT; returns
    the messages added."""
    fresh = _unsent(session, messages)
    if fresh:
        now = utcnow()
        session.execute(
            insert(Notification),
            [
                {
                    "user_id": m.user_id,
                    "kind": m.kind,
                    "message": m.message[:500],
                    "case_id": m.case_id,
                    "link": m.link,
                    "dedupe_key": m.dedupe_key,
                    "created_at": now,
                }
                for m in fresh
            ],
        )
    return fresh


def _unsent(session: Session, messages: Sequence[Message]) -> list[Message]:
    """The messages whose (user, dedupe_key) was never sent, and not twice in ``messages`` either."""
    seen: set[tuple[int, str]] = set()
    keyed = sorted({(m.user_id, m.dedupe_key) for m in messages if m.dedupe_key is not None})
    for start in range(0, len(keyed), _DEDUPE_CHUNK):
        # (user = u AND key IN (...)) OR ...: one probe of the (user_id, dedupe_key) unique index
        # per pair on both databases (a row-value IN scans the index on SQLite)
        per_user: dict[int, list[str]] = {}
        for user_id, key in keyed[start : start + _DEDUPE_CHUNK]:
            per_user.setdefault(user_id, []).append(key)
        seen.update(
            session.execute(
                select(Notification.user_id, Notification.dedupe_key).where(
                    or_(
                        *(
                            and_(Notification.user_id == user_id, Notification.dedupe_key.in_(keys))
                            for user_id, keys in per_user.items()
                        )
                    )
                )
            ).all()
        )
    fresh: list[Message] = []
    for m in messages:
        if m.dedupe_key is not None:
            if (m.user_id, m.dedupe_key) in seen:
                continue
            seen.add((m.user_id, m.dedupe_key))
        fresh.append(m)
    return fresh


# --- wording ---------------------------------------------------------------------------------


def case_label(number: str, title: str | None) -> str:
    """``KHI-S-2026-000123 (State v. …)``: how a message names a case."""
    return f"{number} ({title})" if title else number


def case_link(case_id: int) -> str:
    return f"/cases/{case_id}"


def local_time(at: datetime) -> str:
    """``3 Dec 2026, 10:00`` in the service's zone (court times are local)."""
    local = at.astimezone(local_zone())
    return f"{local.day} {local:%b %Y, %H:%M}"


def local_day(day: Any) -> str:
    """``3 Dec 2026``."""
    return f"{day.day} {day:%b %Y}"


# --- the caller's notifications ------------------------------------------------------------------


def _visible(principal: Principal) -> ColumnElement[bool]:
    """The caller's own, and about no case or a case they may still read."""
    readable_case = exists().where(Case.id == Notification.case_id, readable_filter(principal))
    return (Notification.user_id == principal.user_id) & or_(Notification.case_id.is_(None), readable_case)


def list_stmt(principal: Principal, *, unread: bool | None = None) -> Select[tuple[Notification]]:
    stmt = (
        select(Notification)
        .where(_visible(principal))
        .execution_options(**{SORT_ALIASES: {"created_at": Notification.id}})
    )
    if unread is True:
        stmt = stmt.where(Notification.read_at.is_(None))
    elif unread is False:
        stmt = stmt.where(Notification.read_at.is_not(None))
    return stmt


#: sort fields of the list (``-created_at``, newest first, by default; ordered by id, its twin)
LIST_SORTS: dict[str, Any] = {"created_at": Notification.created_at}


def unread_count(session: Session, principal: Principal) -> int:
    """Counted on ix_notifications_user_read (user_id, read_at IS NULL)."""
    stmt = (
        select(func.count())
        .select_from(Notification)
        .where(_visible(principal), Notification.read_at.is_(None))
    )
    return int(session.scalar(stmt) or 0)


def mark_read(session: Session, *, principal: Principal, notification_id: int) -> Notification:
    """Marks one of the caller's notifications read (again: no change). Someone else's is a 404."""
    row = session.scalar(select(Notification).where(Notification.id == notification_id, _visible(principal)))
    if row is None:
        raise NotFound("No such notification.")
    if row.read_at is None:
        row.read_at = utcnow()
        session.flush()
    return row


def mark_all_read(session: Session, *, principal: Principal) -> int:
    """Marks every unread notification the caller sees as read; returns how many."""
    result = session.execute(
        update(Notification)
        .where(_visible(principal), Notification.read_at.is_(None))
        .values(read_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
