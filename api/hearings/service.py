"""Hearings: scheduling with clash warnings, outcomes (adjournments with a reason and the side it is
attributed to, the next date, witnesses examined), the case's next hearing, lists and cause lists.

Keyword-only functions taking ``session``; they never commit. Everything hangs off a case: a hearing
is visible exactly when its case is readable (``api.cases.access``), and writable when the case is
writable for ``Perm.hearings_write``.

Times: ``starts_at`` is stored in UTC and must arrive with an offset (a naive date-time is a 422).
Local dates (a cause list's day, a next date, Sundays and holidays) are in ``settings.timezone``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, Select, String, bindparam, exists, literal, null, select, union_all, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from api.audit import service as audit
from api.cases import service as cases_service
from api.cases.access import attached_scope, get_writable, only_district, readable_filter, stand_in
from api.cases.models import Case, CaseAssignment, CaseParty, Person
from api.concurrency import check_if_match
from api.config import get_settings
from api.db import local_zone, one_of, utcnow
from api.errors import Conflict, NotFound, ValidationFailed
from api.hearings.models import Hearing
from api.hearings.schemas import ConflictOut, HearingCheck, HearingCreate, HearingUpdate
from api.pagination import COUNT_CAP, DEFAULT_COUNT_CAP
from api.permissions import Perm, Principal, Role
from api.reference.models import AdjournmentReason, Court, Holiday, PoliceStation
from api.users.models import User, UserRole

ETAG_KIND = "hearing"
#: a court's usual sitting time, when a next date comes without a time
COURT_TIME = time(9, 0)
#: no hearing lasts longer (the schema's cap): the clash search looks this far back
MAX_MINUTES = 24 * 60
#: starts_at must fall in this window (typos like year 2062 are refused)
EARLIEST = datetime(1990, 1, 1, tzinfo=ZoneInfo("UTC"))
LATEST_YEARS_AHEAD = 5
PURPOSE_WORDS = {
    "copies": "supply of copies",
    "charge": "charge",
    "prosecution_evidence": "prosecution evidence",
    "s342": "statement of accused (s.342)",
    "defence_evidence": "defence evidence",
    "arguments": "arguments",
    "judgment": "judgment",
    "bail": "bail",
    "miscellaneous": "miscellaneous",
}
OUTCOME_WORDS = {
    "held": "held",
    "adjourned": "adjourned",
    "not_taken_up": "not taken up",
    "decided": "decided",
}
#: holiday scopes that close the courts (besides the court's own province)
COURT_HOLIDAY_SCOPES = ("federal",)
SCHEDULE_FIELDS = ("court_id", "starts_at", "purpose", "judge", "prosecutor_id", "duration_minutes", "notes")
OUTCOME_FIELDS = ("outcome", "adjournment", "next_date", "next_time", "next_purpose", "witnesses_examined")
#: roles that may attend a hearing for the prosecution when they belong to the case's district
ATTENDING_ROLES = (Role.prosecutor.value, Role.district_prosecutor.value)


# --- time helpers ---------------------------------------------------------------------------


def minutes_of(hearing: Hearing) -> int:
    return length(hearing.duration_minutes)


def length(duration_minutes: int | None) -> int:
    """A hearing's length: its own, or the setting when none was given."""
    return duration_minutes or get_settings().hearing_minutes


def local(at: datetime) -> datetime:
    return at.astimezone(local_zone())


def when(at: datetime) -> str:
    """``3 Dec 2026 10:00`` in local time (timeline entries, messages)."""
    t = local(at)
    return f"{t.day} {t:%b %Y %H:%M}"


def day_words(d: date) -> str:
    return f"{d.day} {d:%b %Y}"


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """The UTC instants a local day starts and ends (the end exclusive). At the calendar's edges
    (0001-01-01 east of UTC, 9999-12-31) a bound is the first or last instant there is."""
    end = _midnight(day + timedelta(days=1)) if day < date.max else datetime.max.replace(tzinfo=UTC)
    return _midnight(day), end


def _midnight(day: date) -> datetime:
    try:
        return datetime.combine(day, time(0), local_zone()).astimezone(UTC)
    except OverflowError:  # no UTC instant that early (or late)
        return (datetime.min if day.year == 1 else datetime.max).replace(tzinfo=UTC)


# --- lookups --------------------------------------------------------------------------------


