"""The workload tables (api/counsel/models.py), kept exact in the writer's own transaction.

``prosecutor_loads`` holds, per (district, prosecutor), the current places on the district's cases
that are not closed; ``district_loads`` the district's open and dormant cases and the open ones
nobody is on. ``GET /api/v1/workload`` reads them instead of aggregating a district's cases.

How they stay exact
-------------------
The case-event handlers (api/counsel/handlers.py) call :func:`note` for ``created``,
``transition``, ``updated`` (category, complex, restricted), ``assignment`` and ``unassignment``.
It remembers, per case, the first change in the transaction: the stage before it, and the moment
just before it (``T``): the handler's clock, or for a team change the timestamp the operation
ended and started places with (every team change uses one timestamp for both). Nothing is read or
written then, so a batch of a thousand events costs nothing per event.

:func:`settle` runs before the transaction commits (a ``before_commit`` listener) and before
anything in the same session reads the tables. Under the writers' lock, it reads back the touched
cases' assignment history (a place was current just before ``T`` when ``started_at < T`` and it
had not ended before ``T``), then

- recounts every prosecutor who is on a touched case or left it since ``T``: one GROUP BY over
  their current places (the ``(prosecutor_id, ended_at, case_id, role)`` index, then each case by
  its key) replaces all their rows, whatever the district;
- adds to each district row what the touched cases changed (their state after minus before),
  or, for a district without a row yet, counts the district from scratch.

Concurrency. Two transactions changing one prosecutor's places must not lose either change. A
recount only sees what was committed when its statement began, so an ``INSERT … ON CONFLICT DO
UPDATE`` of a recount alone can overwrite a concurrent writer's newer figure with an older one
(READ COMMITTED: the second writer's recount started before the first committed, then its upsert
waited for the row and replaced it). So every write to these tables happens after taking the audit
writers' transaction lock (``audit.lock_writers``), which every audited change holds from its
entry until commit: the recount then begins after every earlier writer committed, and a later
writer cannot commit before this one does. On SQLite the single writer gives the same order.
The row writes themselves are ``DELETE`` + ``INSERT … SELECT`` (safe under the lock).

Weights are read from the settings at recompute time, and each row records which ones
(``weights_key``). After changing ``CMMS_WORKLOAD_WEIGHTS`` run ``cmms workload rebuild``; until
then the workload of a district whose rows carry other weights is computed live (right, slower).
Bulk loads that bypass the services (``cmms seed-bench``) must call :func:`rebuild` too."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    Subquery,
    and_,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy import case as when
from sqlalchemy.orm import Session

from api.audit.service import lock_writers
from api.cases.models import CATEGORIES, Case, CaseAssignment
from api.config import Settings, get_settings
from api.counsel.models import DistrictLoad, ProsecutorLoad
from api.db import UTCDateTime, utcnow
from api.reference.models import District

if TYPE_CHECKING:
    from api.cases.models import CaseEvent

PENDING = "counsel.loads.pending"
#: case fields an ``updated`` event may change that weigh in the load
WEIGHED_FIELDS = frozenset({"category", "complex", "restricted"})
CHUNK = 500


# --- weights --------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _default_weights() -> dict[str, float]:
    defaults: dict[str, float] = Settings.model_fields["workload_weights"].get_default(
        call_default_factory=True
    )
    return defaults


def weights() -> dict[str, float]:
    """The weights in force: the configured ones over the defaults (a key left out keeps its default)."""
    return {**_default_weights(), **get_settings().workload_weights}


def weights_key(w: dict[str, float]) -> str:
    """A short name for a set of weights (stored on each row computed with it)."""
    return _key(tuple(sorted((k, float(v)) for k, v in w.items())))


@lru_cache(maxsize=8)
def _key(items: tuple[tuple[str, float], ...]) -> str:
    body = json.dumps(items, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()[:16]


def case_weight(w: dict[str, float]) -> ColumnElement[Any]:
    """A case's weight as a SQL expression: category weight x complex factor x restricted factor."""
    category = when({c: float(w.get(c, 1.0)) for c in CATEGORIES}, value=Case.category, else_=1.0)
    complex_factor = when((Case.complex.is_(True), float(w.get("complex", 1.0))), else_=1.0)
    restricted_factor = when((Case.restricted.is_(True), float(w.get("restricted", 1.0))), else_=1.0)
    return category * complex_factor * restricted_factor


