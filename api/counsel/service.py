"""Counsel: who carries how much (workload), who should take a case (suggestions), and moving a
prosecutor's cases to others in one atomic action (bulk reassignment). Keyword-only functions
taking ``session``; they never commit.

Workload reads the workload tables (api/counsel/loads.py: per district and prosecutor, kept exact
in every writer's transaction by the case-event handlers) with two queries: the district's totals,
then one row per person with their figures, hearings in the next 7 days and overdue tasks. A
district not counted yet, or counted with other weights, is aggregated live from its cases.

The weighted load of one prosecutor is the sum over their current places on open cases of::

    weights[category] x (weights["complex"] if complex) x (weights["restricted"] if restricted)
                      x (1 for lead, 0.5 for associate)

with the weights of ``CMMS_WORKLOAD_WEIGHTS`` (default ordinary 1, special 1.5, ata 2, complex
1.5, restricted 1.2; a key left out keeps its default; after changing them run ``cmms workload
rebuild``). Open means neither closed nor dormant; dormant places are counted apart
(``dormant_cases``) and weigh nothing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    Subquery,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from api.audit import service as audit
from api.cases import service as cases_service
from api.cases.access import get_readable, readable_filter
from api.cases.models import Case, CaseAssignment
from api.counsel import loads as loads_mod
from api.counsel.schemas import (
    MAX_REASSIGN,
    MovedCase,
    PlaceRole,
    ReassignmentIn,
    ReassignmentOut,
    ReleasedCase,
    SuggestionRow,
    SuggestionsOut,
    WorkloadOut,
    WorkloadRow,
)
from api.db import UTCDateTime, local_date, utcnow
from api.errors import Forbidden, NotFound, ValidationFailed
from api.hearings.models import Hearing
from api.permissions import Perm, Principal, Role
from api.reference.models import District
from api.tasks.models import Task
from api.users.models import User, UserRole

ETAG_KIND = "reassignment"
#: roles whose holders have a workload row in their district even without a case
COUNSEL_ROLES = (Role.prosecutor.value, Role.district_prosecutor.value)
#: roles that read any district's workload (district prosecutors read their own)
ANY_DISTRICT = (Role.prosecutor_general, Role.auditor, Role.monitor)
#: sort keys of the workload rows
WORKLOAD_SORTS = (
    "name",
    "open_cases",
    "lead_cases",
    "associate_cases",
    "dormant_cases",
    "weighted_load",
    "hearings_next_7_days",
    "overdue_tasks",
)
HEARING_WINDOW = timedelta(days=7)


# --- figures --------------------------------------------------------------------------------

#: the weights and the load figures live in api/counsel/loads.py (the workload tables)
weights = loads_mod.weights
case_weight = loads_mod.case_weight
Load = loads_mod.Load


def loads(
    session: Session, *, district_id: int, prosecutor_ids: Sequence[int] | None = None
) -> dict[int, Load]:
    """{prosecutor id: their load on the district's cases} (only ``prosecutor_ids``, if given),
    from the workload tables (live when they cannot answer)."""
    if prosecutor_ids is not None and not prosecutor_ids:
        return {}
    by_prosecutor, _totals = loads_mod.district_loads(
        session, district_id=district_id, prosecutor_ids=prosecutor_ids
    )
    return by_prosecutor


def hearings_soon(session: Session, prosecutor_ids: Iterable[int], *, now: datetime) -> dict[int, int]:
    """{prosecutor id: hearings they attend starting in [now, now + 7 days)}."""
    ids = list(prosecutor_ids)
    if not ids:
        return {}
    stmt = (
        select(Hearing.prosecutor_id, func.count())
        .where(
            Hearing.prosecutor_id.in_(ids),
            Hearing.starts_at >= now,
            Hearing.starts_at < now + HEARING_WINDOW,
        )
        .group_by(Hearing.prosecutor_id)
    )
    return {pid: int(n) for pid, n in session.execute(stmt)}


def overdue_tasks(session: Session, prosecutor_ids: Iterable[int], *, today: date) -> dict[int, int]:
    """{user id: their open tasks due before ``today``}."""
    ids = list(prosecutor_ids)
    if not ids:
        return {}
    stmt = (
        select(Task.assignee_id, func.count())
        .where(Task.assignee_id.in_(ids), Task.status == "open", Task.due_date < today)
        .group_by(Task.assignee_id)
    )
    return {uid: int(n) for uid, n in session.execute(stmt)}


def _is_prosecutor(user_id: ColumnElement[Any]) -> ColumnElement[bool]:
    return exists().where(UserRole.user_id == user_id, UserRole.role == Role.prosecutor.value)


@dataclass
class Person:
    id: int
    name: str
    district_id: int | None
    assignable: bool


def _people(session: Session, stmt_filter: ColumnElement[bool]) -> dict[int, Person]:
    assignable = and_(User.is_active.is_(True), _is_prosecutor(User.id))
    stmt = select(User.id, User.full_name, User.district_id, assignable.label("assignable")).where(
        stmt_filter
    )
    return {r.id: Person(r.id, r.full_name, r.district_id, bool(r.assignable)) for r in session.execute(stmt)}


def _rows(
    session: Session, people: dict[int, Person], by_prosecutor: dict[int | None, Load], *, now: datetime
) -> list[WorkloadRow]:
    hearings = hearings_soon(session, people, now=now)
    tasks = overdue_tasks(session, people, today=local_date(now))
    rows = []
    for pid, person in people.items():
        load = by_prosecutor.get(pid) or Load()
        rows.append(
            WorkloadRow(
                prosecutor_id=pid,
                name=person.name,
                district_id=person.district_id,
                assignable=person.assignable,
                open_cases=load.open_cases,
                lead_cases=load.lead_cases,
                associate_cases=load.associate_cases,
                dormant_cases=load.dormant_cases,
                weighted_load=round(load.weighted_load, 2),
                hearings_next_7_days=hearings.get(pid, 0),
                overdue_tasks=tasks.get(pid, 0),
            )
        )
    return rows


# --- workload -------------------------------------------------------------------------------


def _district(session: Session, district_id: int, loc: list[str | int]) -> District:
    district = session.get(District, district_id)
    if district is None:
        raise ValidationFailed.at(loc, "No such district.")
    return district


def workload_district(principal: Principal, district_id: int | None) -> int:
    """The district whose workload the caller asked for. The prosecutor general, auditors and
    monitors read any district (default: their own, if they have one); a district prosecutor reads
    their own only (another district is a 403)."""
    if principal.has_role(*ANY_DISTRICT):
        chosen = district_id if district_id is not None else principal.district_id
        if chosen is None:
            raise ValidationFailed.at(["query", "district_id"], "Choose a district.")
        return chosen
    if principal.district_id is None:
        raise Forbidden("You have no district.")
    if district_id is not None and district_id != principal.district_id:
        raise Forbidden("You see the workload of your own district only.")
    return principal.district_id


def _person_statement(source: Subquery) -> Select[Any]:
    """The district's counsel staff and everyone with a row in ``source`` (a prosecutor's figures
    on the district's cases), with their hearings in [now, until) and their open tasks due before
    today (each an index range per person). Parameters: district_id, now, until, today."""
    district = bindparam("district_id", type_=Integer())
    now, until = bindparam("now", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime())
    hearings = (
        select(func.count())
        .where(Hearing.prosecutor_id == User.id, Hearing.starts_at >= now, Hearing.starts_at < until)
        .scalar_subquery()
    )
    tasks = (
        select(func.count())
        .where(
            Task.assignee_id == User.id,
            Task.status == "open",
            Task.due_date < bindparam("today", type_=Date()),
        )
        .scalar_subquery()
    )
    staff = and_(
        User.district_id == district,
        User.is_active.is_(True),
        exists().where(UserRole.user_id == User.id, UserRole.role.in_(COUNSEL_ROLES)),
    )
    return (
        select(
            User.id.label("prosecutor_id"),
            User.full_name.label("name"),
            User.district_id,
            and_(User.is_active.is_(True), _is_prosecutor(User.id)).label("assignable"),
            *(source.c[name] for name in loads_mod.LOAD_FIELDS),
            source.c.weights_key,
            hearings.label("hearings_next_7_days"),
            tasks.label("overdue_tasks"),
        )
        .outerjoin(source, source.c.prosecutor_id == User.id)
        # the first condition only narrows the scan to two index ranges (SQLite: MULTI-INDEX OR)
        .where(
            or_(User.district_id == district, User.id.in_(select(source.c.prosecutor_id))),
            or_(staff, source.c.prosecutor_id.is_not(None)),
        )
    )


@lru_cache(maxsize=1)
def _table_person_statement() -> Select[Any]:
    """Built once (building and caching a statement this size costs more than running it)."""
    return _person_statement(loads_mod.table_source(bindparam("district_id", type_=Integer())))


def _person_rows(
    session: Session, stmt: Select[Any], *, district_id: int, now: datetime
) -> list[dict[str, Any]]:
    params = {"district_id": district_id, "now": now, "until": now + HEARING_WINDOW, "today": local_date(now)}
    result = session.connection().execute(stmt, params)  # Core rows: no ORM loading layer
    keys = list(result.keys())
    return [dict(zip(keys, row, strict=True)) for row in result.all()]


def workload(
    session: Session, *, principal: Principal, district_id: int | None, sort: str | None
) -> WorkloadOut:
    """A row per prosecutor of the district: the active users with the prosecutor or district
    prosecutor role whose district it is, plus anyone holding a current place on a case of the
    district that is not closed. Totals below. ``sort``: a row field, ``-`` for descending
    (default ``-weighted_load``, then name).

    Read from the workload tables (two queries: the district's totals, then one row per person
    with their figures, hearings and overdue tasks); a district not counted yet, or counted with
    other weights, is aggregated live from its cases instead (right, slower)."""
    key = sort or "-weighted_load"
    if key.lstrip("-") not in WORKLOAD_SORTS:
        raise ValidationFailed(
            f"Cannot sort by {key.lstrip('-')!r}.",
            errors=[
                {"loc": ["query", "sort"], "msg": f"allowed: {', '.join(WORKLOAD_SORTS)} (- for descending)"}
            ],
        )
    chosen = workload_district(principal, district_id)
    exists_, district_totals = loads_mod.district_totals(session, chosen)
    if not exists_:
        raise ValidationFailed.at(["query", "district_id"], "No such district.")
    now = utcnow()
    current = loads_mod.weights_key(weights())
    rows: list[dict[str, Any]] | None = None
    if district_totals is not None:
        rows = _person_rows(session, _table_person_statement(), district_id=chosen, now=now)
        if any(r["weights_key"] not in (None, current) for r in rows):
            rows = None  # counted with other weights: until `cmms workload rebuild`, live
    if rows is None or district_totals is None:
        live = _person_statement(loads_mod.live_source(chosen))
        rows = _person_rows(session, live, district_id=chosen, now=now)
        district_totals = loads_mod.live_totals(session, chosen)
    for r in rows:
        for name in loads_mod.LOAD_FIELDS:
            r[name] = r[name] or 0
        r["weighted_load"] = round(r["weighted_load"], 2)
        r["assignable"] = bool(r["assignable"])
    field, desc = key.lstrip("-"), key.startswith("-")
    rows.sort(key=lambda r: (r["name"].casefold(), r["prosecutor_id"]))
    if field != "name":  # stable: ties stay in name order
        rows.sort(key=lambda r: r[field], reverse=desc)
    elif desc:
        rows.reverse()
    totals = {
        "prosecutors": len(rows),
        "open_cases": district_totals.open_cases,
        "dormant_cases": district_totals.dormant_cases,
        "unassigned_open_cases": district_totals.unassigned_open_cases,
        "lead_cases": sum(r["lead_cases"] for r in rows),
        "associate_cases": sum(r["associate_cases"] for r in rows),
        "weighted_load": round(sum(r["weighted_load"] for r in rows), 2),
        "hearings_next_7_days": sum(r["hearings_next_7_days"] for r in rows),
        "overdue_tasks": sum(r["overdue_tasks"] for r in rows),
    }
    # one validation pass for the whole answer (extra keys such as weights_key are ignored)
    return WorkloadOut.model_validate(
        {
            "district_id": chosen,
            "as_of": now,
            "today": local_date(now),
            "weights": weights(),
            "items": rows,
            "totals": totals,
        }
    )


# --- who assigns ----------------------------------------------------------------------------


def check_assigner(principal: Principal, district_id: int) -> None:
    """The rule of ``cases.service.assign``: the district prosecutor of the district or the
    prosecutor general (403 otherwise)."""
    if principal.has_role(Role.prosecutor_general):
        return
    if principal.has_role(Role.district_prosecutor) and principal.district_id == district_id:
        return
    raise Forbidden("Only the district prosecutor of the case's district or the prosecutor general assigns.")


def _team(
    session: Session, case_ids: Sequence[int], prosecutor_ids: Sequence[int] | None = None
) -> dict[int, dict[int, str]]:
    """{case id: {prosecutor id: role}} of the current teams (optionally only some prosecutors)."""
    out: dict[int, dict[int, str]] = {}
    if not case_ids:
        return out
    stmt = select(CaseAssignment.case_id, CaseAssignment.prosecutor_id, CaseAssignment.role).where(
        CaseAssignment.case_id.in_(list(case_ids)), CaseAssignment.ended_at.is_(None)
    )
    if prosecutor_ids is not None:
        stmt = stmt.where(CaseAssignment.prosecutor_id.in_(list(prosecutor_ids)))
    for cid, pid, role in session.execute(stmt):
        out.setdefault(cid, {})[pid] = role
    return out


# --- suggestions ----------------------------------------------------------------------------


def _why(row: WorkloadRow, rank: int, district_code: str) -> str:
    lead = "least loaded" if rank == 1 else f"#{rank} by load"
    parts = [
        f"{lead} in {district_code}: weighted load {row.weighted_load:g}",
        f"{row.open_cases} open case{'s' if row.open_cases != 1 else ''}",
    ]
    if row.hearings_next_7_days:
        parts.append(
            f"{row.hearings_next_7_days} hearing{'s' if row.hearings_next_7_days != 1 else ''} this week"
        )
    if row.overdue_tasks:
        parts.append(f"{row.overdue_tasks} overdue task{'s' if row.overdue_tasks != 1 else ''}")
    return ", ".join(parts)


def suggestions(session: Session, *, principal: Principal, case_id: int, limit: int) -> SuggestionsOut:
    """The least-loaded prosecutors of the case's district for it: active users with the
    prosecutor role whose district it is, not the caller and not already on the team, ordered by
    weighted load, then open cases, then name. Hidden case → 404; not the case's district
    prosecutor or the prosecutor general → 403."""
    case = get_readable(session, principal, case_id)
    if not principal.can(Perm.cases_assign):
        raise Forbidden("Your role may read this case but not assign it.")
    check_assigner(principal, case.district_id)
    district = _district(session, case.district_id, ["path", "case_id"])
    on_team = _team(session, [case.id]).get(case.id, {})
    candidates = _people(
        session,
        and_(
            User.district_id == case.district_id,
            User.is_active.is_(True),
            _is_prosecutor(User.id),
            User.id != principal.user_id,
            User.id.not_in(list(on_team)) if on_team else User.id.is_not(None),
        ),
    )
    by_prosecutor = loads(session, district_id=case.district_id, prosecutor_ids=list(candidates))
    rows = _rows(session, candidates, by_prosecutor, now=utcnow())
    rows.sort(key=lambda r: (r.weighted_load, r.open_cases, r.name.casefold(), r.prosecutor_id))
    items = [
        SuggestionRow(**row.model_dump(), rank=i, why=_why(row, i, district.code))
        for i, row in enumerate(rows[:limit], start=1)
    ]
    return SuggestionsOut(case_id=case.id, district_id=case.district_id, items=items)


# --- bulk reassignment ----------------------------------------------------------------------


@dataclass
class _Place:
    """One current place of the from prosecutor on a case that moves."""

    assignment_id: int
    case_id: int
    number: str
    role: PlaceRole
    weight: float  # the case's weight when open, 0 when dormant
    is_open: bool


def _reassign_district(session: Session, principal: Principal, data: ReassignmentIn, from_user: User) -> int:
    chosen: int | None
    if data.district_id is not None:
        chosen = data.district_id
    elif principal.has_role(Role.district_prosecutor) and not principal.has_role(Role.prosecutor_general):
        chosen = principal.district_id
    else:
        chosen = from_user.district_id
    if chosen is None:
        raise ValidationFailed.at(["body", "district_id"], "Name the district whose cases move.")
    _district(session, chosen, ["body", "district_id"])
    return chosen


def _check_targets(
    session: Session, principal: Principal, data: ReassignmentIn, district_id: int
) -> dict[int, str]:
    """{target id: name}; every target an active prosecutor of the district, not the caller and not
    the from prosecutor."""
    for i, tid in enumerate(data.to_prosecutor_ids):
        loc: list[str | int] = ["body", "to_prosecutor_ids", i]
        if tid == principal.user_id:
            raise Forbidden(
                "You cannot assign cases to yourself.", errors=[{"loc": loc, "msg": "this is you"}]
            )
        if tid == data.from_prosecutor_id:
            raise ValidationFailed.at(loc, "The prosecutor whose cases move cannot be a target.")
    stmt = select(User.id, User.full_name).where(
        User.id.in_(data.to_prosecutor_ids),
        User.is_active.is_(True),
        User.district_id == district_id,
        _is_prosecutor(User.id),
    )
    ok = {uid: name for uid, name in session.execute(stmt)}
    for i, tid in enumerate(data.to_prosecutor_ids):
        if tid not in ok:
            raise ValidationFailed.at(
                ["body", "to_prosecutor_ids", i], f"User {tid} is not an active prosecutor of this district."
            )
    return ok


def _places(session: Session, principal: Principal, data: ReassignmentIn, district_id: int) -> list[_Place]:
    """The from prosecutor's current places that move (all of the district's cases that are not
    closed, or the ``case_ids`` given, which must all be such cases)."""
    w = weights()
    stmt = (
        select(
            CaseAssignment.id,
            Case.id,
            Case.number,
            CaseAssignment.role,
            case_weight(w),
            Case.stage,
        )
        .select_from(CaseAssignment)
        .join(Case, Case.id == CaseAssignment.case_id)
        .where(
            CaseAssignment.prosecutor_id == data.from_prosecutor_id,
            CaseAssignment.ended_at.is_(None),
            CaseAssignment.role.in_(("lead", "associate") if data.role == "all" else (data.role,)),
            Case.district_id == district_id,
            Case.stage != "closed",
        )
    )
    if data.case_ids is not None:
        stmt = stmt.where(Case.id.in_(data.case_ids))
    else:
        count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
        if count > MAX_REASSIGN:
            raise ValidationFailed.at(
                ["body"],
                f"{count:,} cases would move; at most {MAX_REASSIGN:,} move in one call. "
                "Pass case_ids (or role) to move them in parts.",
            )
    places: dict[int, _Place] = {}
    for aid, cid, number, role, weight, stage in session.execute(stmt.order_by(Case.id, CaseAssignment.id)):
        if cid in places and places[cid].role == "lead":
            continue  # a second current place on one case (old data): the lead one moves
        is_open = stage != "dormant"
        places[cid] = _Place(aid, cid, number, role, float(weight) if is_open else 0.0, is_open)
    if data.case_ids is not None:
        _explain_missing(session, principal, data, places)
    return list(places.values())


def _explain_missing(
    session: Session, principal: Principal, data: ReassignmentIn, places: dict[int, _Place]
) -> None:
    """404 for the first given case the caller may not see, 422 for the first that is not one of
    the from prosecutor's places in the district."""
    assert data.case_ids is not None
    missing = [cid for cid in data.case_ids if cid not in places]
    if not missing:
        return
    stmt = select(Case.id, Case.number).where(Case.id.in_(missing), readable_filter(principal))
    visible = {cid: number for cid, number in session.execute(stmt)}
    for i, cid in enumerate(data.case_ids):
        if cid in places:
            continue
        loc: list[str | int] = ["body", "case_ids", i]
        if cid not in visible:
            raise NotFound(f"No such case (id {cid}).", errors=[{"loc": loc, "msg": "no such case"}])
        role = "place" if data.role == "all" else f"{data.role} place"
        raise ValidationFailed.at(
            loc,
            f"Case {visible[cid]} is not an open case of this district where the prosecutor holds a current {role}.",
        )


