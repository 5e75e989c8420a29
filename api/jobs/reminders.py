"""The time-based notifications: deadlines approaching and overdue, tomorrow's hearings.

Both jobs walk their window of rows in batches of ``BATCH`` in index order, with a keyset cursor
that the next run continues from (``state``), at most ``MAX_ROWS_PER_RUN`` rows a run; each batch
costs a fixed handful of queries (rows, cases, teams, district prosecutors, users, already-sent
keys) and one short write transaction. When the window is done the cursor wraps, and a new day
starts a new walk, so a deadline created late is reached within a few runs. ``dedupe_key`` (per
deadline, due date and kind; per hearing and day) makes every reminder go out once, whoever runs
the job and however often.

Overdue deadlines are reminded when they fell due within ``OVERDUE_LOOKBACK_DAYS``: a backlog of
old ones (an import of past cases) is the monitoring dashboard's, not a flood of messages.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from api.cases.models import Case, CaseAssignment
from api.config import get_settings
from api.db import local_date, local_zone
from api.deadlines.models import CaseDeadline
from api.hearings.models import Hearing
from api.jobs.service import SessionFactory, register
from api.notifications import senders
from api.notifications import service as notifications
from api.notifications.service import Message
from api.permissions import Role
from api.reference.models import Court, DeadlineRule, District
from api.users.models import User, UserRole

BATCH = 500
MAX_ROWS_PER_RUN = 5_000
OVERDUE_LOOKBACK_DAYS = 30
#: who a deadline rule alerts when its ``alert_roles`` is empty
DEFAULT_ALERT_ROLES = frozenset({"lead", "team"})


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=local_zone())


@dataclass(frozen=True)
class _Case:
    id: int
    number: str
    title: str
    district_id: int


def _cases(session: Session, ids: Iterable[int]) -> dict[int, _Case]:
    rows = session.execute(
        select(Case.id, Case.number, Case.title, Case.district_id).where(Case.id.in_(set(ids)))
    )
    return {r[0]: _Case(*r) for r in rows}


def _teams(session: Session, case_ids: Iterable[int]) -> dict[int, tuple[int | None, set[int]]]:
    """case id → (current lead, current associates)."""
    teams: dict[int, tuple[int | None, set[int]]] = {}
    rows = session.execute(
        select(CaseAssignment.case_id, CaseAssignment.prosecutor_id, CaseAssignment.role)
        .where(CaseAssignment.case_id.in_(set(case_ids)), CaseAssignment.ended_at.is_(None))
        .order_by(CaseAssignment.id)
    )
    for case_id, prosecutor_id, role in rows:
        lead, associates = teams.get(case_id, (None, set()))
        if role == "lead":
            lead = prosecutor_id
        else:
            associates.add(prosecutor_id)
        teams[case_id] = (lead, associates)
    return teams


def _district_prosecutors(session: Session, district_ids: Iterable[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = defaultdict(set)
    wanted = set(district_ids)
    if not wanted:
        return found
    rows = session.execute(
        select(User.district_id, User.id)
        .join(UserRole, UserRole.user_id == User.id)
        .where(
            UserRole.role == Role.district_prosecutor.value,
            User.is_active.is_(True),
            User.district_id.in_(wanted),
        )
    )
    for district_id, user_id in rows:
        found[district_id].add(user_id)
    return found


def _active_users(session: Session, ids: Iterable[int]) -> dict[int, User]:
    wanted = set(ids)
    if not wanted:
        return {}
    return {
        u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted), User.is_active.is_(True)))
    }


def _walk_state(state: dict[str, Any], today: date) -> Any:
    """The cursor to continue from: only today's (a new day walks its new window from the start)."""
    return state.get("cursor") if state.get("day") == today.isoformat() else None


# --- deadlines ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Rule:
    reference: str
    alert_days: int
    roles: frozenset[str]


def _rules(session: Session, default_days: int) -> dict[int, _Rule]:
    rules = {}
    for rule_id, code, reference, alert_days, alert_roles in session.execute(
        select(
            DeadlineRule.id,
            DeadlineRule.code,
            DeadlineRule.legal_reference,
            DeadlineRule.alert_days,
            DeadlineRule.alert_roles,
        )
    ):
        roles = frozenset(r.strip() for r in (alert_roles or "").split(",") if r.strip())
        rules[rule_id] = _Rule(
            reference=reference or code,
            alert_days=default_days if alert_days is None else alert_days,
            roles=roles or DEFAULT_ALERT_ROLES,
        )
    return rules


