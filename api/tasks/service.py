"""Tasks: work for one person, optionally on a case, with a checklist and a due date.
Keyword-only functions taking ``session``; they never commit.

Who sees a task: its assignee and its creator; district prosecutors and clerks the tasks of their
district (a task's district is its case's, or for a task without a case its assignee's); the
prosecutor general and auditors every task. Always: a task on a case only while that case is
readable (``cases.access``), otherwise it does not exist for the caller (404)."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, or_, select, true
from sqlalchemy.orm import Session

from api import db
from api.audit import service as audit
from api.cases import service as cases_service
from api.cases.access import get_readable, readable_filter
from api.cases.models import Case
from api.concurrency import check_if_match
from api.deadlines.service import today
from api.errors import Forbidden, NotFound, ValidationFailed
from api.notifications import service as notifications
from api.permissions import Perm, Principal, Role
from api.tasks.models import Task
from api.tasks.schemas import TaskCreate, TaskUpdate
from api.users.models import User

ETAG_KIND = "task"
LIST_SORTS = {"due_date": Task.due_date, "created_at": Task.created_at}
#: the SPA's page of the caller's tasks (notifications link there)
TASKS_LINK = "/tasks"


def visible(principal: Principal) -> ColumnElement[bool]:
    """The WHERE clause of the tasks a principal may see (module docstring)."""
    who: list[ColumnElement[bool]] = [
        Task.assignee_id == principal.user_id,
        Task.created_by == principal.user_id,
    ]
    if principal.has_role(Role.prosecutor_general, Role.auditor):
        who = [true()]
    elif principal.has_role(Role.district_prosecutor, Role.clerk) and principal.district_id is not None:
        who.append(Task.district_id == principal.district_id)
    case_ok = or_(Task.case_id.is_(None), exists().where(Case.id == Task.case_id, readable_filter(principal)))
    return and_(or_(*who), case_ok)


def principal_of(user: User) -> Principal:
    """The principal a user would be (to check what an assignee may read)."""
    return Principal(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        roles=frozenset(Role(r) for r in user.roles if r in Role.__members__),
        district_id=user.district_id,
        session_id="",
    )


def _assignee(session: Session, assignee_id: int, case: Case | None, loc: list[str | int]) -> User:
    """An active user who may hold tasks and read the task's case (422 otherwise)."""
    user = session.get(User, assignee_id)
    if user is None or not user.is_active:
        raise ValidationFailed.at(loc, "No such active user.")
    who = principal_of(user)
    if not who.can(Perm.tasks_read):
        raise ValidationFailed.at(loc, "This user's role does not hold tasks.")
    if case is not None and not session.scalar(
        select(exists().where(Case.id == case.id, readable_filter(who)))
    ):
        raise ValidationFailed.at(loc, "This user cannot read the case.")
    return user


def _check_due(value: date | None, loc: list[str | int]) -> None:
    if value is not None and value < today():
        raise ValidationFailed.at(loc, "cannot be in the past")


def _notify_assignee(session: Session, task: Task, case: Case | None, actor: Principal) -> None:
    """Tell the assignee (never the actor assigning to themselves); once per task and assignee."""
    message = f"{actor.full_name} gave you a task: {task.title}"
    if case is not None:
        message += f" ({case.number})"
    if task.due_date is not None:
        message += f", due {task.due_date.strftime('%d %b %Y')}"
    notifications.notify(
        session,
        user_ids=[task.assignee_id],
        kind="task_assigned",
        message=message,
        case_id=task.case_id,
        link=TASKS_LINK,
        dedupe_key=f"task:{task.id}:assigned:{task.assignee_id}",
        skip_user_id=actor.user_id,
    )


def _completed(task: Task, status: str) -> None:
    task.status = status
    task.completed_at = db.utcnow() if status in ("done", "cancelled") else None


def create_task(session: Session, *, principal: Principal, data: TaskCreate, origin: audit.Origin) -> Task:
    case = get_readable(session, principal, data.case_id) if data.case_id is not None else None
    assignee = _assignee(session, data.assignee_id, case, ["body", "assignee_id"])
    _check_due(data.due_date, ["body", "due_date"])
    task = Task(
        case_id=case.id if case else None,
        district_id=case.district_id if case else assignee.district_id,
        title=data.title,
        description=data.description,
        assignee_id=assignee.id,
        due_date=data.due_date,
        checklist=[item.model_dump() for item in data.checklist],
        created_by=principal.user_id,
    )
    _completed(task, data.status)
    session.add(task)
    session.flush()
    if case is not None:
        cases_service.record_event(
            session,
            case=case,
            actor_id=principal.user_id,
            kind="task",
            summary=f"Task for {assignee.full_name}: {task.title}"
            + (f" (due {task.due_date.isoformat()})" if task.due_date else ""),
            details={"task_id": task.id, "action": "created", "assignee_id": assignee.id},
        )
    audit.record(
        session,
        origin=origin,
        action="create",
        entity_type="task",
        entity_id=task.id,
        details={
            "case_id": task.case_id,
            "assignee_id": assignee.id,
            "due_date": task.due_date.isoformat() if task.due_date else None,
        },
    )
    _notify_assignee(session, task, case, principal)
    return task


