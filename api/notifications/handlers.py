"""Case events that tell people something at once (the time-based reminders are the jobs').

- ``assignment`` → the prosecutor put on the case;
- ``hearing_scheduled`` / ``hearing_changed`` → the hearing's prosecutor (and, on a change, the
  one attending before: ``previous_prosecutor_id``) and the case's lead.

Nobody is told about their own action. Imported by ``api.registry``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from api import events
from api.cases.models import CaseAssignment
from api.notifications import service

if TYPE_CHECKING:
    from api.cases.models import Case, CaseEvent


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


def current_lead(session: Session, case_id: int) -> int | None:
    return session.scalar(
        select(CaseAssignment.prosecutor_id)
        .where(
            CaseAssignment.case_id == case_id,
            CaseAssignment.role == "lead",
            CaseAssignment.ended_at.is_(None),
        )
        .order_by(CaseAssignment.id.desc())
        .limit(1)
    )


@events.on("assignment")
def on_assignment(session: Session, event: CaseEvent, case: Case) -> None:
    details = event.details or {}
    prosecutor_id = _int(details.get("prosecutor_id"))
    if prosecutor_id is None:
        return
    role = details.get("role") or "associate"
    message = f"You were assigned as {role} on {service.case_label(case.number, case.title)}"
    reason = details.get("reason")
    if reason:
        message += f": {reason}"
    service.notify(
        session,
        user_ids=[prosecutor_id],
        kind="assignment",
        message=message,
        case_id=case.id,
        link=service.case_link(case.id),
        skip_user_id=event.actor_id,
    )


def _starts_at(details: dict[str, Any], hearing_id: int | None, session: Session) -> datetime | None:
    raw = details.get("starts_at")
    if isinstance(raw, datetime):
        return raw
    if isinstance(raw, str):
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed
    if hearing_id is not None:
        from api.hearings.models import Hearing

        return session.scalar(select(Hearing.starts_at).where(Hearing.id == hearing_id))
    return None


@events.on("hearing_scheduled", "hearing_changed")
def on_hearing(session: Session, event: CaseEvent, case: Case) -> None:
    details = event.details or {}
    hearing_id = _int(details.get("hearing_id"))
    starts_at = _starts_at(details, hearing_id, session)
    when = f" on {service.local_time(starts_at)}" if starts_at is not None else ""
    label = service.case_label(case.number, case.title)
    if event.kind == "hearing_scheduled":
        message = f"Hearing{when} in {label}"
    else:
        message = f"Hearing changed{(': now' + when) if when else ''} in {label}"
    service.notify(
        session,
        # on a change, also the prosecutor who was to attend before (taken off, or told the new time)
        user_ids=[
            _int(details.get("prosecutor_id")),
            _int(details.get("previous_prosecutor_id")),
            current_lead(session, case.id),
        ],
        kind=event.kind,
        message=message,
        case_id=case.id,
        link=service.case_link(case.id),
        skip_user_id=event.actor_id,
    )