@register(
    "deadline_reminders",
    description="Deadlines approaching (alert days before) and overdue: the team, and the district "
    "prosecutor when overdue; e-mail copies of overdue ones.",
)
def deadline_reminders(
    session_factory: SessionFactory, now: datetime, state: dict[str, Any]
) -> dict[str, Any]:
    """Open deadlines due within their alert days → ``deadline_approaching`` to the case's lead and
    associates; past due → ``deadline_overdue`` to them and the district prosecutor."""
    settings = get_settings()
    today = local_date(now)
    session = session_factory(write=False)
    try:
        rules = _rules(session, settings.deadline_alert_days)
    finally:
        session.close()
    max_alert = max([settings.deadline_alert_days, *(r.alert_days for r in rules.values())])
    low, high = today - timedelta(days=OVERDUE_LOOKBACK_DAYS), today + timedelta(days=max_alert)
    cursor = _walk_state(state, today)
    sender = senders.email_sender(settings)
    totals = {"scanned": 0, "approaching": 0, "overdue": 0, "emails": 0}
    while totals["scanned"] < MAX_ROWS_PER_RUN:
        limit = min(BATCH, MAX_ROWS_PER_RUN - totals["scanned"])
        stmt = (
            select(
                CaseDeadline.id,
                CaseDeadline.case_id,
                CaseDeadline.rule_id,
                CaseDeadline.due_date,
            )
            .where(
                CaseDeadline.status == "open",
                CaseDeadline.due_date >= low,
                CaseDeadline.due_date <= high,
            )
            .order_by(CaseDeadline.due_date, CaseDeadline.id)
            .limit(limit)
        )
        if cursor is not None:
            after_due, after_id = date.fromisoformat(cursor[0]), int(cursor[1])
            stmt = stmt.where(
                or_(
                    CaseDeadline.due_date > after_due,
                    and_(CaseDeadline.due_date == after_due, CaseDeadline.id > after_id),
                )
            )
        session = session_factory(write=True)
        try:
            rows = session.execute(stmt).all()
            outbox = _deadline_batch(session, rows, rules, today, totals)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        for user, subject, body in outbox:
            totals["emails"] += senders.deliver(sender, user=user, subject=subject, body=body)
        totals["scanned"] += len(rows)
        if len(rows) < limit:
            cursor = None  # the window is done: the next run walks it again
            break
        cursor = [rows[-1][3].isoformat(), rows[-1][0]]
    return {"day": today.isoformat(), "cursor": cursor, **totals}


def _deadline_batch(
    session: Session,
    rows: list[tuple[int, int, int, date]],
    rules: dict[int, _Rule],
    today: date,
    totals: dict[str, int],
) -> list[tuple[User, str, str]]:
    """Notifications for one batch of deadlines; returns the e-mail copies to send after commit."""
    due: list[tuple[int, int, _Rule, date, str]] = []
    for deadline_id, case_id, rule_id, due_date in rows:
        rule = rules.get(rule_id)
        if rule is None:
            continue
        if due_date < today:
            due.append((deadline_id, case_id, rule, due_date, "overdue"))
        elif due_date <= today + timedelta(days=rule.alert_days):
            due.append((deadline_id, case_id, rule, due_date, "approaching"))
    if not due:
        return []
    cases = _cases(session, (d[1] for d in due))
    teams = _teams(session, cases)
    needs_dp = {
        cases[c].district_id
        for _, c, rule, _, kind in due
        if c in cases and (kind == "overdue" or "district_prosecutor" in rule.roles)
    }
    dps = _district_prosecutors(session, needs_dp)
    plan: list[tuple[set[int], Message]] = []
    for deadline_id, case_id, rule, due_date, kind in due:
        case = cases.get(case_id)
        if case is None:
            continue
        lead, associates = teams.get(case_id, (None, set()))
        people: set[int] = set()
        if lead is not None and rule.roles & {"lead", "team"}:
            people.add(lead)
        if "team" in rule.roles:
            people |= associates
        if kind == "overdue" or "district_prosecutor" in rule.roles:
            people |= dps.get(case.district_id, set())
        label = notifications.case_label(case.number, case.title)
        when = notifications.local_day(due_date)
        if kind == "overdue":
            days = (today - due_date).days
            text = f"Overdue: the deadline under {rule.reference} in {label} fell due on {when} ({days} day(s) ago)"
        else:
            days = (due_date - today).days
            left = "today" if days == 0 else f"in {days} day(s)"
            text = f"Deadline under {rule.reference} in {label} is due on {when} ({left})"
        template = Message(
            user_id=0,
            kind=f"deadline_{kind}",
            message=text,
            case_id=case.id,
            link=notifications.case_link(case.id),
            dedupe_key=f"deadline:{deadline_id}:{due_date.isoformat()}:{kind}",
        )
        plan.append((people, template))
    users = _active_users(session, {uid for people, _ in plan for uid in people})
    messages = [
        replace(template, user_id=uid) for people, template in plan for uid in sorted(people) if uid in users
    ]
    outbox = []
    for row in notifications.notify_many(session, messages):
        totals["overdue" if row.kind == "deadline_overdue" else "approaching"] += 1
        if row.kind == "deadline_overdue":
            outbox.append(
                (users[row.user_id], "CMMS: deadline overdue", f"{row.message}\n\n{_url(row.link)}")
            )
    return outbox


