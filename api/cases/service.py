"""Cases: filing with a number unique per district and year, the lifecycle, edits with If-Match,
the timeline and the team. Keyword-only functions taking ``session``; they never commit."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Row, Select, bindparam, exists, func, select, update
from sqlalchemy import insert as insert_rows
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from api import db, events
from api.audit import service as audit
from api.audit.reads import read_log
from api.cases import lifecycle, people
from api.cases.access import get_readable, get_writable, only_district, readable_cases, stand_in
from api.cases.models import (
    Case,
    CaseAssignment,
    CaseEvent,
    CaseNumberSequence,
    CaseParty,
    Charge,
    Disposition,
    Person,
)
from api.cases.schemas import CaseCreate, CaseUpdate, PersonIn, TransitionIn
from api.concurrency import check_if_match
from api.db import local_date, utcnow
from api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from api.pagination import COUNT_CAP, DEFAULT_COUNT_CAP, SEARCH_COUNT_CAP, SORT_ALIASES, WINDOW, Window
from api.permissions import Perm, Principal, Role
from api.reference.models import Court, DeadlineRule, District, Offence, PoliceStation
from api.search import service as search
from api.users.models import User, UserRole

ETAG_KIND = "case"
#: ids per IN list in the batch functions
_CHUNK = 500
DEFAULT_APPEAL_WINDOW_DAYS = 30


# --- numbering ------------------------------------------------------------------------------


def next_number(session: Session, *, district_id: int, year: int) -> int:
    """Atomically take the next number of (district, year): an upsert-and-increment that holds the
    row lock until commit, so concurrent filings get distinct, gap-free numbers."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = (
        insert(CaseNumberSequence)
        .values(district_id=district_id, year=year, last=1)
        .on_conflict_do_update(
            index_elements=[CaseNumberSequence.district_id, CaseNumberSequence.year],
            set_={"last": CaseNumberSequence.last + 1},
        )
        .returning(CaseNumberSequence.last)
    )
    return int(session.execute(stmt).scalar_one())


def format_number(district_code: str, year: int, seq: int) -> str:
    return f"{district_code}-{year}-{seq:06d}"


# --- helpers --------------------------------------------------------------------------------


def record_event(
    session: Session,
    *,
    case: Case,
    actor_id: int | None,
    kind: str,
    summary: str,
    details: dict[str, Any] | None = None,
) -> CaseEvent:
    event = CaseEvent(
        case_id=case.id, actor_id=actor_id, kind=kind, summary=summary[:500], details=details or {}
    )
    session.add(event)
    events.emit(session, event, case)
    return event


def _person(session: Session, data: PersonIn, loc: list[str | int], principal: Principal) -> Person:
    """The index's person for ``data``: linked by person_id or an existing CNIC, else created."""
    person, _matched = people.resolve_person(session, data=data, principal=principal, loc=loc)
    return person


def _check_district_access(principal: Principal, district_id: int) -> None:
    if principal.has_role(Role.prosecutor_general):
        return
    if principal.district_id != district_id:
        raise Forbidden("You can file cases only in your own district.")


# --- create ---------------------------------------------------------------------------------


