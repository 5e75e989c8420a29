"""HTTP routes of tasks (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request, Response

from api.audit import service as audit
from api.concurrency import etag, etag_documented, set_etag
from api.db import DbSession
from api.deadlines.service import today
from api.errors import problem_responses
from api.pagination import ME_OR_ID, IdPath, IdQuery, Page, PageParams, me_or_id, paginate, sorting
from api.permissions import Perm, Principal, require
from api.routing import UnitOfWorkRoute
from api.schema_rules import IsoDate, TextBool
from api.tasks import service
from api.tasks.models import Task
from api.tasks.schemas import ChecklistItemOut, Status, TaskCreate, TaskOut, TaskUpdate

router = APIRouter(prefix="/api/v1", tags=["tasks"], route_class=UnitOfWorkRoute)

Reader = Annotated[Principal, require(Perm.tasks_read)]


def _out(task: Task, numbers: dict[int, str], names: dict[int, str], now: date) -> TaskOut:
    return TaskOut(
        id=task.id,
        title=task.title,
        description=task.description,
        case_id=task.case_id,
        case_number=numbers.get(task.case_id) if task.case_id is not None else None,
        district_id=task.district_id,
        assignee_id=task.assignee_id,
        assignee_name=names.get(task.assignee_id),
        due_date=task.due_date,
        status=task.status,  # type: ignore[arg-type]
        overdue=task.status == "open" and task.due_date is not None and task.due_date < now,
        checklist=[ChecklistItemOut.model_validate(item) for item in task.checklist or []],
        completed_at=task.completed_at,
        created_at=task.created_at,
        created_by=task.created_by,
        created_by_name=names.get(task.created_by) if task.created_by is not None else None,
        updated_at=task.updated_at,
        etag=etag(service.ETAG_KIND, task.id, task.version),
    )


def _present(db: DbSession, tasks: list[Task]) -> list[TaskOut]:
    numbers, names = service.context_of(db, tasks)
    now = today()
    return [_out(t, numbers, names, now) for t in tasks]


def _one(db: DbSession, task: Task, response: Response) -> TaskOut:
    set_etag(response, service.ETAG_KIND, task.id, task.version)
    return _present(db, [task])[0]


@router.get(
    "/tasks",
    response_model=Page[TaskOut],
    name="list",
    summary="Tasks you may see",
    responses=problem_responses(401, 403, 422),
)
def list_tasks(
    db: DbSession,
    paging: Annotated[PageParams, sorting(service.LIST_SORTS, "due_date")],
    principal: Reader,
    assignee_id: Annotated[str | None, Query(pattern=ME_OR_ID, description="a user id, or `me`")] = None,
    case_id: IdQuery = None,
    district_id: IdQuery = None,
    status: Status | None = None,
    overdue: Annotated[TextBool | None, Query(description="true: open and due before today")] = None,
    due_from: IsoDate | None = None,
    due_to: IsoDate | None = None,
) -> Page[TaskOut]:
    """Prosecutors see the tasks assigned to them or set by them; district prosecutors and clerks
    also their district's; the prosecutor general and auditors all (a task on a case only while the
    case is readable). ``sort``: due_date (default), created_at (``-`` for descending)."""
    stmt = service.list_tasks(
        db,
        principal,
        assignee_id=me_or_id(assignee_id, principal.user_id),
        case_id=case_id,
        district_id=district_id,
        status=status,
        overdue=overdue,
        due_from=due_from,
        due_to=due_to,
    )
    rows, total = paginate(
        db, stmt, paging, allowed=service.LIST_SORTS, default_sort="due_date", tiebreak=Task.id
    )
    return Page[TaskOut](items=_present(db, rows), total=total, limit=paging.limit, offset=paging.offset)


@router.post(
    "/tasks",
    response_model=TaskOut,
    status_code=201,
    name="create",
    summary="Give someone a task",
    responses=problem_responses(401, 403, 404, 422) | etag_documented(201),
)
def create_task(
    body: TaskCreate,
    request: Request,
    response: Response,
    db: DbSession,
    principal: Annotated[Principal, require(Perm.tasks_write)],
) -> TaskOut:
    """The assignee must be an active user who may read the case (422); a case you cannot read is
    404. The assignee is notified (unless you assign yourself)."""
    task = service.create_task(
        db, principal=principal, data=body, origin=audit.origin_of(request, principal.user_id)
    )
    response.headers["Location"] = f"/api/v1/tasks/{task.id}"
    return _one(db, task, response)


@router.get(
    "/tasks/{task_id:int}",
    response_model=TaskOut,
    name="get",
    summary="One task",
    responses=problem_responses(401, 403, 404, 422) | etag_documented(),
)
def get_task(task_id: IdPath, response: Response, db: DbSession, principal: Reader) -> TaskOut:
    return _one(db, service.get_task(db, principal=principal, task_id=task_id), response)


@router.patch(
    "/tasks/{task_id:int}",
    response_model=TaskOut,
    name="update",
    summary="Edit a task, tick its checklist, mark it done",
    responses=problem_responses(401, 403, 404, 412, 422, 428) | etag_documented(),
)
def update_task(
    task_id: IdPath,
    body: TaskUpdate,
    request: Request,
    response: Response,
    db: DbSession,
    principal: Reader,
    if_match: Annotated[str | None, Header(description="the ETag you read")] = None,
) -> TaskOut:
    """``status`` done or cancelled sets ``completed_at`` (open clears it). The assignee may change
    the status and the checklist of their own task; other edits need the right to write tasks."""
    task = service.update_task(
        db,
        principal=principal,
        task_id=task_id,
        data=body,
        if_match=if_match,
        origin=audit.origin_of(request, principal.user_id),
    )
    return _one(db, task, response)
