"""HTTP routes of counsel (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from api.audit import service as audit
from api.concurrency import etag_documented, set_etag
from api.counsel import service
from api.counsel.schemas import ReassignmentIn, ReassignmentOut, SuggestionsOut, WorkloadOut
from api.db import DbSession
from api.errors import problem_responses
from api.pagination import IdPath, IdQuery, sort_key
from api.permissions import Perm, Principal, require
from api.routing import UnitOfWorkRoute, model_response

router = APIRouter(prefix="/api/v1", tags=["counsel"], route_class=UnitOfWorkRoute)
WorkloadSort = sort_key(service.WORKLOAD_SORTS)


@router.get(
    "/workload",
    response_model=WorkloadOut,
    name="workload",
    summary="Each prosecutor's load in a district",
    responses=problem_responses(401, 403, 422),
)
def workload(
    response: Response,
    db: DbSession,
    principal: Annotated[Principal, require(Perm.workload_read)],
    district_id: Annotated[
        IdQuery,
        Query(
            description="default: the caller's district; district prosecutors see their own only "
            "(another district is a 403); the prosecutor general, auditors and monitors any"
        ),
    ] = None,
    sort: Annotated[
        WorkloadSort | None,
        Query(description="a row field, - for descending (default -weighted_load)"),
    ] = None,
) -> Response:
    """A row per prosecutor of the district (its prosecutors and district prosecutors, plus anyone
    holding a current place on one of its cases that is not closed) with open, lead, associate and
    dormant cases, the weighted load (category weight x complex factor x restricted factor per open
    case, associate places counting half; ``CMMS_WORKLOAD_WEIGHTS``), hearings in the next 7 days
    and overdue tasks; totals of the district below. Case figures count the district's cases only;
    hearings and tasks are the person's own."""
    out = service.workload(db, principal=principal, district_id=district_id, sort=sort)
    return model_response(out, response)


@router.get(
    "/cases/{case_id:int}/assignment-suggestions",
    response_model=SuggestionsOut,
    name="suggest",
    summary="Least-loaded prosecutors for a case",
    responses=problem_responses(401, 403, 404, 422),
)
def suggestions(
    case_id: IdPath,
    db: DbSession,
    principal: Annotated[Principal, require(Perm.cases_assign)],
    limit: Annotated[int, Query(ge=1, le=50, description="how many (default 5)")] = 5,
) -> SuggestionsOut:
    """Active prosecutors of the case's district, not the caller and not already on its team, least
    weighted load first (then fewest open cases), each with their workload figures and a short
    ``why``. For whoever may assign the case (its district prosecutor, the prosecutor general);
    a case the caller may not see is 404."""
    return service.suggestions(db, principal=principal, case_id=case_id, limit=limit)


@router.post(
    "/reassignments",
    response_model=ReassignmentOut,
    status_code=201,
    name="reassign",
    summary="Move a prosecutor's cases to others (all or nothing)",
    responses=problem_responses(401, 403, 404, 409, 422) | etag_documented(201),
)
def reassign(
    request: Request,
    response: Response,
    db: DbSession,
    body: ReassignmentIn,
    principal: Annotated[Principal, require(Perm.cases_assign)],
) -> ReassignmentOut:
    """Every current place of ``from_prosecutor_id`` on the district's cases that are not closed
    (or only ``case_ids``, or one ``role``) goes to the target with the least weighted load,
    recomputed as cases are given out; each case gets its timeline and audit entries as a single
    assignment would. The district defaults to the caller's (district prosecutor) or the from
    prosecutor's. At most 5,000 cases per call (422 beyond). Any bad id, a target who is not an
    active prosecutor of the district (422) or is the caller (403), or a case the caller may not see
    (404) changes nothing. Send ``Idempotency-Key`` to retry safely. The ETag identifies this result."""
    out, digest = service.reassign(
        db, principal=principal, data=body, origin=audit.origin_of(request, principal.user_id)
    )
    set_etag(response, service.ETAG_KIND, digest, 1)
    return out
