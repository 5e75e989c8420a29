"""Which cases a user may read: the one query every case list, get, search, timeline, document and
export starts from. Hidden cases are 404, never 403."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, exists, select, true
from sqlalchemy.orm import Session

from api.cases.models import Case, CaseAssignment
from api.errors import Forbidden, NotFound
from api.permissions import Perm, Principal, case_scope


def on_team(principal: Principal) -> ColumnElement[bool]:
    """True when the principal is, or was, assigned to the case."""
    return exists().where(
        CaseAssignment.case_id == Case.id, CaseAssignment.prosecutor_id == principal.user_id
    )


def readable_filter(principal: Principal) -> ColumnElement[bool]:
    return case_scope(
        principal, district_id=Case.district_id, restricted=Case.restricted, assigned=on_team(principal)
    )


def in_inner_circle(session: Session, principal: Principal, case: Case) -> bool:
    """Whether the principal may see a case's restricted material (confidential documents): the
    restricted-case rule of ``case_scope`` (its team, the district prosecutor of its district, the
    prosecutor general, auditors) applied as if this case were restricted."""
    rule = case_scope(principal, district_id=Case.district_id, restricted=true(), assigned=on_team(principal))
    return bool(session.scalar(select(exists().where(Case.id == case.id, rule))))


def readable_cases(principal: Principal) -> Select[tuple[Case]]:
    return select(Case).where(readable_filter(principal))


def get_readable(session: Session, principal: Principal, case_id: int, *, for_update: bool = False) -> Case:
    stmt = readable_cases(principal).where(Case.id == case_id)
    if for_update and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(of=Case)
    case = session.scalar(stmt)
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