# --- figures --------------------------------------------------------------------------------


@dataclass
class Load:
    open_cases: int = 0
    lead_cases: int = 0
    associate_cases: int = 0
    dormant_cases: int = 0
    weighted_load: float = 0.0


@dataclass
class Totals:
    open_cases: int = 0
    dormant_cases: int = 0
    unassigned_open_cases: int = 0


def _figures(w: dict[str, float]) -> tuple[ColumnElement[Any], ...]:
    """open, lead, associate, dormant places and the weighted load, summed over current places
    joined to their cases (associate places weigh half; dormant ones nothing)."""
    is_open = Case.stage != "dormant"
    is_lead = CaseAssignment.role == "lead"
    role_factor = when((is_lead, 1.0), else_=0.5)
    return (
        func.coalesce(func.sum(when((is_open, 1), else_=0)), 0),
        func.coalesce(func.sum(when((and_(is_open, is_lead), 1), else_=0)), 0),
        func.coalesce(func.sum(when((and_(is_open, CaseAssignment.role == "associate"), 1), else_=0)), 0),
        func.coalesce(func.sum(when((Case.stage == "dormant", 1), else_=0)), 0),
        func.coalesce(func.sum(when((is_open, case_weight(w) * role_factor), else_=0.0)), 0.0),
    )


def _places(*where: ColumnElement[bool]) -> Select[Any]:
    """Current places on cases that are not closed (``where`` narrows them), before the columns."""
    return (
        select()
        .select_from(CaseAssignment)
        .join(Case, Case.id == CaseAssignment.case_id)
        .where(CaseAssignment.ended_at.is_(None), Case.stage != "closed", *where)
    )


#: the figures of a prosecutor's row, as named in both tables' sources below
LOAD_FIELDS = ("open_cases", "lead_cases", "associate_cases", "dormant_cases", "weighted_load")


def table_source(district_id: int | ColumnElement[int]) -> Subquery:
    """The district's rows of ``prosecutor_loads`` (prosecutor_id, the figures, weights_key)."""
    return (
        select(
            ProsecutorLoad.prosecutor_id,
            *(getattr(ProsecutorLoad, name) for name in LOAD_FIELDS),
            ProsecutorLoad.weights_key,
        )
        .where(ProsecutorLoad.district_id == district_id)
        .subquery("loads")
    )


def live_source(district_id: int) -> Subquery:
    """The same rows aggregated from the district's current places now (the slow way)."""
    w = weights()
    figures = (f.label(name) for f, name in zip(_figures(w), LOAD_FIELDS, strict=True))
    return (
        _places(Case.district_id == district_id)
        .add_columns(CaseAssignment.prosecutor_id, *figures, literal(weights_key(w)).label("weights_key"))
        .group_by(CaseAssignment.prosecutor_id)
        .subquery("loads")
    )


@lru_cache(maxsize=1)
def _district_statement() -> Select[Any]:
    """Built once (a memoised cache key): the district, and its totals row if counted."""
    return (
        select(
            District.id,
            DistrictLoad.open_cases,
            DistrictLoad.dormant_cases,
            DistrictLoad.unassigned_open_cases,
        )
        .outerjoin(DistrictLoad, DistrictLoad.district_id == District.id)
        .where(District.id == bindparam("district_id", type_=Integer()))
    )


def district_totals(session: Session, district_id: int) -> tuple[bool, Totals | None]:
    """(the district exists, its counted totals or None when it has not been counted yet), one
    query; pending changes of this session are settled first."""
    settle(session)
    row = session.connection().execute(_district_statement(), {"district_id": district_id}).first()
    if row is None:
        return False, None
    if row.open_cases is None:
        return True, None
    return True, Totals(row.open_cases, row.dormant_cases, row.unassigned_open_cases)


def live_totals(session: Session, district_id: int) -> Totals:
    return _live_totals(session, district_id)