def _digest(moved: list[MovedCase], released: list[ReleasedCase]) -> str:
    body = json.dumps(
        [[m.case_id, m.to_prosecutor_id, m.role] for m in moved] + [[r.case_id] for r in released],
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def reassign(
    session: Session, *, principal: Principal, data: ReassignmentIn, origin: audit.Origin
) -> tuple[ReassignmentOut, str]:
    """Move every current place of ``from_prosecutor_id`` on the district's cases that are not
    closed (dormant ones too), or only ``case_ids``, or only one ``role``, to the targets: each case
    to the eligible target with the least weighted load, recomputed as cases are given out (the
    heaviest cases first). A lead place replaces the lead, an associate place is ended (timeline
    ``unassignment``, audit ``unassign``) after the target is put on as associate. A target already
    on a case's team is not given it again (an associate may be promoted to a lead place); when
    every target already is, the from prosecutor's associate place just ends (``released``).

    Written as a batch: the moves through ``cases.service.assign_many`` (the rules of a single
    assignment, once per case; each case's timeline entry, audit entry and notification), the
    released places with one UPDATE; every change stamped with one timestamp.

    All or nothing: a bad id, a target who is not an active prosecutor of the district or is the
    caller, a case the caller may not assign → an error naming it and nothing changes (the
    request's unit of work rolls back). Returns the answer and its ETag's digest."""
    from_user = session.get(User, data.from_prosecutor_id)
    if from_user is None:
        raise ValidationFailed.at(["body", "from_prosecutor_id"], "No such user.")
    district_id = _reassign_district(session, principal, data, from_user)
    check_assigner(principal, district_id)
    targets = _check_targets(session, principal, data, district_id)
    places = _places(session, principal, data, district_id)

    base = loads(session, district_id=district_id, prosecutor_ids=list(targets))
    # (weighted load, cases held) per target, updated as cases are given out
    state = {
        t: [
            base[t].weighted_load if t in base else 0.0,
            (base[t].open_cases + base[t].dormant_cases) if t in base else 0,
        ]
        for t in targets
    }
    teams = _team(session, [p.case_id for p in places], list(targets))
    moved: list[MovedCase] = []
    released: list[ReleasedCase] = []
    placements: list[cases_service.Placement] = []
    ending: list[tuple[_Place, int | None]] = []  # associate places that end, and to whom they went
    for place in sorted(places, key=lambda p: (-p.weight, p.case_id)):
        on_team = teams.get(place.case_id, {})
        if place.role == "lead":
            eligible = [t for t in data.to_prosecutor_ids if on_team.get(t) != "lead"]
        else:
            eligible = [t for t in data.to_prosecutor_ids if t not in on_team]
        if not eligible:
            ending.append((place, None))
            released.append(ReleasedCase(case_id=place.case_id, number=place.number, from_role=place.role))
            continue
        target = min(eligible, key=lambda t: (state[t][0], state[t][1], t))
        placements.append(cases_service.Placement(place.case_id, target, place.role))
        if place.role == "associate":
            ending.append((place, target))
        promoted = on_team.get(target) == "associate"
        share = 1.0 if place.role == "lead" else 0.5
        state[target][0] += place.weight * (share - (0.5 if promoted else 0.0))
        state[target][1] += 0 if promoted else 1
        moved.append(
            MovedCase(
                case_id=place.case_id,
                number=place.number,
                from_role=place.role,
                to_prosecutor_id=target,
                role=place.role,
            )
        )
    now = utcnow()
    # every case that changes, locked at once (id order); assign_many finds them locked already
    cases = cases_service.writable_cases(session, principal, [p.case_id for p in places], Perm.cases_assign)
    cases_service.assign_many(
        session,
        principal=principal,
        placements=placements,
        reason=data.reason,
        origin=origin,
        now=now,
        name_cases=True,
    )
    _end_places(
        session,
        principal=principal,
        cases=cases,
        ending=ending,
        from_user=from_user,
        names=targets,
        reason=data.reason,
        origin=origin,
        now=now,
    )
    moved.sort(key=lambda m: m.case_id)
    released.sort(key=lambda r: r.case_id)
    if moved or released:
        audit.record(
            session,
            origin=origin,
            action="unassign",
            entity_type="user",
            entity_id=from_user.id,
            details={
                "bulk_reassignment": True,
                "district_id": district_id,
                "role": data.role,
                "to_prosecutor_ids": data.to_prosecutor_ids,
                "moved": len(moved),
                "released": len(released),
                "reason": data.reason,
            },
        )
    out = ReassignmentOut(
        district_id=district_id,
        from_prosecutor_id=from_user.id,
        moved=moved,
        released=released,
        count=len(moved),
    )
    return out, _digest(moved, released)


def _end_places(
    session: Session,
    *,
    principal: Principal,
    cases: dict[int, Case],
    ending: list[tuple[_Place, int | None]],
    from_user: User,
    names: dict[int, str],
    reason: str,
    origin: audit.Origin,
    now: datetime,
) -> None:
    """End the from prosecutor's (associate) places on these cases with one UPDATE, then each
    case's ``unassignment`` timeline entry and ``unassign`` audit entry."""
    if not ending:
        return
    ids = [place.assignment_id for place, _to in ending]
    for i in range(0, len(ids), 500):
        session.execute(
            update(CaseAssignment)
            .where(CaseAssignment.id.in_(ids[i : i + 500]), CaseAssignment.ended_at.is_(None))
            .values(ended_at=now)
            .execution_options(synchronize_session="fetch")
        )
    cases_service.touch_cases(session, [cases[place.case_id] for place, _to in ending], now=now)
    for place, to in ending:
        moved_to = f" (moved to {names[to]})" if to is not None else " (every target already on the team)"
        cases_service.record_event(
            session,
            case=cases[place.case_id],
            actor_id=principal.user_id,
            kind="unassignment",
            summary=f"{from_user.full_name} released as {place.role}{moved_to}: {reason}",
            details={
                "prosecutor_id": from_user.id,
                "role": place.role,
                "reason": reason,
                "to_prosecutor_id": to,
            },
        )
    audit.record_many(
        session,
        origin=origin,
        entries=[
            audit.Pending(
                action="unassign",
                entity_type="case",
                entity_id=place.case_id,
                details={"prosecutor_id": from_user.id, "role": place.role, "to_prosecutor_id": to},
            )
            for place, to in ending
        ],
    )
