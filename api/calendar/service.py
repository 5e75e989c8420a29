"""Private calendar feeds: a secret URL per user that a phone calendar polls without a bearer header.

The token is 256 bits that only the server can produce: an HMAC (keyed with a key derived from the
JWT secret) of the feed row's id, owner and creation instant. So ``GET /calendar/feed-url`` can show
the same URL again on every call while the database keeps only the token's SHA-256 (a copy of the
database reveals no feed URL). Rotating makes a new row (a new token) and revokes the old one.
Changing the JWT secret invalidates every feed URL; the next ``feed-url`` call then notices that its
token no longer matches the stored hash and issues a new one.

The feed shows what its owner may read *now*: their hearings (as the attending prosecutor) from 30
days back to 180 days ahead, and their open tasks' due dates, each only when its case is readable
under today's rules (``api.cases.access``). A deactivated user's or a revoked token's feed is a 404.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from api.audit import service as audit
from api.calendar import ics
from api.calendar.models import CalendarFeed
from api.cases.access import readable_filter
from api.cases.models import Case
from api.config import get_settings
from api.db import utcnow
from api.errors import NotFound
from api.hearings import service as hearings_service
from api.hearings.models import Hearing
from api.permissions import Principal, Role
from api.reference.models import Court
from api.tasks.models import Task
from api.users.models import User

FEED_PATH = "/api/v1/calendar/feeds/{token}.ics"
DAYS_BACK = 30
DAYS_AHEAD = 180
_KEY_LABEL = b"cmms calendar feed v1"


def _key() -> bytes:
    return hmac.new(get_settings().jwt_secret.encode(), _KEY_LABEL, hashlib.sha256).digest()


def token_of(feed: CalendarFeed) -> str:
    message = f"{feed.id}:{feed.user_id}:{feed.created_at.isoformat(timespec='microseconds')}".encode()
    digest = hmac.new(_key(), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def hash_of(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def url_of(token: str) -> str:
    return get_settings().public_url.rstrip("/") + FEED_PATH.format(token=token)


def _active_feed(session: Session, user_id: int) -> CalendarFeed | None:
    return session.scalar(
        select(CalendarFeed)
        .where(CalendarFeed.user_id == user_id, CalendarFeed.revoked_at.is_(None))
        .order_by(CalendarFeed.id.desc())
        .limit(1)
    )


def _new_feed(session: Session, user_id: int, origin: audit.Origin, *, replaces: int | None) -> str:
    # the hash needs the row's id and creation instant: insert with a placeholder, then fill it in
    feed = CalendarFeed(user_id=user_id, token_hash=secrets.token_hex(32))
    session.add(feed)
    session.flush()
    token = token_of(feed)
    feed.token_hash = hash_of(token)
    session.flush()
    audit.record(
        session,
        origin=origin,
        action="create",
        entity_type="calendar_feed",
        entity_id=feed.id,
        details={"user_id": user_id, "replaces": replaces} if replaces else {"user_id": user_id},
    )
    return token


def _revoke(session: Session, feed: CalendarFeed, origin: audit.Origin) -> None:
    feed.revoked_at = utcnow()
    session.flush()
    audit.record(
        session,
        origin=origin,
        action="delete",
        entity_type="calendar_feed",
        entity_id=feed.id,
        details={"user_id": feed.user_id},
    )


def feed_url(session: Session, *, principal: Principal, origin: audit.Origin) -> str:
    """The caller's feed URL, created on the first call (and re-issued if the server key changed)."""
    feed = _active_feed(session, principal.user_id)
    if feed is not None:
        token = token_of(feed)
        if hmac.compare_digest(hash_of(token), feed.token_hash):
            return url_of(token)
        _revoke(session, feed, origin)
    return url_of(_new_feed(session, principal.user_id, origin, replaces=feed.id if feed else None))