def _court(session: Session, court_id: int, loc: list[str | int]) -> Court:
    court = session.get(Court, court_id)
    if court is None:
        raise ValidationFailed.at(loc, "No such court.")
    if not court.sitting:
        raise ValidationFailed.at(loc, f"{court.name} no longer sits ({court.status}).")
    return court


def lead_of(session: Session, case_id: int) -> int | None:
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


def _check_prosecutor(session: Session, case: Case, prosecutor_id: int, loc: list[str | int]) -> None:
    """An active user on the case's current team, or a prosecutor (or the district prosecutor) of
    the case's district."""
    on_team = exists().where(
        CaseAssignment.case_id == case.id,
        CaseAssignment.prosecutor_id == User.id,
        CaseAssignment.ended_at.is_(None),
    )
    of_district = (User.district_id == case.district_id) & exists().where(
        UserRole.user_id == User.id, UserRole.role.in_(ATTENDING_ROLES)
    )
    ok = session.scalar(
        select(exists().where(User.id == prosecutor_id, User.is_active.is_(True), on_team | of_district))
    )
    if not ok:
        raise ValidationFailed.at(loc, "Not an active prosecutor of this case's team or of its district.")


def _check_starts(starts_at: datetime, loc: list[str | int]) -> None:
    latest = utcnow() + timedelta(days=366 * LATEST_YEARS_AHEAD)
    if not EARLIEST <= starts_at <= latest:
        raise ValidationFailed.at(
            loc, f"A hearing date must lie between 1990 and {LATEST_YEARS_AHEAD} years from now."
        )


def court_holiday(session: Session, day: date, province: str | None) -> str | None:
    """The name of the public holiday closing the courts of ``province`` on ``day``, if any."""
    scopes = [*COURT_HOLIDAY_SCOPES, *([province] if province else [])]
    return session.scalar(
        select(Holiday.name)
        .where(Holiday.date == day, Holiday.scope.in_(scopes))
        .order_by(Holiday.id)
        .limit(1)
    )


def _visible_hearing(session: Session, principal: Principal, hearing_id: int) -> Hearing:
    hearing = session.scalar(
        select(Hearing)
        .join(Case, Case.id == Hearing.case_id)
        .where(Hearing.id == hearing_id, readable_filter(principal))
    )
    if hearing is None:
        raise NotFound("No such hearing.")
    return hearing


# --- clashes --------------------------------------------------------------------------------


def find_conflicts(
    session: Session,
    principal: Principal,
    *,
    prosecutor_id: int | None,
    starts_at: datetime,
    minutes: int,
    exclude: Iterable[int] = (),
) -> list[ConflictOut]:
    """The prosecutor's other hearings overlapping [starts_at, starts_at + minutes). Back to back is
    not a clash. One range scan of ix_hearings_prosecutor_starts: a hearing lasts at most a day, so
    any overlapping one starts less than a day before this one ends."""
    if prosecutor_id is None:
        return []
    end = starts_at + timedelta(minutes=minutes)
    skip = set(exclude)
    rows = session.execute(
        select(
            Hearing.id,
            Hearing.case_id,
            Case.number,
            Hearing.court_id,
            Court.name,
            Hearing.starts_at,
            Hearing.duration_minutes,
        )
        .join(Case, Case.id == Hearing.case_id)
        .join(Court, Court.id == Hearing.court_id)
        .where(
            Hearing.prosecutor_id == prosecutor_id,
            Hearing.starts_at > starts_at - timedelta(minutes=MAX_MINUTES),
            Hearing.starts_at < end,
        )
        .order_by(Hearing.starts_at, Hearing.id)
    ).all()
    default = get_settings().hearing_minutes
    clashes = []
    for row in rows:
        other_end = row.starts_at + timedelta(minutes=row.duration_minutes or default)
        if row.id in skip or other_end <= starts_at:
            continue
        clashes.append((row, other_end))
    if not clashes:
        return []
    readable = set(
        session.scalars(
            select(Case.id).where(Case.id.in_({r.case_id for r, _ in clashes}), readable_filter(principal))
        )
    )
    return [
        ConflictOut(
            hearing_id=r.id,
            case_id=r.case_id if r.case_id in readable else None,
            case_number=r.number if r.case_id in readable else None,
            court_id=r.court_id,
            court_name=r.name,
            starts_at=r.starts_at,
            ends_at=other_end,
        )
        for r, other_end in clashes
    ]