def live_loads(
    session: Session, *, district_id: int, prosecutor_ids: Sequence[int] | None = None
) -> tuple[dict[int, Load], Totals]:
    """The figures aggregated from the assignments now (no table): {prosecutor id: load} over the
    district's cases, and the district's totals. Slow on a big district; the tables' check."""
    w = weights()
    stmt = _places(Case.district_id == district_id).add_columns(CaseAssignment.prosecutor_id, *_figures(w))
    if prosecutor_ids is not None:
        stmt = stmt.where(CaseAssignment.prosecutor_id.in_(list(prosecutor_ids)))
    out = {
        pid: Load(int(o), int(lead), int(a), int(d), float(wl))
        for pid, o, lead, a, d, wl in session.execute(stmt.group_by(CaseAssignment.prosecutor_id))
    }
    return out, _live_totals(session, district_id)


def _unassigned() -> ColumnElement[bool]:
    return ~exists().where(CaseAssignment.case_id == Case.id, CaseAssignment.ended_at.is_(None))


def _totals_columns() -> tuple[ColumnElement[Any], ...]:
    is_open = Case.stage.not_in(("dormant", "closed"))
    return (
        func.coalesce(func.sum(when((is_open, 1), else_=0)), 0).label("open_cases"),
        func.coalesce(func.sum(when((Case.stage == "dormant", 1), else_=0)), 0).label("dormant_cases"),
        func.coalesce(func.sum(when((and_(is_open, _unassigned()), 1), else_=0)), 0).label(
            "unassigned_open_cases"
        ),
    )


def _live_totals(session: Session, district_id: int) -> Totals:
    o, d, u = session.execute(
        select(*_totals_columns()).where(Case.district_id == district_id, Case.stage != "closed")
    ).one()
    return Totals(int(o), int(d), int(u))


def table_loads(
    session: Session, *, district_id: int, prosecutor_ids: Sequence[int] | None = None
) -> tuple[dict[int, Load], Totals] | None:
    """The figures from the tables, or None when they cannot answer (the district not counted
    yet, or rows computed with other weights). Pending changes of this session are settled first."""
    settle(session)
    row = session.execute(
        select(DistrictLoad.open_cases, DistrictLoad.dormant_cases, DistrictLoad.unassigned_open_cases).where(
            DistrictLoad.district_id == district_id
        )
    ).first()
    if row is None:
        return None
    stmt = select(
        ProsecutorLoad.prosecutor_id,
        ProsecutorLoad.open_cases,
        ProsecutorLoad.lead_cases,
        ProsecutorLoad.associate_cases,
        ProsecutorLoad.dormant_cases,
        ProsecutorLoad.weighted_load,
        ProsecutorLoad.weights_key,
    ).where(ProsecutorLoad.district_id == district_id)
    if prosecutor_ids is not None:
        stmt = stmt.where(ProsecutorLoad.prosecutor_id.in_(list(prosecutor_ids)))
    key = weights_key(weights())
    out: dict[int, Load] = {}
    for pid, o, lead, a, d, wl, k in session.execute(stmt):
        if k != key:
            return None
        if o or d:
            out[pid] = Load(o, lead, a, d, wl)
    return out, Totals(*row)


def district_loads(
    session: Session, *, district_id: int, prosecutor_ids: Sequence[int] | None = None
) -> tuple[dict[int, Load], Totals]:
    """The district's figures: from the tables when they can answer, else live."""
    found = table_loads(session, district_id=district_id, prosecutor_ids=prosecutor_ids)
    if found is not None:
        return found
    return live_loads(session, district_id=district_id, prosecutor_ids=prosecutor_ids)


# --- keeping the tables ---------------------------------------------------------------------


@dataclass
class _Before:
    """A case as it was before its first change in the transaction."""

    district_id: int
    stage: str | None  # None: the case did not exist
    at: datetime | None = None  # the moment just before the change, or
    lookup: tuple[int, str, str] | None = None  # (prosecutor, role, "started"|"ended") of its place


@dataclass
class _Pending:
    cases: dict[int, _Before] = field(default_factory=dict)


