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
from api.pagination import MAX_ID, IdPath, Page, Paging
from api.permissions import Perm, Principal, require
from api.routing import UnitOfWorkRoute

router = APIRouter(prefix="/api/v1", tags=["monitoring"], route_class=UnitOfWorkRoute)

Supervisor = Annotated[Principal, require(Perm.reports_read)]


def _etag(response: Response, kind: str, ident: object, body: str) -> None:
    """Computed answers: the ETag is a digest of the content (it changes when a figure does)."""
    digest = hashlib.sha256(body.encode()).hexdigest()[:16]
    response.headers["ETag"] = f'"{kind}-{ident}-{digest}"'


@router.get(
    "/monitoring/districts/{district_id}",
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


@router.get(
    "/monitoring/districts/{district_id}/{figure}",
    response_model=Page[MonitoringRow],
    name="list",
    summary="The cases behind a dashboard figure",
    responses=problem_responses(401, 403, 404, 422) | etag_documented(),
)
def figure_list(
    district_id: IdPath,
    figure: service.Figure,
    response: Response,
    db: DbSession,
    paging: Paging,
    principal: Supervisor,
    prosecutor_id: Annotated[
        int | None,
        Query(ge=1, le=MAX_ID, description="prosecution-adjournments only: one prosecutor's"),
    ] = None,
) -> Page[MonitoringRow]:
    """Case rows ``{case_id, number, title, stage, detail}``; the total equals the figure's count.
    ``sort`` per figure: overdue-deadlines ``due_date`` (default); hearings-without-prosecutor
    ``starts_at`` (default); prosecution-adjournments ``starts_at`` (default ``-starts_at``);
    cases-without-hearing and returns-to-police ``fir_date``, ``number``, ``stage_changed_at``
    (defaults ``fir_date`` and ``stage_changed_at``)."""
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
