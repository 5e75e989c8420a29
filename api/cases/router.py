from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response

from api.audit import service as audit
from api.cases import file_router, present, service
from api.cases.models import Case, CaseEvent
from api.cases.schemas import (
    AssignmentIn,
    AssignmentOut,
    CaseCreate,
    CaseOut,
    CaseSummary,
    CaseUpdate,
    Category,
    EventOut,
    Stage,
    TransitionIn,
)
from api.concurrency import etag_documented, set_etag
from api.db import DbSession, WriteDbSession
from api.errors import problem_responses
from api.pagination import IdPath, IdQuery, Page, PageParams, page_response, paginate, sorting
from api.permissions import Perm, Principal, require
from api.routing import UnitOfWorkRoute, model_response
from api.schema_rules import IsoDate, TextBool
from api.users import service as users_service

cases = APIRouter(prefix="/api/v1/cases", tags=["cases"], route_class=UnitOfWorkRoute)

Reader = Annotated[Principal, require(Perm.cases_read)]
TIMELINE_SORTS = {"at": CaseEvent.at}


def _detail(db: Any, case: Case, principal: Principal, response: Response) -> CaseOut:
    set_etag(response, service.ETAG_KIND, case.id, case.version)
    return present.case_out(case, principal=principal, file=service.file_of(db, case.id))


@cases.get(
    "",
    response_model=Page[CaseSummary],
    name="list",
    summary="Find cases",
    responses=problem_responses(401, 403, 422),
)
def list_cases(
    db: DbSession,
    paging: Annotated[PageParams, sorting(service.LIST_SORTS, "-created_at")],
    principal: Reader,
    q: Annotated[
        str | None,
        Query(
            max_length=200,
            description="words of case/FIR numbers, names (English or Urdu), sections, police station: "
            "whole words, the last one also as the beginning of a word",
        ),
    ] = None,
    stage: Annotated[list[Stage] | None, Query(description="one or more stages")] = None,
    district_id: IdQuery = None,
    prosecutor_id: IdQuery = None,
    court_id: IdQuery = None,
    police_station_id: IdQuery = None,
    category: Category | None = None,
    restricted: TextBool | None = None,
    fir_from: IsoDate | None = None,
    fir_to: IsoDate | None = None,
) -> Response:
    """Only cases the caller may see. ``sort``: created_at, fir_date, number, updated_at,
    stage_changed_at (``-`` for descending; default ``-created_at``)."""
    stmt, binds = service.list_cases(
        db,
        principal,
        q=q,
        stage=list(stage) if stage else None,
        district_id=district_id,
        prosecutor_id=prosecutor_id,
        court_id=court_id,
        police_station_id=police_station_id,
        category=category,
        restricted=restricted,
        fir_from=fir_from,
        fir_to=fir_to,
    )
    rows, total = paginate(
        db,
        stmt,
        paging,
        allowed=service.LIST_SORTS,
        default_sort="-created_at",
        tiebreak=Case.id.desc(),
        core=True,
        binds=binds,
    )
    return page_response(CaseSummary, rows, total, paging)


@cases.post(
    "",
    response_model=CaseOut,
    status_code=201,
    name="create",
    summary="File a case",
    responses=problem_responses(401, 403, 409, 422) | etag_documented(201),
)
def create_case(
    request: Request,
    response: Response,
    db: DbSession,
    body: CaseCreate,
    principal: Annotated[Principal, require(Perm.cases_create)],
) -> CaseOut:
    """Registers the FIR, the accused, the charges and the other people; the case gets its number
    (``<district code>-<year>-<six digits>``) and starts in ``intake``."""
    case = service.create_case(
        db, data=body, principal=principal, origin=audit.origin_of(request, principal.user_id)
    )
    response.headers["Location"] = f"/api/v1/cases/{case.id}"
    return _detail(db, case, principal, response)