def rotate(session: Session, *, principal: Principal, origin: audit.Origin) -> str:
    """Revoke every live feed of the caller and issue a new one."""
    old = list(
        session.scalars(
            select(CalendarFeed).where(
                CalendarFeed.user_id == principal.user_id, CalendarFeed.revoked_at.is_(None)
            )
        )
    )
    for feed in old:
        _revoke(session, feed, origin)
    return url_of(_new_feed(session, principal.user_id, origin, replaces=old[-1].id if old else None))


# --- the feed itself ------------------------------------------------------------------------


@dataclass
class FeedOwner:
    user: User
    principal: Principal


def owner_of(session: Session, token: str) -> FeedOwner:
    """The active user whose live feed this token opens (404 for anything else)."""
    if not 20 <= len(token) <= 100:
        raise NotFound("No such calendar feed.")
    row = session.execute(
        select(CalendarFeed, User)
        .join(User, User.id == CalendarFeed.user_id)
        .where(CalendarFeed.token_hash == hash_of(token), CalendarFeed.revoked_at.is_(None))
    ).first()
    if row is None or not row.User.is_active:
        raise NotFound("No such calendar feed.")
    user = row.User
    principal = Principal(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        roles=frozenset(Role(r) for r in user.roles if r in Role.__members__),
        district_id=user.district_id,
        session_id="calendar-feed",
    )
    return FeedOwner(user=user, principal=principal)


def render_feed(session: Session, *, token: str) -> bytes:
    owner = owner_of(session, token)
    principal = owner.principal
    now = utcnow()
    hearings = session.execute(
        select(
            Hearing.id,
            Hearing.case_id,
            Hearing.starts_at,
            Hearing.duration_minutes,
            Hearing.purpose,
            Hearing.judge,
            Hearing.outcome,
            Hearing.updated_at,
            Hearing.version,
            Case.number,
            Case.title,
            Court.name.label("court_name"),
        )
        .join(Case, Case.id == Hearing.case_id)
        .join(Court, Court.id == Hearing.court_id)
        .where(
            Hearing.prosecutor_id == principal.user_id,
            Hearing.starts_at >= now - timedelta(days=DAYS_BACK),
            Hearing.starts_at < now + timedelta(days=DAYS_AHEAD),
            readable_filter(principal),
        )
        .order_by(Hearing.starts_at, Hearing.id)
    ).all()
    tasks = session.execute(
        select(
            Task.id,
            Task.title,
            Task.description,
            Task.due_date,
            Task.case_id,
            Task.updated_at,
            Task.version,
            Case.number,
        )
        .outerjoin(Case, Case.id == Task.case_id)
        .where(
            Task.assignee_id == principal.user_id,
            Task.status == "open",
            Task.due_date.is_not(None),
            or_(Task.case_id.is_(None), readable_filter(principal)),
        )
        .order_by(Task.due_date, Task.id)
    ).all()
    default = get_settings().hearing_minutes
    events = [
        ics.Entry(
            uid=f"hearing-{h.id}",
            summary=f"{h.number}: {hearings_service.PURPOSE_WORDS.get(h.purpose, h.purpose)}"
            + (f" ({hearings_service.OUTCOME_WORDS.get(h.outcome, h.outcome)})" if h.outcome else ""),
            starts=h.starts_at,
            ends=h.starts_at + timedelta(minutes=h.duration_minutes or default),
            location=h.court_name,
            description="\n".join(
                line for line in (h.title, f"Judge: {h.judge}" if h.judge else None) if line
            ),
            link=f"/cases/{h.case_id}",
            stamp=h.updated_at,
            sequence=h.version,
        )
        for h in hearings
    ]
    events += [
        ics.Entry(
            uid=f"task-{t.id}",
            summary=f"Due: {t.title}" + (f" ({t.number})" if t.number else ""),
            day=t.due_date,
            description=t.description or "",
            link=f"/cases/{t.case_id}" if t.case_id else "/tasks",
            stamp=t.updated_at,
            sequence=t.version,
        )
        for t in tasks
    ]
    return ics.build(name=f"CMMS - {owner.user.full_name}", entries=events)