def _url(link: str | None) -> str:
    return get_settings().public_url.rstrip("/") + (link or "/")


# --- hearings ----------------------------------------------------------------------------------


@register(
    "hearing_reminders",
    description="Tomorrow's hearings: a reminder to the prosecutor attending.",
)
def hearing_reminders(
    session_factory: SessionFactory, now: datetime, state: dict[str, Any]
) -> dict[str, Any]:
    """Tomorrow's hearings (service time zone) with a prosecutor and no outcome yet →
    ``hearing_reminder`` to that prosecutor, once per hearing and day."""
    today = local_date(now)
    tomorrow = today + timedelta(days=1)
    start = _local_midnight(tomorrow)
    end = _local_midnight(tomorrow + timedelta(days=1))
    cursor = _walk_state(state, today)
    totals = {"scanned": 0, "reminded": 0}
    while totals["scanned"] < MAX_ROWS_PER_RUN:
        limit = min(BATCH, MAX_ROWS_PER_RUN - totals["scanned"])
        # one index range per district (ix_hearings_district_starts): no scan of all hearings
        stmt = (
            select(
                Hearing.id,
                Hearing.case_id,
                Hearing.prosecutor_id,
                Hearing.starts_at,
                Hearing.court_id,
            )
            .where(
                Hearing.district_id.in_(select(District.id).scalar_subquery()),
                Hearing.starts_at >= start,
                Hearing.starts_at < end,
                Hearing.prosecutor_id.is_not(None),
                Hearing.outcome.is_(None),
            )
            .order_by(Hearing.id)
            .limit(limit)
        )
        if cursor is not None:
            stmt = stmt.where(Hearing.id > int(cursor))
        session = session_factory(write=True)
        try:
            rows = session.execute(stmt).all()
            totals["reminded"] += _hearing_batch(session, rows, tomorrow)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()
        totals["scanned"] += len(rows)
        if len(rows) < limit:
            cursor = None
            break
        cursor = rows[-1][0]
    return {"day": today.isoformat(), "cursor": cursor, **totals}


def _hearing_batch(session: Session, rows: list[tuple[int, int, int, datetime, int]], day: date) -> int:
    if not rows:
        return 0
    cases = _cases(session, (r[1] for r in rows))
    courts = dict(
        session.execute(select(Court.id, Court.name).where(Court.id.in_({r[4] for r in rows}))).all()
    )
    users = _active_users(session, (r[2] for r in rows))
    messages = []
    for hearing_id, case_id, prosecutor_id, starts_at, court_id in rows:
        case = cases.get(case_id)
        if case is None or prosecutor_id not in users:
            continue
        where = f" at {courts[court_id]}" if court_id in courts else ""
        messages.append(
            Message(
                user_id=prosecutor_id,
                kind="hearing_reminder",
                message=f"Tomorrow: hearing on {notifications.local_time(starts_at)} in "
                f"{notifications.case_label(case.number, case.title)}{where}",
                case_id=case.id,
                link=notifications.case_link(case.id),
                dedupe_key=f"hearing:{hearing_id}:{day.isoformat()}",
            )
        )
    return len(notifications.notify_many(session, messages))