@cases.get(
    "/{case_id:int}",
    response_model=CaseOut,
    name="get",
    summary="One case",
    responses=problem_responses(401, 403, 404, 422) | etag_documented(),
)
def get_case(
    case_id: IdPath, request: Request, response: Response, db: WriteDbSession, principal: Reader
) -> Response:
    case = service.read_case(
        db, principal=principal, case_id=case_id, origin=audit.origin_of(request, principal.user_id)
    )
    return model_response(_detail(db, case, principal, response), response)


@cases.patch(
    "/{case_id:int}",
    response_model=CaseOut,
    name="update",
    summary="Edit a case",
    responses=problem_responses(401, 403, 404, 412, 422, 428) | etag_documented(),
)
def update_case(
    case_id: IdPath,
    request: Request,
    response: Response,
    db: DbSession,
    body: CaseUpdate,
    principal: Annotated[Principal, require(Perm.cases_update)],
    if_match: Annotated[str | None, Header(description="the ETag you read")] = None,
) -> CaseOut:
    """``number``, ``stage`` and ``id`` are not editable (422); stage moves go through transitions."""
    case = service.update_case(
        db,
        principal=principal,
        case_id=case_id,
        data=body,
        if_match=if_match,
        origin=audit.origin_of(request, principal.user_id),
    )
    return _detail(db, case, principal, response)


@cases.post(
    "/{case_id:int}/transitions",
    response_model=CaseOut,
    name="transition",
    summary="Move a case to another stage",
    responses=problem_responses(401, 403, 404, 409, 422) | etag_documented(),
)
def transition(
    case_id: IdPath,
    request: Request,
    response: Response,
    db: DbSession,
    body: TransitionIn,
    principal: Annotated[Principal, require(Perm.cases_transition)],
) -> CaseOut:
    """An illegal move is a 409 whose body lists the ``allowed`` next stages."""
    case = service.transition(
        db,
        principal=principal,
        case_id=case_id,
        data=body,
        origin=audit.origin_of(request, principal.user_id),
    )
    return _detail(db, case, principal, response)


@cases.get(
    "/{case_id:int}/timeline",
    response_model=Page[EventOut],
    name="timeline",
    summary="Everything that happened to a case",
    responses=problem_responses(401, 403, 404, 422),
)
def timeline(
    case_id: IdPath,
    db: DbSession,
    paging: Annotated[PageParams, sorting(TIMELINE_SORTS, "at")],
    principal: Reader,
) -> Page[EventOut]:
    """Oldest first."""
    stmt = service.timeline(db, principal=principal, case_id=case_id)
    rows, total = paginate(db, stmt, paging, allowed=TIMELINE_SORTS, default_sort="at", tiebreak=CaseEvent.id)
    names = users_service.names_of(db, {e.actor_id for e in rows if e.actor_id is not None})
    return Page[EventOut](
        items=[
            EventOut.model_validate(e).model_copy(update={"actor_name": names.get(e.actor_id)}) for e in rows
        ],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )


@cases.post(
    "/{case_id:int}/assignments",
    response_model=AssignmentOut,
    status_code=201,
    name="assign",
    summary="Assign a prosecutor",
    responses=problem_responses(401, 403, 404, 409, 422) | etag_documented(201),
)
def assign(
    case_id: IdPath,
    request: Request,
    response: Response,
    db: DbSession,
    body: AssignmentIn,
    principal: Annotated[Principal, require(Perm.cases_assign)],
) -> Any:
    """Only the district prosecutor of the case's district and the prosecutor general assign; nobody
    assigns themselves. The answer's ETag is the case's new version."""
    assignment, case = service.assign(
        db,
        principal=principal,
        case_id=case_id,
        prosecutor_id=body.prosecutor_id,
        role=body.role,
        reason=body.reason,
        origin=audit.origin_of(request, principal.user_id),
    )
    set_etag(response, service.ETAG_KIND, case.id, case.version)
    return assignment


#: what the app includes: the case routes, the case file's parts, the person index
router = APIRouter(route_class=UnitOfWorkRoute)
router.include_router(cases)
router.include_router(file_router.router)
router.include_router(file_router.persons_router)
