"""Who may do what: the roles of DOMAIN.md in one permission table, the ``require(...)``
dependency every route carries, and the row-scoping rule for cases (district, assignment,
restricted) that the cases domain's ``readable_cases`` builds on."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy import ColumnElement, and_, false, not_, or_, true

from api import deferred
from api.errors import Forbidden

_bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


class Role(StrEnum):
    prosecutor_general = "prosecutor_general"
    district_prosecutor = "district_prosecutor"
    prosecutor = "prosecutor"
    clerk = "clerk"
    admin = "admin"
    auditor = "auditor"
    monitor = "monitor"
    trainer = "trainer"


#: roles whose scope is one district: a user holding one must have a district
DISTRICT_ROLES = frozenset({Role.district_prosecutor, Role.clerk})


class Perm(StrEnum):
    authenticated = "authenticated"  # any signed-in user (own profile, reference lists, learning)
    users_manage = "users.manage"
    reference_edit = "reference.edit"
    audit_read = "audit.read"
    cases_read = "cases.read"
    cases_create = "cases.create"
    cases_update = "cases.update"
    cases_transition = "cases.transition"
    cases_assign = "cases.assign"
    cases_import = "cases.import"
    documents_read = "documents.read"
    documents_upload = "documents.upload"
    hearings_read = "hearings.read"
    hearings_write = "hearings.write"
    tasks_read = "tasks.read"
    tasks_write = "tasks.write"
    deadlines_read = "deadlines.read"
    workload_read = "workload.read"
    reports_read = "reports.read"
    library_read = "library.read"
    library_edit = "library.edit"
    courses_read = "courses.read"
    courses_edit = "courses.edit"
    learners_read = "learners.read"


_EVERYONE = {Perm.authenticated, Perm.library_read, Perm.courses_read}
_CASE_WORK = {
    Perm.cases_read,
    Perm.cases_update,
    Perm.cases_transition,
    Perm.documents_read,
    Perm.documents_upload,
    Perm.hearings_read,
    Perm.hearings_write,
    Perm.tasks_read,
    Perm.tasks_write,
    Perm.deadlines_read,
}

#: The permission table. Row scope (which cases) is decided separately by ``case_scope``.
ROLE_PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.prosecutor_general: frozenset(
        _EVERYONE | _CASE_WORK | {Perm.cases_assign, Perm.reports_read, Perm.audit_read, Perm.workload_read}
    ),
    Role.district_prosecutor: frozenset(
        _EVERYONE
        | _CASE_WORK
        | {Perm.cases_create, Perm.cases_assign, Perm.cases_import, Perm.reports_read, Perm.workload_read}
    ),
    Role.prosecutor: frozenset(_EVERYONE | _CASE_WORK),
    Role.clerk: frozenset(
        _EVERYONE
        | {
            Perm.cases_read,
            Perm.cases_create,
            Perm.cases_update,
            Perm.cases_import,
            Perm.documents_read,
            Perm.documents_upload,
            Perm.hearings_read,
            Perm.hearings_write,
            Perm.tasks_read,
            Perm.deadlines_read,
        }
    ),
    Role.admin: frozenset(_EVERYONE | {Perm.users_manage, Perm.reference_edit, Perm.library_edit}),
    Role.auditor: frozenset(
        _EVERYONE
        | {
            Perm.cases_read,
            Perm.documents_read,
            Perm.hearings_read,
            Perm.tasks_read,
            Perm.deadlines_read,
            Perm.audit_read,
            Perm.reports_read,
            Perm.workload_read,
        }
    ),
    Role.monitor: frozenset(
        _EVERYONE
        | {Perm.cases_read, Perm.hearings_read, Perm.deadlines_read, Perm.reports_read, Perm.workload_read}
    ),
    Role.trainer: frozenset(_EVERYONE | {Perm.courses_edit, Perm.learners_read, Perm.library_edit}),
}


@dataclass(frozen=True)
class Principal:
    """The signed-in user as the request sees them (loaded once per request with their session)."""

    user_id: int
    username: str
    full_name: str
    roles: frozenset[Role]
    district_id: int | None
    session_id: str

    @cached_property
    def permissions(self) -> frozenset[Perm]:
        perms: set[Perm] = set()
        for role in self.roles:
            perms |= ROLE_PERMISSIONS[role]
        return frozenset(perms)

    def can(self, perm: Perm) -> bool:
        return perm in self.permissions

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))


async def authenticate(request: Request, token: Annotated[str | None, Depends(_bearer)]) -> Principal:
    # imported here: the auth domain depends on this module for Principal
    from api.auth.dependencies import current_principal

    if deferred.current() is not None:  # a read: worked out in its endpoint's thread (api.routing)
        return deferred.Deferred(current_principal, {"request": request, "token": token})  # type: ignore[return-value]
    return await run_in_threadpool(current_principal, request, token)


def require(*perms: Perm) -> Any:
    """A dependency that authenticates the caller (401) and checks every permission given (403).

    Use as ``user: Annotated[Principal, require(Perm.cases_read)]`` or in ``dependencies=[...]``.
    The standing test ``test_every_route_is_guarded`` finds routes that lack it.
    """

    # a coroutine (no I/O): no trip through the thread pool; authentication itself is a plain
    # function (it queries the database) and runs in the pool, or, on a read, in the endpoint's
    # thread (then ``principal`` is a Deferred, and so is this check: api/deferred.py)
    async def checker(principal: Annotated[Principal, Depends(authenticate)]) -> Principal:
        if isinstance(principal, deferred.Deferred):
            return deferred.Deferred(functools.partial(_check, perms), {"principal": principal})  # type: ignore[return-value]
        return _check(perms, principal)

    checker.cmms_permissions = perms  # type: ignore[attr-defined]
    return Depends(checker)


def _check(perms: tuple[Perm, ...], principal: Principal) -> Principal:
    missing = [p for p in perms if not principal.can(p)]
    if missing:
        raise Forbidden(f"Your role does not allow this ({', '.join(missing)}).")
    return principal


def is_guard(dependency: Callable[..., Any]) -> bool:
    return hasattr(dependency, "cmms_permissions")


# --- row scope -------------------------------------------------------------------------------


def case_scope(
    principal: Principal,
    *,
    district_id: ColumnElement[Any],
    restricted: ColumnElement[bool],
    assigned: ColumnElement[bool],
) -> ColumnElement[bool]:
    """The WHERE clause of the cases a principal may read.

    ``assigned`` is an expression true when the principal is (or was) on the case's team.
    - prosecutor general, auditor: every case, restricted ones included;
    - district prosecutor: every case of their district, restricted ones included;
    - prosecutor: the cases they are or were assigned to;
    - clerk: their district's cases; restricted ones only when on the team;
    - monitor: their district's (or, without a district, the province's) unrestricted cases;
    - admin, trainer: no case content.
    Roles add up: the clause is the OR of each role's rule.
    """
    clauses: list[ColumnElement[bool]] = []
    for role in principal.roles:
        if role in (Role.prosecutor_general, Role.auditor):
            return true()
        if role is Role.district_prosecutor and principal.district_id is not None:
            clauses.append(district_id == principal.district_id)
        elif role is Role.prosecutor:
            clauses.append(assigned)
        elif role is Role.clerk and principal.district_id is not None:
            clauses.append(and_(district_id == principal.district_id, or_(not_(restricted), assigned)))
        elif role is Role.monitor:
            own = district_id == principal.district_id if principal.district_id is not None else true()
            clauses.append(and_(own, not_(restricted)))
    if not clauses:
        return false()
    return or_(*clauses)


def sees_sensitive_fields(principal: Principal) -> bool:
    """Monitors see aggregates and lists without CNICs, addresses or protected witnesses' names."""
    return principal.has_role(
        Role.prosecutor_general, Role.district_prosecutor, Role.prosecutor, Role.clerk, Role.auditor
    )