def note(session: Session, event: CaseEvent, case: Case) -> None:
    """Remember what a case event may change (see the module docstring); no SQL."""
    details = event.details or {}
    kind = event.kind
    if kind == "updated" and not WEIGHED_FIELDS & set((details.get("changes") or {}).keys()):
        return
    pending: _Pending = session.info.setdefault(PENDING, _Pending())
    if case.id in pending.cases:
        return  # only the state before its first change matters
    if kind == "created":
        before = _Before(case.district_id, None, at=utcnow())
    elif kind == "transition":
        before = _Before(case.district_id, str(details.get("from") or case.stage), at=utcnow())
    elif kind in ("assignment", "unassignment") and details.get("prosecutor_id") is not None:
        which = "started" if kind == "assignment" else "ended"
        lookup = (int(details["prosecutor_id"]), str(details.get("role")), which)
        before = _Before(case.district_id, case.stage, lookup=lookup)
    else:
        before = _Before(case.district_id, case.stage, at=utcnow())
    pending.cases[case.id] = before


def forget(session: Session) -> None:
    session.info.pop(PENDING, None)


def _chunks(ids: Sequence[int]) -> Iterator[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield list(ids[i : i + CHUNK])


def _state(stage: str | None, on_team: bool) -> tuple[int, int, int]:
    """(open, dormant, open with nobody on it) of one case."""
    if stage is None or stage == "closed":
        return 0, 0, 0
    if stage == "dormant":
        return 0, 1, 0
    return 1, 0, 0 if on_team else 1


@dataclass
class _Place:
    id: int
    prosecutor_id: int
    role: str
    started_at: datetime
    ended_at: datetime | None


def _moment(before: _Before, places: list[_Place]) -> datetime | None:
    if before.at is not None:
        return before.at
    assert before.lookup is not None
    pid, role, which = before.lookup
    mine = [p for p in places if p.prosecutor_id == pid and p.role == role]
    if which == "ended":
        mine = [p for p in mine if p.ended_at is not None]
    if not mine:
        return None  # its place is gone (a rolled-back savepoint): nothing to compare with
    newest = max(mine, key=lambda p: p.id)
    return newest.started_at if which == "started" else newest.ended_at


def settle(session: Session) -> None:
    """Bring the tables up to date with this transaction's noted changes (see the module docstring)."""
    pending: _Pending | None = session.info.pop(PENDING, None)
    if pending is None or not pending.cases:
        return
    session.flush()
    lock_writers(session)
    ids = sorted(pending.cases)
    history: dict[int, list[_Place]] = defaultdict(list)
    now_stage: dict[int, str] = {}
    for chunk in _chunks(ids):
        rows = session.execute(
            select(
                CaseAssignment.case_id,
                CaseAssignment.id,
                CaseAssignment.prosecutor_id,
                CaseAssignment.role,
                CaseAssignment.started_at,
                CaseAssignment.ended_at,
            ).where(CaseAssignment.case_id.in_(chunk))
        )
        for cid, aid, pid, role, started, ended in rows:
            history[cid].append(_Place(aid, pid, role, started, ended))
        for cid, stage in session.execute(select(Case.id, Case.stage).where(Case.id.in_(chunk))):
            now_stage[cid] = stage
    dirty: set[int] = set()
    delta: dict[int, list[int]] = {}
    for cid in ids:
        before = pending.cases[cid]
        places = history.get(cid, [])
        on_now = any(p.ended_at is None for p in places)
        at = _moment(before, places)
        if at is None:
            on_before = on_now
            dirty.update(p.prosecutor_id for p in places)
        else:
            on_before = any(p.started_at < at and (p.ended_at is None or p.ended_at >= at) for p in places)
            dirty.update(p.prosecutor_id for p in places if p.ended_at is None or p.ended_at >= at)
        after = _state(now_stage.get(cid), on_now)
        was = _state(before.stage, on_before)
        d = delta.setdefault(before.district_id, [0, 0, 0])
        for i in range(3):
            d[i] += after[i] - was[i]
    now = utcnow()
    recount(session, dirty, now=now)
    counted = set(
        session.scalars(select(DistrictLoad.district_id).where(DistrictLoad.district_id.in_(list(delta))))
    )
    for district_id, (o, d, u) in sorted(delta.items()):
        if district_id not in counted:
            count_district(session, district_id, now=now)
        elif o or d or u:
            session.execute(
                update(DistrictLoad)
                .where(DistrictLoad.district_id == district_id)
                .values(
                    open_cases=DistrictLoad.open_cases + o,
                    dormant_cases=DistrictLoad.dormant_cases + d,
                    unassigned_open_cases=DistrictLoad.unassigned_open_cases + u,
                    updated_at=now,
                )
                .execution_options(synchronize_session=False)
            )


_LOAD_COLUMNS = (
    "district_id",
    "prosecutor_id",
    "open_cases",
    "lead_cases",
    "associate_cases",
    "dormant_cases",
    "weighted_load",
    "weights_key",
    "updated_at",
)


def _load_rows(now: datetime, *where: ColumnElement[bool]) -> Select[Any]:
    w = weights()
    return (
        _places(*where)
        .add_columns(
            Case.district_id,
            CaseAssignment.prosecutor_id,
            *_figures(w),
            literal(weights_key(w)),
            literal(now, UTCDateTime()),
        )
        .group_by(Case.district_id, CaseAssignment.prosecutor_id)
    )


def recount(session: Session, prosecutor_ids: Iterable[int], *, now: datetime | None = None) -> None:
    """Replace the rows of these prosecutors (every district) by a fresh count of their places.
    The caller holds the writers' lock (:func:`settle`, :func:`rebuild` take it)."""
    now = now or utcnow()
    table = ProsecutorLoad.__table__
    for chunk in _chunks(sorted(set(prosecutor_ids))):
        session.execute(delete(table).where(table.c.prosecutor_id.in_(chunk)))
        session.execute(
            insert(table).from_select(_LOAD_COLUMNS, _load_rows(now, CaseAssignment.prosecutor_id.in_(chunk)))
        )


def count_district(session: Session, district_id: int, *, now: datetime | None = None) -> None:
    """Count one district from scratch: its prosecutors' rows and its totals row."""
    now = now or utcnow()
    lock_writers(session)
    loads, districts = ProsecutorLoad.__table__, DistrictLoad.__table__
    session.execute(delete(loads).where(loads.c.district_id == district_id))
    session.execute(
        insert(loads).from_select(_LOAD_COLUMNS, _load_rows(now, Case.district_id == district_id))
    )
    session.execute(delete(districts).where(districts.c.district_id == district_id))
    totals = select(literal(district_id), *_totals_columns(), literal(now, UTCDateTime())).where(
        Case.district_id == district_id, Case.stage != "closed"
    )
    session.execute(
        insert(districts).from_select(
            ["district_id", "open_cases", "dormant_cases", "unassigned_open_cases", "updated_at"], totals
        )
    )


@dataclass
class Rebuilt:
    prosecutor_rows: int
    districts: int
    weights: dict[str, float]


def rebuild(session: Session) -> Rebuilt:
    """Recompute both tables from the assignments with the weights in force: one INSERT … SELECT …
    GROUP BY each (``cmms workload rebuild``; after changing the weights or a bulk load)."""
    forget(session)
    session.flush()
    lock_writers(session)
    now = utcnow()
    loads, districts = ProsecutorLoad.__table__, DistrictLoad.__table__
    session.execute(delete(loads))
    session.execute(delete(districts))
    session.execute(insert(loads).from_select(_LOAD_COLUMNS, _load_rows(now)))
    per_district = (
        select(Case.district_id.label("district_id"), *_totals_columns())
        .where(Case.stage != "closed")
        .group_by(Case.district_id)
        .subquery()
    )
    totals = select(
        District.id,
        func.coalesce(per_district.c.open_cases, 0),
        func.coalesce(per_district.c.dormant_cases, 0),
        func.coalesce(per_district.c.unassigned_open_cases, 0),
        literal(now, UTCDateTime()),
    ).outerjoin_from(District, per_district, per_district.c.district_id == District.id)
    session.execute(
        insert(districts).from_select(
            ["district_id", "open_cases", "dormant_cases", "unassigned_open_cases", "updated_at"], totals
        )
    )
    rows = session.scalar(select(func.count()).select_from(loads)) or 0
    n = session.scalar(select(func.count()).select_from(districts)) or 0
    return Rebuilt(prosecutor_rows=int(rows), districts=int(n), weights=weights())