def check(session: Session, *, principal: Principal, data: HearingCheck) -> list[ConflictOut]:
    """The clashes a hearing would have, validated like a creation but writing nothing."""
    case = get_writable(session, principal, data.case_id, Perm.hearings_write)
    prosecutor_id = _prosecutor_for(session, case, data)
    _court(session, data.court_id, ["body", "court_id"])
    _check_starts(data.starts_at, ["body", "starts_at"])
    return find_conflicts(
        session,
        principal,
        prosecutor_id=prosecutor_id,
        starts_at=data.starts_at,
        minutes=data.duration_minutes or get_settings().hearing_minutes,
        exclude=[data.hearing_id] if data.hearing_id else [],
    )


def _prosecutor_for(session: Session, case: Case, data: HearingCreate) -> int | None:
    if "prosecutor_id" not in data.model_fields_set:
        return lead_of(session, case.id)
    if data.prosecutor_id is not None:
        _check_prosecutor(session, case, data.prosecutor_id, ["body", "prosecutor_id"])
    return data.prosecutor_id


# --- the case's next hearing ----------------------------------------------------------------


def refresh_next_hearing(session: Session, case: Case) -> None:
    """``cases.next_hearing_at`` = the earliest hearing still ahead without an outcome. Written with
    a plain UPDATE: it is derived data, so it neither moves the case's version (nobody's If-Match on
    the case goes stale because a hearing was scheduled) nor its updated_at."""
    value = session.scalar(
        select(Hearing.starts_at)
        .where(Hearing.case_id == case.id, Hearing.outcome.is_(None), Hearing.starts_at > utcnow())
        .order_by(Hearing.starts_at)
        .limit(1)
    )
    if value == case.next_hearing_at:
        return
    session.execute(
        update(Case)
        .where(Case.id == case.id)
        .values(next_hearing_at=value, updated_at=Case.updated_at)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(case, "next_hearing_at", value)


# --- create ---------------------------------------------------------------------------------


def _describe(hearing: Hearing, court_name: str) -> str:
    return (
        f"{when(hearing.starts_at)} at {court_name} for {PURPOSE_WORDS.get(hearing.purpose, hearing.purpose)}"
    )


def _event_details(hearing: Hearing, **extra: Any) -> dict[str, Any]:
    return {
        "hearing_id": hearing.id,
        "prosecutor_id": hearing.prosecutor_id,
        "starts_at": hearing.starts_at.isoformat(),
        "court_id": hearing.court_id,
        "purpose": hearing.purpose,
        **extra,
    }


def _schedule(
    session: Session,
    *,
    case: Case,
    court: Court,
    actor_id: int | None,
    starts_at: datetime,
    purpose: str,
    prosecutor_id: int | None,
    judge: str | None,
    duration_minutes: int | None,
    notes: str | None,
    origin: audit.Origin,
    previous: Hearing | None = None,
) -> Hearing:
    hearing = Hearing(
        case_id=case.id,
        district_id=case.district_id,
        court_id=court.id,
        judge=judge,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        purpose=purpose,
        prosecutor_id=prosecutor_id,
        notes=notes,
        witnesses_examined=[],
        created_by=actor_id,
    )
    session.add(hearing)
    session.flush()
    summary = f"Hearing on {_describe(hearing, court.name)}"
    extra: dict[str, Any] = {}
    if previous is not None:
        summary += f" (put off from {day_words(local(previous.starts_at).date())})"
        extra["previous_hearing_id"] = previous.id
    cases_service.record_event(
        session,
        case=case,
        actor_id=actor_id,
        kind="hearing_scheduled",
        summary=summary,
        details=_event_details(hearing, **extra),
    )
    audit.record(
        session,
        origin=origin,
        action="create",
        entity_type="hearing",
        entity_id=hearing.id,
        details={"case_id": case.id, **_event_details(hearing, **extra)},
    )
    return hearing


def create_hearing(
    session: Session, *, principal: Principal, data: HearingCreate, origin: audit.Origin
) -> tuple[Hearing, list[ConflictOut]]:
    case = get_writable(session, principal, data.case_id, Perm.hearings_write)
    if case.stage == "closed":
        raise Conflict(f"Case {case.number} is closed; no hearing can be scheduled in it.")
    court = _court(session, data.court_id, ["body", "court_id"])
    _check_starts(data.starts_at, ["body", "starts_at"])
    prosecutor_id = _prosecutor_for(session, case, data)
    hearing = _schedule(
        session,
        case=case,
        court=court,
        actor_id=principal.user_id,
        starts_at=data.starts_at,
        purpose=data.purpose,
        prosecutor_id=prosecutor_id,
        judge=data.judge,
        duration_minutes=data.duration_minutes,
        notes=data.notes,
        origin=origin,
    )
    refresh_next_hearing(session, case)
    conflicts = find_conflicts(
        session,
        principal,
        prosecutor_id=prosecutor_id,
        starts_at=hearing.starts_at,
        minutes=minutes_of(hearing),
        exclude=[hearing.id],
    )
    return hearing, conflicts


# --- update and outcome ---------------------------------------------------------------------


@dataclass
class Written:
    hearing: Hearing
    conflicts: list[ConflictOut]
    next_hearing: Hearing | None = None
    next_conflicts: list[ConflictOut] | None = None


def get_hearing(session: Session, *, principal: Principal, hearing_id: int) -> Hearing:
    return _visible_hearing(session, principal, hearing_id)


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def update_hearing(
    session: Session,
    *,
    principal: Principal,
    hearing_id: int,
    data: HearingUpdate,
    if_match: str | None,
    origin: audit.Origin,
) -> Written:
    hearing = _visible_hearing(session, principal, hearing_id)
    case = get_writable(session, principal, hearing.case_id, Perm.hearings_write)
    check_if_match(if_match, ETAG_KIND, hearing.id, hearing.version)
    changes = data.model_dump(exclude_unset=True)
    now = utcnow()

    # -- validate everything before changing anything
    schedule = {k: changes[k] for k in SCHEDULE_FIELDS if k in changes}
    court_before = session.get(Court, hearing.court_id)
    old_court_name = court_before.name if court_before is not None else ""
    court = court_before
    if "court_id" in schedule and schedule["court_id"] != hearing.court_id:
        court = _court(session, schedule["court_id"], ["body", "court_id"])
    if "starts_at" in schedule:
        _check_starts(schedule["starts_at"], ["body", "starts_at"])
    if schedule.get("prosecutor_id") is not None and schedule["prosecutor_id"] != hearing.prosecutor_id:
        _check_prosecutor(session, case, schedule["prosecutor_id"], ["body", "prosecutor_id"])
    starts_at = schedule.get("starts_at", hearing.starts_at)
    outcome_given = [k for k in OUTCOME_FIELDS if k in changes]
    outcome = changes.get("outcome", hearing.outcome)
    if outcome_given and starts_at > now:
        raise ValidationFailed.at(
            ["body", outcome_given[0]],
            f"The hearing of {when(starts_at)} has not taken place yet; record its outcome afterwards.",
        )
    if hearing.outcome is not None and "starts_at" in schedule and starts_at > now:
        raise ValidationFailed.at(
            ["body", "starts_at"], "This hearing has an outcome; it cannot be moved into the future."
        )
    if outcome_given and outcome is None:
        raise ValidationFailed.at(["body", "outcome"], "Give the hearing's outcome.")
    adjournment = _adjournment(session, hearing, changes, outcome)
    next_at = _next_start(session, hearing, changes, court, starts_at)
    witnesses = _witnesses(session, case, changes.get("witnesses_examined"))

    # -- schedule
    schedule_diff = {k: v for k, v in schedule.items() if getattr(hearing, k) != v}
    before = {k: getattr(hearing, k) for k in schedule_diff}
    old_start = hearing.starts_at
    for key, value in schedule_diff.items():
        setattr(hearing, key, value)

    # -- outcome
    outcome_diff: dict[str, Any] = {}
    if outcome_given:
        wanted = {
            "outcome": outcome,
            "adjournment_reason": adjournment[0] if adjournment else None,
            "adjournment_attributed_to": adjournment[1] if adjournment else None,
        }
        if "witnesses_examined" in changes:
            wanted["witnesses_examined"] = list(changes["witnesses_examined"])
        outcome_diff = {k: v for k, v in wanted.items() if getattr(hearing, k) != v}
        for key, value in outcome_diff.items():
            setattr(hearing, key, value)
        if outcome_diff or next_at is not None:
            hearing.outcome_recorded_at = now
            hearing.outcome_recorded_by = principal.user_id
    if schedule_diff or outcome_diff or next_at is not None:
        hearing.updated_at = now
    session.flush()

    if schedule_diff:
        diff = {k: {"from": _plain(before[k]), "to": _plain(v)} for k, v in schedule_diff.items()}
        cases_service.record_event(
            session,
            case=case,
            actor_id=principal.user_id,
            kind="hearing_changed",
            summary=_change_summary(
                session, hearing, old_start, old_court_name, court, schedule_diff, before
            ),
            details=_event_details(
                hearing,
                changes=diff,
                previous_starts_at=old_start.isoformat(),
                previous_prosecutor_id=before.get("prosecutor_id", hearing.prosecutor_id),
            ),
        )
        audit.record(
            session,
            origin=origin,
            action="update",
            entity_type="hearing",
            entity_id=hearing.id,
            details={"case_id": case.id, "changes": diff},
        )

    next_hearing = None
    if next_at is not None:
        next_hearing = _schedule(
            session,
            case=case,
            court=court,
            actor_id=principal.user_id,
            starts_at=next_at,
            purpose=changes.get("next_purpose") or hearing.purpose,
            prosecutor_id=hearing.prosecutor_id,
            judge=hearing.judge,
            duration_minutes=hearing.duration_minutes,
            notes=None,
            origin=origin,
            previous=hearing,
        )
        hearing.next_hearing_id = next_hearing.id
        session.flush()

    if outcome_diff or next_hearing is not None:
        _record_outcome(session, principal, case, hearing, court, outcome_diff, next_hearing, origin)
    if witnesses:
        _mark_examined(session, principal, case, hearing, witnesses, origin)

    refresh_next_hearing(session, case)
    written = Written(
        hearing=hearing,
        conflicts=find_conflicts(
            session,
            principal,
            prosecutor_id=hearing.prosecutor_id,
            starts_at=hearing.starts_at,
            minutes=minutes_of(hearing),
            exclude=[hearing.id],
        ),
    )
    if next_hearing is not None:
        written.next_hearing = next_hearing
        written.next_conflicts = find_conflicts(
            session,
            principal,
            prosecutor_id=next_hearing.prosecutor_id,
            starts_at=next_hearing.starts_at,
            minutes=minutes_of(next_hearing),
            exclude=[next_hearing.id],
        )
    return written


def _adjournment(
    session: Session, hearing: Hearing, changes: dict[str, Any], outcome: str | None
) -> tuple[str, str] | None:
    """(reason code, side) the hearing will carry, checked against the reference list."""
    given = changes.get("adjournment")
    if outcome != "adjourned":
        if given is not None:
            raise ValidationFailed.at(
                ["body", "adjournment"], "Only an adjourned hearing has an adjournment."
            )
        return None
    if given is None:
        if hearing.outcome == "adjourned" and hearing.adjournment_reason:  # kept as recorded
            return hearing.adjournment_reason, hearing.adjournment_attributed_to or "other"
        raise ValidationFailed.at(
            ["body", "adjournment"], "An adjournment needs its reason (and the side it is attributed to)."
        )
    reason = session.scalar(
        select(AdjournmentReason).where(AdjournmentReason.code == given["reason"], AdjournmentReason.active)
    )
    if reason is None:
        raise ValidationFailed.at(
            ["body", "adjournment", "reason"],
            f"Unknown adjournment reason {given['reason']!r}; see /api/v1/reference/adjournment-reasons.",
        )
    return reason.code, given.get("attributed_to") or reason.attributed_to


def _next_start(
    session: Session, hearing: Hearing, changes: dict[str, Any], court: Court | None, starts_at: datetime
) -> datetime | None:
    next_date: date | None = changes.get("next_date")
    if next_date is None:
        return None
    loc: list[str | int] = ["body", "next_date"]
    if hearing.next_hearing_id is not None:
        raise Conflict(
            "This hearing already has its next hearing; change that one instead.",
            errors=[{"loc": loc, "msg": f"next hearing {hearing.next_hearing_id} exists"}],
        )
    this_day = local(starts_at).date()
    if next_date <= this_day:
        raise ValidationFailed.at(loc, f"The next date must come after this hearing ({day_words(this_day)}).")
    if next_date.weekday() == 6:
        raise ValidationFailed.at(loc, f"{day_words(next_date)} is a Sunday; courts do not sit.")
    holiday = court_holiday(session, next_date, court.province if court else None)
    if holiday:
        raise ValidationFailed.at(loc, f"{day_words(next_date)} is a public holiday ({holiday}).")
    hhmm = changes.get("next_time")
    at = time(int(hhmm[:2]), int(hhmm[3:5])) if hhmm else COURT_TIME
    start = datetime.combine(next_date, at, local_zone())
    _check_starts(start, loc)
    return start


def _witnesses(session: Session, case: Case, ids: Sequence[int] | None) -> list[CaseParty]:
    if not ids:
        return []
    found = {
        p.id: p
        for p in session.scalars(
            select(CaseParty).where(
                CaseParty.id.in_(ids), CaseParty.case_id == case.id, CaseParty.role == "witness"
            )
        )
    }
    for i, party_id in enumerate(ids):
        if party_id not in found:
            raise ValidationFailed.at(["body", "witnesses_examined", i], "Not a witness of this case.")
    return [found[i] for i in ids]


def _change_summary(
    session: Session,
    hearing: Hearing,
    old_start: datetime,
    old_court_name: str,
    court: Court | None,
    diff: dict[str, Any],
    before: dict[str, Any],
) -> str:
    parts = []
    if "starts_at" in diff:
        parts.append(f"moved to {when(hearing.starts_at)}")
    if "court_id" in diff and court is not None:
        parts.append(f"moved to {court.name}")
    if "prosecutor_id" in diff:
        name = (
            session.scalar(select(User.full_name).where(User.id == hearing.prosecutor_id))
            if hearing.prosecutor_id
            else None
        )
        parts.append(f"{name} attending" if name else "no prosecutor attending")
    if "purpose" in diff:
        parts.append(f"now for {PURPOSE_WORDS.get(hearing.purpose, hearing.purpose)}")
    rest = sorted(set(diff) - {"starts_at", "court_id", "prosecutor_id", "purpose"})
    if rest:
        parts.append("edited " + ", ".join(k.replace("_", " ") for k in rest))
    return f"Hearing of {when(old_start)} at {old_court_name}: " + "; ".join(parts)


def _record_outcome(
    session: Session,
    principal: Principal,
    case: Case,
    hearing: Hearing,
    court: Court | None,
    diff: dict[str, Any],
    next_hearing: Hearing | None,
    origin: audit.Origin,
) -> None:
    words = OUTCOME_WORDS.get(hearing.outcome or "", hearing.outcome or "")
    summary = f"Hearing of {when(hearing.starts_at)} at {court.name if court else ''}: {words}"
    if hearing.outcome == "adjourned" and hearing.adjournment_reason:
        label = session.scalar(
            select(AdjournmentReason.label).where(AdjournmentReason.code == hearing.adjournment_reason)
        )
        summary += (
            f" ({label or hearing.adjournment_reason}; attributed to {hearing.adjournment_attributed_to})"
        )
    if next_hearing is not None:
        summary += f", next date {when(next_hearing.starts_at)}"
    details = _event_details(
        hearing,
        outcome=hearing.outcome,
        adjournment_reason=hearing.adjournment_reason,
        attributed_to=hearing.adjournment_attributed_to,
        witnesses_examined=list(hearing.witnesses_examined or []),
        next_hearing_id=next_hearing.id if next_hearing is not None else hearing.next_hearing_id,
        next_starts_at=next_hearing.starts_at.isoformat() if next_hearing is not None else None,
    )
    cases_service.record_event(
        session,
        case=case,
        actor_id=principal.user_id,
        kind="hearing_outcome",
        summary=summary,
        details=details,
    )
    audit.record(
        session,
        origin=origin,
        action="update",
        entity_type="hearing",
        entity_id=hearing.id,
        details={"case_id": case.id, "changes": {k: _plain(v) for k, v in diff.items()}, **details},
    )


def _mark_examined(
    session: Session,
    principal: Principal,
    case: Case,
    hearing: Hearing,
    witnesses: list[CaseParty],
    origin: audit.Origin,
) -> None:
    """The witnesses' status becomes ``examined`` on the case (one timeline entry each, as when the
    status is edited on the case file)."""
    changed = False
    for party in witnesses:
        if party.witness_status == "examined":
            continue
        before = party.witness_status
        party.witness_status = "examined"
        changed = True
        session.flush()
        name = "a protected witness" if party.protected else party.person.name
        diff = {"witness_status": {"from": before, "to": "examined"}}
        cases_service.record_event(
            session,
            case=case,
            actor_id=principal.user_id,
            kind="witness_status",
            summary=f"Witness {name}: {before} → examined at the hearing of {day_words(local(hearing.starts_at).date())}",
            details={"party_id": party.id, "changes": diff, "hearing_id": hearing.id},
        )
        audit.record(
            session,
            origin=origin,
            action="update",
            entity_type="case_party",
            entity_id=party.id,
            details={"case_id": case.id, "changes": diff, "hearing_id": hearing.id},
        )
    if changed:  # the case's parties changed: a new case version, as in cases.people.update_party
        case.updated_at = utcnow()
        session.flush()


# --- lists ----------------------------------------------------------------------------------


LIST_SORTS = {"starts_at": Hearing.starts_at}


def list_hearings(
    principal: Principal,
    *,
    case_id: int | None = None,
    prosecutor_id: int | None = None,
    court_id: int | None = None,
    district_id: int | None = None,
    starts_from: datetime | None = None,
    starts_to: datetime | None = None,
    outcome: str | None = None,
    pending: bool | None = None,
    purpose: str | None = None,
    unattended: bool | None = None,
    attributed_to: str | None = None,
) -> tuple[Select[Any], dict[str, Any]]:
    """(the statement of the readable cases' hearings matching the filters, the values of its
    parameters). Each filter is a column of one of the hearings indexes (district, prosecutor,
    court or case, then starts_at), so a district's month or a prosecutor's diary is an index
    range; cases are joined (by primary key) only when the caller's scope needs a case column (see
    ``attached_scope``). The statement is a shape built once per caller and set of filters
    (``paginate``'s ``binds``); the total is counted up to a cap."""
    values = {
        "case_id": case_id,
        "prosecutor_id": prosecutor_id,
        "court_id": court_id,
        "district_id": district_id,
        "starts_from": starts_from,
        "starts_to": starts_to,
        "outcome": outcome,
        "purpose": purpose,
        "attributed_to": attributed_to,
    }
    given = {name: value for name, value in values.items() if value is not None}
    switches = frozenset({"pending": pending, "unattended": unattended}.items())
    shape = _hearings_shape(
        principal.user_id, principal.roles, principal.district_id, frozenset(given), switches
    )
    return shape, given


@lru_cache(maxsize=1024)
def _hearings_shape(
    user_id: int,
    roles: frozenset[Role],
    district: int | None,
    filters: frozenset[str],
    switches: frozenset[tuple[str, bool | None]],
) -> Select[Any]:
    who = stand_in(user_id, roles, district)
    scope, needs_case = attached_scope(who, case_id=Hearing.case_id, district_id=Hearing.district_id)
    # the columns, not the entity: a page is read as Core rows; the total is counted up to a cap
    stmt = select(*Hearing.__table__.columns).execution_options(**{COUNT_CAP: DEFAULT_COUNT_CAP})
    if needs_case:
        stmt = stmt.join(Case, Case.id == Hearing.case_id)
    stmt = stmt.where(scope)
    own = only_district(who)
    if own is not None:
        stmt = stmt.where(Hearing.district_id == own)
    value = {name: bindparam(name) for name in filters}
    for name, column in (
        ("case_id", Hearing.case_id),
        ("prosecutor_id", Hearing.prosecutor_id),
        ("court_id", Hearing.court_id),
        ("district_id", Hearing.district_id),
        ("outcome", Hearing.outcome),
        ("purpose", Hearing.purpose),
    ):
        if name in value:
            stmt = stmt.where(column == value[name])
    if "starts_from" in value:
        stmt = stmt.where(Hearing.starts_at >= value["starts_from"])
    if "starts_to" in value:
        stmt = stmt.where(Hearing.starts_at < value["starts_to"])
    if "attributed_to" in value:
        stmt = stmt.where(
            Hearing.outcome == "adjourned", Hearing.adjournment_attributed_to == value["attributed_to"]
        )
    switch = dict(switches)
    if switch["pending"] is not None:
        stmt = stmt.where(Hearing.outcome.is_(None) if switch["pending"] else Hearing.outcome.is_not(None))
    if switch["unattended"] is not None:
        stmt = stmt.where(
            Hearing.prosecutor_id.is_(None) if switch["unattended"] else Hearing.prosecutor_id.is_not(None)
        )
    return stmt


@dataclass
class Labels:
    """Names shown with hearings, fetched once per page (no query per row)."""

    cases: dict[int, tuple[str, str]]
    courts: dict[int, str]
    users: dict[int, str]
    reasons: dict[str, tuple[str, str | None]]  # code → (label, label in Urdu)


def labels_for(session: Session, hearings: Sequence[dict[str, Any]]) -> Labels:
    """One statement on the connection (plain rows, not the ORM's execution layer): the four
    indexed lookups as a UNION ALL, keyed by the hearings' column values (``api.db.columns_of``, or a
    page's rows; not joined to their rows, which may hold changes not yet flushed)."""
    labels = Labels(cases={}, courts={}, users={}, reasons={})
    if not hearings:
        return labels
    params = {
        "cases": list({h["case_id"] for h in hearings}),
        "courts": list({h["court_id"] for h in hearings}),
        "users": list({h["prosecutor_id"] for h in hearings if h["prosecutor_id"]}),
        "reasons": list({h["adjournment_reason"] for h in hearings if h["adjournment_reason"]}),
    }
    # .all(): one fetch of the rows (iterating a result fetches them one by one, 30% slower here)
    # ``more``: a case's title, a reason's Urdu words
    for kind, key, code, name, more in session.connection().execute(_LABELS, params).all():
        if kind == "case":
            labels.cases[key] = (name, more)
        elif kind == "court":
            labels.courts[key] = name
        elif kind == "user":
            labels.users[key] = name
        else:
            labels.reasons[code] = (name, more)
    return labels


def _labels_statement() -> Any:
    no_id, no_code, no_more = null().cast(Integer), null().cast(String), null().cast(String)
    return union_all(
        select(literal("case"), Case.id, no_code, Case.number, Case.title).where(one_of(Case.id, "cases")),
        select(literal("court"), Court.id, no_code, Court.name, no_more).where(one_of(Court.id, "courts")),
        select(literal("user"), User.id, no_code, User.full_name, no_more).where(one_of(User.id, "users")),
        select(
            literal("reason"),
            no_id,
            AdjournmentReason.code,
            AdjournmentReason.label,
            AdjournmentReason.label_ur,
        ).where(one_of(AdjournmentReason.code, "reasons")),
    )


_LABELS = _labels_statement()


# --- cause list -----------------------------------------------------------------------------


@dataclass
class CauseRow:
    hearing: Hearing
    case_number: str
    title: str
    court_case_number: str | None
    fir_number: str
    fir_year: int
    police_station: str | None
    prosecutor_name: str | None
    accused: list[str]


def cause_list(
    session: Session, *, principal: Principal, court_id: int, day: date
) -> tuple[Court, list[CauseRow]]:
    """A court's hearings on a local day, in order, of the cases the caller may read."""
    court = session.get(Court, court_id)
    if court is None:
        raise NotFound("No such court.")
    start, end = day_bounds(day)
    rows = session.execute(
        select(
            Hearing,
            Case.number,
            Case.title,
            Case.court_case_number,
            Case.fir_number,
            Case.fir_year,
            PoliceStation.name,
            User.full_name,
        )
        .join(Case, Case.id == Hearing.case_id)
        .outerjoin(PoliceStation, PoliceStation.id == Case.police_station_id)
        .outerjoin(User, User.id == Hearing.prosecutor_id)
        .where(
            Hearing.court_id == court_id,
            Hearing.starts_at >= start,
            Hearing.starts_at < end,
            readable_filter(principal),
        )
        .order_by(Hearing.starts_at, Hearing.id)
    ).all()
    case_ids = {r[0].case_id for r in rows}
    accused: dict[int, list[str]] = {}
    if case_ids:
        for cid, name in session.execute(
            select(CaseParty.case_id, Person.name)
            .join(Person, Person.id == CaseParty.person_id)
            .where(CaseParty.case_id.in_(case_ids), CaseParty.role == "accused")
            .order_by(CaseParty.case_id, CaseParty.id)
        ):
            accused.setdefault(cid, []).append(name)
    return court, [
        CauseRow(
            hearing=h,
            case_number=number,
            title=title,
            court_case_number=ccn,
            fir_number=fir,
            fir_year=year,
            police_station=ps,
            prosecutor_name=pname,
            accused=accused.get(h.case_id, []),
        )
        for h, number, title, ccn, fir, year, ps, pname in rows
    ]