def create_case(session: Session, *, data: CaseCreate, principal: Principal, origin: audit.Origin) -> Case:
    district = session.get(District, data.district_id)
    if district is None:
        raise ValidationFailed.at(["body", "district_id"], "No such district.")
    _check_district_access(principal, district.id)
    station = session.get(PoliceStation, data.fir.police_station_id)
    if station is None or station.district_id != district.id:
        raise ValidationFailed.at(
            ["body", "fir", "police_station_id"], "No such police station in this district."
        )
    if data.court_id is not None and session.get(Court, data.court_id) is None:
        raise ValidationFailed.at(["body", "court_id"], "No such court.")
    offence_ids = {c.offence_id for c in data.offences}
    known = set(session.scalars(select(Offence.id).where(Offence.id.in_(offence_ids))))
    for i, charge in enumerate(data.offences):
        if charge.offence_id not in known:
            raise ValidationFailed.at(
                ["body", "offences", i, "offence_id"], "No such offence in the catalogue."
            )
        if charge.accused_index is not None and charge.accused_index >= len(data.accused):
            raise ValidationFailed.at(
                ["body", "offences", i, "accused_index"], "No accused at this position."
            )
    fir_year = data.fir.date.year
    duplicate = session.scalar(
        select(Case.number).where(
            Case.police_station_id == station.id,
            Case.fir_year == fir_year,
            Case.fir_number == data.fir.number,
        )
    )
    if duplicate:
        raise Conflict(
            f"FIR {data.fir.number}/{fir_year} of this police station is already case {duplicate}.",
            errors=[{"loc": ["body", "fir", "number"], "msg": f"already filed as {duplicate}"}],
        )

    year = utcnow().year
    seq = next_number(session, district_id=district.id, year=year)
    number = format_number(district.code, year, seq)
    case = Case(
        number=number,
        district_id=district.id,
        year=year,
        seq=seq,
        category=data.category,
        title="",
        restricted=data.restricted,
        complex=data.complex,
        juvenile=data.juvenile,
        gender_based_violence=data.gender_based_violence,
        court_id=data.court_id,
        ctd_number=data.ctd_number,
        court_case_number=data.court_case_number,
        fir_number=data.fir.number,
        fir_year=fir_year,
        fir_date=data.fir.date,
        police_station_id=station.id,
        occurrence_date=data.fir.occurrence_date,
        occurrence_place=data.fir.occurrence_place,
        brief_facts=data.fir.brief_facts,
        created_by=principal.user_id,
    )
    session.add(case)
    session.flush()
    accused_parties = []
    for i, a in enumerate(data.accused):
        party = CaseParty(
            case_id=case.id,
            person=_person(session, a, ["body", "accused", i], principal),
            role="accused",
            custody_status=a.custody_status,
            age=a.age,
        )
        session.add(party)
        accused_parties.append(party)
    if data.complainant is not None:
        session.add(
            CaseParty(
                case_id=case.id,
                role="complainant",
                person=_person(session, data.complainant, ["body", "complainant"], principal),
            )
        )
    for i, p in enumerate(data.parties):
        session.add(
            CaseParty(
                case_id=case.id,
                role=p.role,
                person=_person(session, p, ["body", "parties", i], principal),
                custody_status=p.custody_status,
                age=p.age,
                witness_type=p.witness_type,
                witness_status=p.witness_status or ("cited" if p.role == "witness" else None),
                protected=p.protected,
                rank=p.rank,
                unit=p.unit,
                notes=p.notes,
            )
        )
    session.flush()
    for c in data.offences:
        party_id = accused_parties[c.accused_index].id if c.accused_index is not None else None
        session.add(
            Charge(
                case_id=case.id,
                offence_id=c.offence_id,
                party_id=party_id,
                stage_added=c.stage_added,
                added_by=principal.user_id,
            )
        )
    session.flush()
    case.title = data.title or _default_title(session, case, data)
    record_event(
        session,
        case=case,
        actor_id=principal.user_id,
        kind="created",
        summary=f"Case {number} filed from FIR {data.fir.number}/{fir_year} ({station.name})",
    )
    audit.record(
        session,
        origin=origin,
        action="create",
        entity_type="case",
        entity_id=case.id,
        details={"number": number, "district_id": district.id, "restricted": case.restricted},
    )
    search.index_case(session, case)
    return case


def _default_title(session: Session, case: Case, data: CaseCreate) -> str:
    first = data.accused[0]
    name = first.name or session.scalar(select(Person.name).where(Person.id == first.person_id)) or "accused"
    if len(data.accused) > 1:
        name = f"{name} and {len(data.accused) - 1} other(s)"
    sections = session.execute(
        select(Offence.statute, Offence.section).where(Offence.id.in_([c.offence_id for c in data.offences]))
    ).all()
    secs = ", ".join(f"{s} {n}" for s, n in sections[:4])
    return f"State v. {name} ({secs})"[:300]


# --- reads ----------------------------------------------------------------------------------


LIST_SORTS = {
    "created_at": Case.created_at,
    "fir_date": Case.fir_date,
    "number": Case.number,
    "updated_at": Case.updated_at,
    "stage_changed_at": Case.stage_changed_at,
}