def list_tasks(
    session: Session,
    principal: Principal,
    *,
    assignee_id: int | None = None,
    case_id: int | None = None,
    district_id: int | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
) -> Select[tuple[Task]]:
    stmt = select(Task).where(visible(principal))
    if assignee_id is not None:
        stmt = stmt.where(Task.assignee_id == assignee_id)
    if case_id is not None:
        stmt = stmt.where(Task.case_id == case_id)
    if district_id is not None:
        stmt = stmt.where(Task.district_id == district_id)
    if status is not None:
        stmt = stmt.where(Task.status == status)
    now = today()
    if overdue is True:
        stmt = stmt.where(Task.status == "open", Task.due_date < now)
    elif overdue is False:
        stmt = stmt.where(or_(Task.status != "open", Task.due_date.is_(None), Task.due_date >= now))
    if due_from is not None:
        stmt = stmt.where(Task.due_date >= due_from)
    if due_to is not None:
        stmt = stmt.where(Task.due_date <= due_to)
    return stmt


def get_task(session: Session, *, principal: Principal, task_id: int) -> Task:
    task = session.scalar(select(Task).where(Task.id == task_id, visible(principal)))
    if task is None:
        raise NotFound("No such task.")
    return task


#: what the assignee may change on their own task without the right to write tasks
ASSIGNEE_FIELDS = {"status", "checklist"}


def update_task(
    session: Session,
    *,
    principal: Principal,
    task_id: int,
    data: TaskUpdate,
    if_match: str | None,
    origin: audit.Origin,
) -> Task:
    task = get_task(session, principal=principal, task_id=task_id)
    changes = data.model_dump(exclude_unset=True)
    if data.checklist is not None:  # whole items: exclude_unset would drop an item's default `done`
        changes["checklist"] = [item.model_dump() for item in data.checklist]
    if not principal.can(Perm.tasks_write) and not (
        task.assignee_id == principal.user_id and set(changes) <= ASSIGNEE_FIELDS
    ):
        raise Forbidden("You may tick the checklist and set the status of your own tasks only.")
    check_if_match(if_match, ETAG_KIND, task.id, task.version)
    case = session.get(Case, task.case_id) if task.case_id is not None else None
    if "assignee_id" in changes and changes["assignee_id"] != task.assignee_id:
        assignee = _assignee(session, changes["assignee_id"], case, ["body", "assignee_id"])
        if case is None:
            task.district_id = assignee.district_id
    else:
        assignee = None
        changes.pop("assignee_id", None)
    if "due_date" in changes and changes["due_date"] != task.due_date:
        _check_due(changes["due_date"], ["body", "due_date"])
    diff: dict[str, Any] = {}
    for key, value in changes.items():
        before = getattr(task, key)
        if before == value:
            continue
        diff[key] = {"from": _plain(before), "to": _plain(value)}
        if key == "status":
            _completed(task, value)
        else:
            setattr(task, key, value)
    if not diff:
        return task
    task.updated_at = db.utcnow()
    session.flush()
    if case is not None and ("status" in diff or assignee is not None):
        if assignee is not None:
            summary = f"Task reassigned to {assignee.full_name}: {task.title}"
        else:
            summary = f"Task {'reopened' if task.status == 'open' else task.status}: {task.title}"
        cases_service.record_event(
            session,
            case=case,
            actor_id=principal.user_id,
            kind="task",
            summary=summary,
            details={"task_id": task.id, "action": "updated", "changes": sorted(diff)},
        )
    audit.record(
        session,
        origin=origin,
        action="update",
        entity_type="task",
        entity_id=task.id,
        details={"changes": diff},
    )
    if assignee is not None:
        _notify_assignee(session, task, case, principal)
    return task


def _plain(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def context_of(session: Session, tasks: list[Task]) -> tuple[dict[int, str], dict[int, str]]:
    """(case numbers, user names) for presenting a page of tasks: two queries."""
    case_ids = {t.case_id for t in tasks if t.case_id is not None}
    numbers = (
        {k: v for k, v in session.execute(select(Case.id, Case.number).where(Case.id.in_(case_ids)))}
        if case_ids
        else {}
    )
    user_ids = {t.assignee_id for t in tasks} | {t.created_by for t in tasks if t.created_by is not None}
    names = (
        {k: v for k, v in session.execute(select(User.id, User.full_name).where(User.id.in_(user_ids)))}
        if user_ids
        else {}
    )
    return numbers, names
