"""HTTP routes of deadlines (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response

from api.audit import service as audit
from api.concurrency import etag, etag_documented, set_etag
from api.db import DbSession
from api.deadlines import service
from api.deadlines.models import CaseDeadline
from api.deadlines.schemas import DeadlineOut, DeadlineUpdate, Status
from api.errors import problem_responses
from api.pagination import IdPath, IdQuery, Page, PageParams, as_dicts, page_response, paginate, sorting
from api.permissions import Perm, Principal, require
from api.routing import UnitOfWorkRoute
from api.schema_rules import IsoDate, TextBool

router = APIRouter(prefix="/api/v1", tags=["deadlines"], route_class=UnitOfWorkRoute)

Reader = Annotated[Principal, require(Perm.deadlines_read)]


def _fields(row: dict[str, Any], today: date) -> dict[str, Any]:
    """A ``DeadlineOut``'s fields from a deadline's columns and what it is shown with (a page's
    row, or ``service.shown``)."""
    status, due, met_on = row["status"], row["due_date"], row["met_on"]
    is_open = status == "open"
    return {
        "id": row["id"],
        "case_id": row["case_id"],
        "case_number": row["case_number"],
        "rule": row["rule_code"],
        "rule_id": row["rule_id"],
        "legal_reference": row["legal_reference"],
        "trigger_event": row["trigger_event"],
        "confidence": row["confidence"],
        "source": row["source"],
        "triggered_on": row["triggered_on"],
        "due_date": due,
        "status": status,
        "overdue": is_open and due < today,
        "days_left": (due - today).days if is_open else None,
        "met_on": met_on,
        "met_late": met_on is not None and met_on > due,
        "note": row["note"],
        "etag": etag(service.ETAG_KIND, row["id"], row["version"]),
    }


def _one(db: DbSession, row: CaseDeadline) -> DeadlineOut:
    return DeadlineOut.model_validate(_fields(service.shown(db, row), service.today()))


@router.get(
    "/deadlines",
    response_model=Page[DeadlineOut],
    name="list",
    summary="Statutory deadlines of the cases you may read",
    responses=problem_responses(401, 403, 422),
)
def list_deadlines(
    db: DbSession,
    paging: Annotated[PageParams, sorting(service.LIST_SORTS, "due_date")],
    principal: Reader,
    case_id: IdQuery = None,
    district_id: IdQuery = None,
    status: Status | None = None,
    overdue: Annotated[TextBool | None, Query(description="true: open and due before today")] = None,
    due_from: IsoDate | None = None,
    due_to: IsoDate | None = None,
    rule: Annotated[str | None, Query(max_length=64, pattern=r"^[A-Z][A-Z0-9_]{1,63}$")] = None,
) -> Response:
    """``sort``: due_date (default), triggered_on (``-`` for descending). The total is counted up
    to 10,000 (then ``total_capped``)."""
    stmt = service.list_deadlines(
        db,
        principal,
        case_id=case_id,
        district_id=district_id,
        status=status,
        overdue=overdue,
        due_from=due_from,
        due_to=due_to,
        rule=rule,
    )
    rows, total = paginate(
        db,
        stmt,
        paging,
        allowed=service.LIST_SORTS,
        default_sort="due_date",
        tiebreak=CaseDeadline.id,
        core=True,
    )
    today = service.today()
    return page_response(DeadlineOut, [_fields(r, today) for r in as_dicts(rows)], total, paging)


@router.get(
    "/deadlines/{deadline_id:int}",
    response_model=DeadlineOut,
    name="get",
    summary="One deadline",
    responses=problem_responses(401, 403, 404, 422) | etag_documented(),
)
def get_deadline(deadline_id: IdPath, response: Response, db: DbSession, principal: Reader) -> DeadlineOut:
    row = service.get_deadline(db, principal=principal, deadline_id=deadline_id)
    set_etag(response, service.ETAG_KIND, row.id, row.version)
    return _one(db, row)


@router.patch(
    "/deadlines/{deadline_id:int}",
    response_model=DeadlineOut,
    name="update",
    summary="Waive a deadline (or reopen a waived one)",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428) | etag_documented(),
)
def update_deadline(
    deadline_id: IdPath,
    body: DeadlineUpdate,
    request: Request,
    response: Response,
    db: DbSession,
    principal: Reader,
    if_match: Annotated[str | None, Header(description="the ETag you read")] = None,
) -> DeadlineOut:
    """The district prosecutor of the case's district or the prosecutor general; ``note`` (why)
    is required to waive. A met deadline cannot change (409)."""
    row = service.update_deadline(
        db,
        principal=principal,
        deadline_id=deadline_id,
        status=body.status,
        note=body.note,
        if_match=if_match,
        origin=audit.origin_of(request, principal.user_id),
    )
    set_etag(response, service.ETAG_KIND, row.id, row.version)
    return _one(db, row)