SUMMARY_COLUMNS = (
    Case.number,
    Case.title,
    Case.stage,
    Case.category,
    Case.district_id,
    Case.restricted,
    Case.complex,
    Case.fir_number,
    Case.fir_date,
    Case.police_station_id,
    Case.court_id,
    Case.created_at,
    Case.updated_at,
)


def list_cases(
    session: Session,
    principal: Principal,
    *,
    q: str | None = None,
    stage: list[str] | None = None,
    district_id: int | None = None,
    prosecutor_id: int | None = None,
    court_id: int | None = None,
    police_station_id: int | None = None,
    category: str | None = None,
    restricted: bool | None = None,
    fir_from: date | None = None,
    fir_to: date | None = None,
) -> tuple[Select[Any], dict[str, Any]]:
    """(the statement of the caller's cases matching the filters, the values of its parameters).

    The columns of a CaseSummary only, as Core rows (no ORM objects): a page of 50 is the hot path.
    The total is counted up to a cap (then ``total_capped``). The statement is a shape built once
    per caller and set of filters (and once more for a search), its values, a search's words
    included, given as parameters (``paginate``'s ``binds``): building the SQL cost more than
    running it."""
    filters = {
        "stage": stage or None,
        "district_id": district_id,
        "prosecutor_id": prosecutor_id,
        "court_id": court_id,
        "police_station_id": police_station_id,
        "category": category or None,
        "restricted": restricted,
        "fir_from": fir_from,
        "fir_to": fir_to,
    }
    given = {name: value for name, value in filters.items() if value is not None}
    query = None
    if q:
        scope = district_id if district_id is not None else only_district(principal)
        query = search.query_of(session, q, district_id=scope)
    if query is None:
        shape = _list_shape(principal.user_id, principal.roles, principal.district_id, frozenset(given))
        return shape, given
    dialect = session.get_bind().dialect.name
    shape = _list_shape(principal.user_id, principal.roles, principal.district_id, frozenset(given), dialect)
    return shape, {**given, search.QUERY: query}


#: the bound parameter of a search's window (``api.pagination.Window``): how many newest matches
_SEARCH_WINDOW = "cmms_search_window"


@lru_cache(maxsize=1024)
def _list_shape(
    user_id: int,
    roles: frozenset[Role],
    district: int | None,
    filters: frozenset[str],
    search_dialect: str | None = None,
) -> Select[Any]:
    """The list's statement for a caller and a set of filters; with ``search_dialect``, of a
    search (its words a parameter too: ``api.search.service.matching``)."""
    readable = readable_cases(stand_in(user_id, roles, district)).with_only_columns(Case.id, *SUMMARY_COLUMNS)
    # stages as an expanding IN, not db.one_of: PostgreSQL reads one stage's cases in the order of
    # the index (district, stage, FIR date) only from "stage = x", which is what IN (x) becomes
    params = {name: bindparam(name, expanding=name == "stage") for name in filters}
    if search_dialect is None:
        return _filtered(readable, params).execution_options(**{COUNT_CAP: DEFAULT_COUNT_CAP})
    stmt, filing_order = search.matching(readable, search_dialect)
    # ids follow filing order: newest first straight from the index
    options: dict[str, Any] = {COUNT_CAP: SEARCH_COUNT_CAP, SORT_ALIASES: {"created_at": filing_order}}
    if search_dialect == "postgresql":
        windowed, newest = search.matching(readable, search_dialect, window=_SEARCH_WINDOW)
        options[WINDOW] = Window(_filtered(windowed, params), newest, _SEARCH_WINDOW, "-created_at")
    return _filtered(stmt, params).execution_options(**options)


