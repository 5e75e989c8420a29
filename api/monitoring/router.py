"""HTTP routes of monitoring (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

import hashlib
from typing import Annotated

from fastapi import APIRouter, Query, Response

from api.concurrency import etag_documented
from api.db import DbSession
from api.errors import problem_responses
from api.monitoring import service
from api.monitoring.schemas import DistrictDashboard, MonitoringRow
from api.pagination import MAX_ID, IdPath, Page, PageParams, sorting
from api.permissions import Perm, Principal, require
from api.routing import UnitOfWorkRoute

router = APIRouter(prefix="/api/v1", tags=["monitoring"], route_class=UnitOfWorkRoute)

Supervisor = Annotated[Principal, require(Perm.reports_read)]


def _etag(response: Response, kind: str, ident: object, body: str) -> None:
    """Computed answers: the ETag is a digest of the content (it changes when a figure does)."""
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    response.headers["ETag"] = f'"{kind}-{ident}-{digest}"'


@router.get(
    "/monitoring/districts/{district_id:int}",
    response_model=DistrictDashboard,
    name="district",
    summary="A district's dashboard",
    responses=problem_responses(401, 403, 404, 422) | etag_documented(),
)
def district_dashboard(
    district_id: IdPath, response: Response, db: DbSession, principal: Supervisor
) -> DistrictDashboard:
    """Overdue deadlines, tomorrow's hearings without a prosecutor, trial cases without a hearing
    for 60 days, this month's adjournments attributed to the prosecution (by prosecutor), returns
    to police awaiting resubmission: each a count and the link to its list. District prosecutors
    (and monitors with a district) see their own district only; the counts cover the cases the
    caller may read."""
    out = DistrictDashboard.model_validate(
        service.dashboard(db, principal=principal, district_id=district_id)
    )
    _etag(response, "monitoring", district_id, out.model_dump_json(exclude={"as_of"}))
    return out


# --- the lists behind the figures: one route each, as each sorts by its own fields ---------------

LIST = problem_responses(401, 403, 404, 422) | etag_documented()
DeadlinePaging = Annotated[PageParams, sorting(*service.FIGURE_SORTS["overdue-deadlines"])]
UnstaffedPaging = Annotated[PageParams, sorting(*service.FIGURE_SORTS["hearings-without-prosecutor"])]
StalledPaging = Annotated[PageParams, sorting(*service.FIGURE_SORTS["cases-without-hearing"])]
AdjournmentPaging = Annotated[PageParams, sorting(*service.FIGURE_SORTS["prosecution-adjournments"])]
ReturnedPaging = Annotated[PageParams, sorting(*service.FIGURE_SORTS["returns-to-police"])]
ROWS = "Case rows ``{case_id, number, title, stage, detail}``; the total equals the figure's count."


def _figure_page(
    figure: service.Figure,
    district_id: int,
    response: Response,
    db: DbSession,
    paging: PageParams,
    principal: Principal,
    prosecutor_id: int | None = None,
) -> Page[MonitoringRow]:
    rows, total = service.figure_rows(
        db,
        principal=principal,
        district_id=district_id,
        figure=figure,
        params=paging,
        prosecutor_id=prosecutor_id,
    )
    page = Page[MonitoringRow](
        items=[MonitoringRow.model_validate(r) for r in rows],
        total=total,
        limit=paging.limit,
        offset=paging.offset,
    )
    _etag(response, "monitoring", f"{district_id}-{figure}", page.model_dump_json())
    return page


@router.get(
    "/monitoring/districts/{district_id:int}/overdue-deadlines",
    response_model=Page[MonitoringRow],
    name="list-overdue-deadlines",
    summary="The open deadlines past their due date",
    description=ROWS,
    responses=LIST,
)
def overdue_deadlines(
    district_id: IdPath, response: Response, db: DbSession, paging: DeadlinePaging, principal: Supervisor
) -> Page[MonitoringRow]:
    return _figure_page("overdue-deadlines", district_id, response, db, paging, principal)


@router.get(
    "/monitoring/districts/{district_id:int}/hearings-without-prosecutor",
    response_model=Page[MonitoringRow],
    name="list-hearings-without-prosecutor",
    summary="Tomorrow's hearings without a prosecutor",
    description=ROWS,
    responses=LIST,
)
def hearings_without_prosecutor(
    district_id: IdPath, response: Response, db: DbSession, paging: UnstaffedPaging, principal: Supervisor
) -> Page[MonitoringRow]:
    return _figure_page("hearings-without-prosecutor", district_id, response, db, paging, principal)


@router.get(
    "/monitoring/districts/{district_id:int}/cases-without-hearing",
    response_model=Page[MonitoringRow],
    name="list-cases-without-hearing",
    summary="Trial cases without a hearing for 60 days",
    description=ROWS,
    responses=LIST,
)
def cases_without_hearing(
    district_id: IdPath, response: Response, db: DbSession, paging: StalledPaging, principal: Supervisor
) -> Page[MonitoringRow]:
    return _figure_page("cases-without-hearing", district_id, response, db, paging, principal)


@router.get(
    "/monitoring/districts/{district_id:int}/prosecution-adjournments",
    response_model=Page[MonitoringRow],
    name="list-prosecution-adjournments",
    summary="This month's adjournments attributed to the prosecution",
    description=ROWS,
    responses=LIST,
)
def prosecution_adjournments(
    district_id: IdPath,
    response: Response,
    db: DbSession,
    paging: AdjournmentPaging,
    principal: Supervisor,
    prosecutor_id: Annotated[int | None, Query(ge=1, le=MAX_ID, description="one prosecutor's")] = None,
) -> Page[MonitoringRow]:
    return _figure_page(
        "prosecution-adjournments", district_id, response, db, paging, principal, prosecutor_id
    )


@router.get(
    "/monitoring/districts/{district_id:int}/returns-to-police",
    response_model=Page[MonitoringRow],
    name="list-returns-to-police",
    summary="Cases returned to the police, awaiting resubmission",
    description=ROWS,
    responses=LIST,
)
def returns_to_police(
    district_id: IdPath, response: Response, db: DbSession, paging: ReturnedPaging, principal: Supervisor
) -> Page[MonitoringRow]:
    return _figure_page("returns-to-police", district_id, response, db, paging, principal)
