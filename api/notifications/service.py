"""In-app notifications. ``notify`` is the one way other domains tell people something; it never
commits (the caller's unit of work does) and, with a ``dedupe_key``, never tells the same user the
same thing twice."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.notifications.models import Notification


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
    if dedupe_key is not None and wanted:
        wanted -= set(
            session.scalars(
                select(Notification.user_id).where(
                    Notification.user_id.in_(wanted), Notification.dedupe_key == dedupe_key
                )
            )
        )
    rows = [
        Notification(
            user_id=uid, kind=kind, message=message[:500], case_id=case_id, link=link, dedupe_key=dedupe_key
        )
        for uid in sorted(wanted)
    ]
    session.add_all(rows)
    return rows