def _filtered(stmt: Select[Any], given: dict[str, Any]) -> Select[Any]:
    """``stmt`` with the list's filters: each value a parameter or a literal."""
    if "stage" in given:
        stmt = stmt.where(Case.stage.in_(given["stage"]))
    if "district_id" in given:
        stmt = stmt.where(Case.district_id == given["district_id"])
    if "prosecutor_id" in given:
        stmt = stmt.where(
            exists().where(
                CaseAssignment.case_id == Case.id,
                CaseAssignment.prosecutor_id == given["prosecutor_id"],
                CaseAssignment.ended_at.is_(None),
            )
        )
    if "court_id" in given:
        stmt = stmt.where(Case.court_id == given["court_id"])
    if "police_station_id" in given:
        stmt = stmt.where(Case.police_station_id == given["police_station_id"])
    if "category" in given:
        stmt = stmt.where(Case.category == given["category"])
    if "restricted" in given:
        stmt = stmt.where(Case.restricted == given["restricted"])
    if "fir_from" in given:
        stmt = stmt.where(Case.fir_date >= given["fir_from"])
    if "fir_to" in given:
        stmt = stmt.where(Case.fir_date <= given["fir_to"])
    return stmt


def read_case(session: Session, *, principal: Principal, case_id: int, origin: audit.Origin) -> Case:
    """A case the caller may see (404 otherwise); the read is audited: a restricted case's entry
    is written before the answer, an ordinary read's by the read log (api/audit/reads.py)."""
    db.begin_reading(session)
    case = get_readable(session, principal, case_id)
    log = None if case.restricted else read_log()
    if log is not None:
        log.add(origin, audit.Pending("read", "case", case.id))
        return case
    audit.record_read(
        session,
        origin=origin,
        entity_type="case",
        entity_id=case.id,
        details={"restricted": case.restricted} if case.restricted else None,
    )
    return case


@dataclass(frozen=True)
class CaseFile:
    """What a case's detail shows besides the case row: Core rows, read on the connection."""

    parties: list[tuple[SimpleNamespace, SimpleNamespace]]  # (party, person), in the order added
    charges: list[Row[Any]]  # ChargeOut's fields
    team: list[Row[Any]]  # TeamMember's fields: the current lead first, then associates


_PARTIES = (
    select(CaseParty.__table__, Person.__table__)
    .join(Person.__table__, Person.id == CaseParty.person_id)
    .where(CaseParty.case_id == bindparam("case_id"))
    .order_by(CaseParty.id)
)
_CHARGES = (
    select(
        Charge.id,
        Charge.offence_id,
        Offence.statute,
        Offence.section,
        Offence.title,
        Charge.party_id,
        Charge.stage_added,
    )
    .join(Offence, Offence.id == Charge.offence_id)
    .where(Charge.case_id == bindparam("case_id"))
    .order_by(Charge.id)
)
_TEAM = (
    select(
        CaseAssignment.prosecutor_id,
        User.full_name.label("name"),
        CaseAssignment.role,
        CaseAssignment.started_at.label("since"),
    )
    .join(User, User.id == CaseAssignment.prosecutor_id)
    .where(CaseAssignment.case_id == bindparam("case_id"), CaseAssignment.ended_at.is_(None))
    .order_by(CaseAssignment.role.desc(), CaseAssignment.id)
)


def file_of(session: Session, case_id: int) -> CaseFile:
    """The parties (with their people), charges and current team of a case: three indexed
    statements built once, no ORM entities (the detail is the most read answer of the API)."""
    session.flush()  # the caller's changes first: these read on the connection
    conn = session.connection()
    key = {"case_id": case_id}
    return CaseFile(
        parties=[
            (_part_of(row, CaseParty.__table__), _part_of(row, Person.__table__))
            for row in conn.execute(_PARTIES, key).all()
        ],
        charges=conn.execute(_CHARGES, key).all(),
        team=conn.execute(_TEAM, key).all(),
    )


def timeline(session: Session, *, principal: Principal, case_id: int) -> Select[tuple[CaseEvent]]:
    get_readable(session, principal, case_id)
    return select(CaseEvent).where(CaseEvent.case_id == case_id)


# --- update ---------------------------------------------------------------------------------


