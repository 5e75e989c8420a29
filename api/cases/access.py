"""Which cases a user may read: the one query every case list, get, search, timeline, document and
export starts from. Hidden cases are 404, never 403."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, exists, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import find_tables

from api.cases.models import Case, CaseAssignment
from api.errors import Forbidden, NotFound
from api.permissions import Perm, Principal, Role, case_scope


def on_team(principal: Principal) -> ColumnElement[bool]:
    """True when the principal is, or was, assigned to the case."""
    return exists().where(
        CaseAssignment.case_id == Case.id, CaseAssignment.prosecutor_id == principal.user_id
    )


def readable_filter(principal: Principal) -> ColumnElement[bool]:
    return _readable_filter(principal.user_id, principal.roles, principal.district_id)


# The access clauses are built once per (user, roles, district) and shared: SQL expressions are
# immutable, and building one (and its cache key, which SQLAlchemy memoises on the object) cost more
# than running the query it guards. A change of role or district is a new key.
_SCOPES = 1024


def stand_in(user_id: Any, roles: frozenset[Role], district_id: Any) -> Principal:
    """A principal of only what access depends on (user, roles, district): the key of statements
    built once and shared (the values may be bind parameters)."""
    return Principal(
        user_id=user_id, username="", full_name="", roles=roles, district_id=district_id, session_id=""
    )


@lru_cache(maxsize=_SCOPES)
def _readable_filter(user_id: Any, roles: frozenset[Role], district_id: Any) -> ColumnElement[bool]:
    who = stand_in(user_id, roles, district_id)
    return case_scope(who, district_id=Case.district_id, restricted=Case.restricted, assigned=on_team(who))


def attached_scope(
    principal: Principal, *, case_id: ColumnElement[int], district_id: ColumnElement[int]
) -> tuple[ColumnElement[bool], bool]:
    """(the readable-case rule for rows hanging off a case that carry its id and district, whether
    the rule needs the ``cases`` row joined).

    ``case_scope`` on the row's own ``district_id`` (copied from its case, whose district never
    changes) and team membership by the row's ``case_id``: the prosecutor general, auditors, a
    district prosecutor and a prosecutor need no join at all; only the restricted flag (clerks,
    monitors) reads the case row. Equivalent to :func:`readable_filter` on the row's case."""
    return _attached_scope(principal.user_id, principal.roles, principal.district_id, case_id, district_id)


@lru_cache(maxsize=_SCOPES)
def _attached_scope(
    user_id: Any,
    roles: frozenset[Role],
    district: Any,
    case_id: ColumnElement[int],
    district_id: ColumnElement[int],
) -> tuple[ColumnElement[bool], bool]:
    # not correlated: evaluated once per query (a prosecutor's cases), then probed per row
    assigned = case_id.in_(select(CaseAssignment.case_id).where(CaseAssignment.prosecutor_id == user_id))
    clause = case_scope(
        stand_in(user_id, roles, district),
        district_id=district_id,
        restricted=Case.restricted,
        assigned=assigned,
    )
    return clause, Case.__table__ in find_tables(clause, check_columns=True)


def only_district(principal: Principal) -> int | None:
    """The one district every case the principal may read belongs to (see ``case_scope``), if
    there is one: lists then also filter their own ``district_id``, so the district's index leads."""
    local_roles = {Role.district_prosecutor, Role.clerk, Role.monitor}
    if principal.district_id is None or not principal.roles or not principal.roles <= local_roles:
        return None
    return principal.district_id


def in_inner_circle(session: Session, principal: Principal, case: Case) -> bool:
    """Whether the principal may see a case's restricted material (confidential documents): the
    restricted-case rule of ``case_scope`` (its team, the district prosecutor of its district, the
    prosecutor general, auditors) applied as if this case were restricted."""
    rule = case_scope(principal, district_id=Case.district_id, restricted=true(), assigned=on_team(principal))
    return bool(session.scalar(select(exists().where(Case.id == case.id, rule))))


def readable_cases(principal: Principal) -> Select[tuple[Case]]:
    return select(Case).where(readable_filter(principal))


@lru_cache(maxsize=256)
def _readable_by_id(roles: frozenset[Role], has_district: bool) -> Select[tuple[Case]]:
    """``readable_cases(...).where(Case.id == :case_id)`` for every principal of these roles (with or
    without a district), the user and district as parameters (:uid, :did): built once, not per
    request (building the access clause cost more than running it)."""
    template = stand_in(bindparam("uid"), roles, bindparam("did") if has_district else None)
    return readable_cases(template).where(Case.id == bindparam("case_id"))


def get_readable(session: Session, principal: Principal, case_id: int, *, for_update: bool = False) -> Case:
    stmt = _readable_by_id(principal.roles, principal.district_id is not None)
    if for_update and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Case)
    params = {"uid": principal.user_id, "did": principal.district_id, "case_id": case_id}
    case = session.scalar(stmt, params)
    if case is None:
        raise NotFound("No such case.")
    return case


def get_writable(
    session: Session, principal: Principal, case_id: int, perm: Perm = Perm.cases_update
) -> Case:
    """A case the principal may read AND whose role allows ``perm`` (read-only roles get 403)."""
    case = get_readable(session, principal, case_id, for_update=True)
    if not principal.can(perm):
        raise Forbidden("Your role may read this case but not change it.")
    return case