def update_case(
    session: Session,
    *,
    principal: Principal,
    case_id: int,
    data: CaseUpdate,
    if_match: str | None,
    origin: audit.Origin,
) -> Case:
    case = get_writable(session, principal, case_id)
    check_if_match(if_match, ETAG_KIND, case.id, case.version)
    changes = data.model_dump(exclude_unset=True)
    if (
        "court_id" in changes
        and changes["court_id"] is not None
        and session.get(Court, changes["court_id"]) is None
    ):
        raise ValidationFailed.at(["body", "court_id"], "No such court.")
    if "restricted" in changes and not principal.has_role(Role.district_prosecutor, Role.prosecutor_general):
        raise Forbidden("Only the district prosecutor or the prosecutor general changes the restricted flag.")
    diff = {
        k: {"from": _plain(getattr(case, k)), "to": _plain(v)}
        for k, v in changes.items()
        if getattr(case, k) != v
    }
    if not diff:
        return case
    for key, value in changes.items():
        setattr(case, key, value)
    case.updated_at = utcnow()
    session.flush()
    record_event(
        session,
        case=case,
        actor_id=principal.user_id,
        kind="updated",
        summary="Edited " + ", ".join(sorted(diff)),
        details={"changes": diff},
    )
    audit.record(
        session,
        origin=origin,
        action="update",
        entity_type="case",
        entity_id=case.id,
        details={"changes": diff},
    )
    search.index_case(session, case)
    return case


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


# --- lifecycle ------------------------------------------------------------------------------


def appeal_window_days(session: Session, case: Case) -> int:
    code = "ATA_25_4A_VICTIM_APPEAL" if case.category == "ata" else "CRPC_417_2A_AGGRIEVED"
    days = session.scalar(select(DeadlineRule.offset_days).where(DeadlineRule.code == code))
    return days or DEFAULT_APPEAL_WINDOW_DAYS


def facts_of(session: Session, case: Case) -> lifecycle.CaseFacts:
    custody = tuple(
        session.scalars(
            select(CaseParty.custody_status).where(CaseParty.case_id == case.id, CaseParty.role == "accused")
        )
    )
    without = session.scalar(
        select(func.count())
        .select_from(CaseParty)
        .where(
            CaseParty.case_id == case.id,
            CaseParty.role == "accused",
            ~exists().where(Disposition.party_id == CaseParty.id),
        )
    )
    return lifecycle.CaseFacts(
        stage=case.stage,
        dormant_from=case.dormant_from,
        court_id=case.court_id,
        accused_custody=tuple(c or "not_arrested" for c in custody),
        accused_without_disposition=without or 0,
        judgment_date=case.judgment_date,
        appeal_window_days=appeal_window_days(session, case),
    )


def transition(
    session: Session, *, principal: Principal, case_id: int, data: TransitionIn, origin: audit.Origin
) -> Case:
    case = get_writable(session, principal, case_id, Perm.cases_transition)
    today = local_date()
    try:
        lifecycle.check(facts_of(session, case), data.to, reason=data.reason, note=data.note, today=today)
    except lifecycle.IllegalMove as exc:
        raise Conflict(str(exc), extra={"allowed": list(exc.allowed), "stage": case.stage}) from exc
    before = case.stage
    if data.to == "dormant":
        case.dormant_from = before
    elif before == "dormant":
        case.dormant_from = None
    if data.to == "returned":
        case.returns_count += 1
    if data.to == "judgment":
        case.judgment_date = today
    if data.to == "closed":
        case.closed_reason = data.reason or data.note
    case.stage = data.to
    case.stage_changed_at = utcnow()
    case.updated_at = utcnow()
    session.flush()
    details = {"from": before, "to": data.to, "note": data.note, "reason": data.reason}
    record_event(
        session,
        case=case,
        actor_id=principal.user_id,
        kind="transition",
        summary=f"Moved from {before} to {data.to}" + (f": {data.note}" if data.note else ""),
        details=details,
    )
    audit.record(
        session, origin=origin, action="transition", entity_type="case", entity_id=case.id, details=details
    )
    return case


# --- counsel --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """One prosecutor to put on one case (:func:`assign_many`)."""

    case_id: int
    prosecutor_id: int
    role: str


def writable_cases(
    session: Session, principal: Principal, case_ids: Sequence[int], perm: Perm = Perm.cases_update
) -> dict[int, Case]:
    """``access.get_writable`` for many cases at once ({id: case}, locked in id order on
    PostgreSQL): the first id the caller may not read is a 404, then a role without ``perm`` 403."""
    found: dict[int, Case] = {}
    postgres = session.get_bind().dialect.name == "postgresql"
    wanted = sorted(set(case_ids))
    for i in range(0, len(wanted), _CHUNK):
        stmt = readable_cases(principal).where(Case.id.in_(wanted[i : i + _CHUNK])).order_by(Case.id)
        if postgres:
            stmt = stmt.with_for_update(of=Case)
        found.update((case.id, case) for case in session.scalars(stmt))
    for cid in case_ids:
        if cid not in found:
            raise NotFound("No such case." if len(case_ids) == 1 else f"No such case (id {cid}).")
    if not principal.can(perm):
        raise Forbidden("Your role may read this case but not change it.")
    return found


def touch_cases(session: Session, cases: Sequence[Case], *, now: datetime) -> None:
    """A new ``updated_at`` and version (ETag) for many cases: one UPDATE per chunk instead of one
    per case, the loaded objects kept in step (pending changes are flushed first)."""
    session.flush()
    table = Case.__table__
    ids = [case.id for case in cases]
    for i in range(0, len(ids), _CHUNK):
        session.execute(
            update(table)
            .where(table.c.id.in_(ids[i : i + _CHUNK]))
            .values(updated_at=now, version=table.c.version + 1)
        )
    for case in cases:
        set_committed_value(case, "updated_at", now)
        set_committed_value(case, "version", case.version + 1)


def assign(
    session: Session,
    *,
    principal: Principal,
    case_id: int,
    prosecutor_id: int,
    role: str,
    reason: str | None,
    origin: audit.Origin,
) -> tuple[CaseAssignment, Case]:
    """Put a prosecutor on the team (returns the assignment and the case, whose version moved).
    Only the case's district prosecutor and the prosecutor general assign; nobody assigns
    themselves. A new lead replaces the current lead (history kept). :func:`assign_many` for one."""
    (done,) = assign_many(
        session,
        principal=principal,
        placements=[Placement(case_id, prosecutor_id, role)],
        reason=reason,
        origin=origin,
    )
    return done


def assign_many(
    session: Session,
    *,
    principal: Principal,
    placements: Sequence[Placement],
    reason: str | None,
    origin: audit.Origin,
    now: datetime | None = None,
    name_cases: bool | None = None,
) -> list[tuple[CaseAssignment, Case]]:
    """:func:`assign` for many cases at once (one placement per case), written in bulk.

    The rules are those of ``assign``, checked for every placement before anything is written,
    rule by rule in this order: the case readable (404) and the role allowed to assign (403); the
    caller the district prosecutor of its district or the prosecutor general (403); not assigning
    themselves (403); the prosecutor an active prosecutor (422 at ``body.prosecutor_id``); not
    already in that role on the case (409). The first placement that breaks one stops everything,
    its error naming the case by number when ``name_cases`` (default: more than one placement).

    Then one UPDATE ends the places replaced (the target's other place on the case, and for a
    lead the current lead), one multi-row INSERT adds the new places, all stamped ``now``; each
    case gets its ``assignment`` timeline entry (its events run as for ``assign``: notification,
    workload) and its ``assign`` audit entry (one chained append)."""
    if not placements:
        return []
    case_ids = [p.case_id for p in placements]
    if len(set(case_ids)) != len(case_ids):
        raise ValueError("assign_many takes one placement per case")
    label = len(placements) > 1 if name_cases is None else name_cases

    def named(case: Case, message: str) -> str:
        return f"Case {case.number}: {message}" if label else message

    cases = writable_cases(session, principal, case_ids, Perm.cases_assign)
    for p in placements:
        case = cases[p.case_id]
        if not (
            principal.has_role(Role.prosecutor_general)
            or (principal.has_role(Role.district_prosecutor) and principal.district_id == case.district_id)
        ):
            raise Forbidden(
                named(
                    case,
                    "Only the district prosecutor of the case's district or the prosecutor general assigns.",
                )
            )
    for p in placements:
        if p.prosecutor_id == principal.user_id:
            raise Forbidden(named(cases[p.case_id], "You cannot assign a case to yourself."))
    wanted = sorted({p.prosecutor_id for p in placements})
    names = {
        uid: name
        for uid, name in session.execute(
            select(User.id, User.full_name).where(
                User.id.in_(wanted),
                User.is_active.is_(True),
                exists().where(UserRole.user_id == User.id, UserRole.role == Role.prosecutor.value),
            )
        )
    }
    for p in placements:
        if p.prosecutor_id not in names:
            raise ValidationFailed.at(
                ["body", "prosecutor_id"], named(cases[p.case_id], "Not an active prosecutor.")
            )
    team: dict[int, list[tuple[int, int, str]]] = {}
    for i in range(0, len(case_ids), _CHUNK):
        rows = session.execute(
            select(
                CaseAssignment.case_id, CaseAssignment.id, CaseAssignment.prosecutor_id, CaseAssignment.role
            )
            .where(CaseAssignment.case_id.in_(case_ids[i : i + _CHUNK]), CaseAssignment.ended_at.is_(None))
            .order_by(CaseAssignment.id)
        )
        for cid, aid, pid, role in rows:
            team.setdefault(cid, []).append((aid, pid, role))
    ended: list[int] = []
    for p in placements:
        for aid, pid, role in team.get(p.case_id, ()):
            if pid == p.prosecutor_id:
                if role == p.role:
                    raise Conflict(
                        named(cases[p.case_id], "This prosecutor already has this role on the case.")
                    )
                ended.append(aid)  # a change of role: the old place ends
            elif p.role == "lead" and role == "lead":
                ended.append(aid)  # the new lead replaces the current one
    now = now or utcnow()
    for i in range(0, len(ended), _CHUNK):
        session.execute(
            update(CaseAssignment)
            .where(CaseAssignment.id.in_(ended[i : i + _CHUNK]), CaseAssignment.ended_at.is_(None))
            .values(ended_at=now)
            .execution_options(synchronize_session="fetch")
        )
    # one executemany (the ORM would insert row by row on SQLite to learn each id), then the new
    # places read back as objects
    session.execute(
        insert_rows(CaseAssignment.__table__),
        [
            {
                "case_id": p.case_id,
                "prosecutor_id": p.prosecutor_id,
                "role": p.role,
                "started_at": now,
                "ended_at": None,
                "assigned_by": principal.user_id,
                "reason": reason,
            }
            for p in placements
        ],
    )
    added: dict[int, CaseAssignment] = {}
    for i in range(0, len(case_ids), _CHUNK):
        stmt = select(CaseAssignment).where(
            CaseAssignment.case_id.in_(case_ids[i : i + _CHUNK]),
            CaseAssignment.started_at == now,
            CaseAssignment.ended_at.is_(None),
        )
        added.update((a.case_id, a) for a in session.scalars(stmt))
    assignments = [added[p.case_id] for p in placements]
    touch_cases(session, [cases[cid] for cid in case_ids], now=now)
    for p in placements:
        record_event(
            session,
            case=cases[p.case_id],
            actor_id=principal.user_id,
            kind="assignment",
            summary=f"{names[p.prosecutor_id]} assigned as {p.role}" + (f": {reason}" if reason else ""),
            details={"prosecutor_id": p.prosecutor_id, "role": p.role, "reason": reason},
        )
    audit.record_many(
        session,
        origin=origin,
        entries=[
            audit.Pending(
                action="assign",
                entity_type="case",
                entity_id=p.case_id,
                details={"prosecutor_id": p.prosecutor_id, "role": p.role},
            )
            for p in placements
        ],
    )
    return [(a, cases[p.case_id]) for p, a in zip(placements, assignments, strict=True)]


def _part_of(row: Row[Any], table: Any) -> SimpleNamespace:
    """The part of a joined row that is ``table``'s columns, by name (a party and its person both
    have an ``id``); unlike ``api.db.columns_of``, which reads an entity."""
    values = row._mapping
    return SimpleNamespace(**{c.key: values[c] for c in table.c})
