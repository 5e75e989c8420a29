"""HTTP routes of hearings (thin: parse, call the service, shape the answer): scheduling with the
clash warning, outcomes, lists and diaries, and each court's cause list (JSON or PDF).

A prosecutor's diary is the list: ``GET /api/v1/hearings?prosecutor_id=me&from=…&to=…``."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Request, Response

from api.audit import service as audit
from api.concurrency import etag_documented, set_etag
from api.config import get_settings
from api.db import DbSession, columns_of, local_zone
from api.errors import problem_responses
from api.hearings import causelist, service
from api.hearings.models import Hearing
from api.hearings.schemas import (
    CauseList,
    CauseListItem,
    ConflictOut,
    ConflictsOut,
    HearingCheck,
    HearingCreate,
    HearingOut,
    HearingUpdate,
    HearingWritten,
    Outcome,
    Purpose,
    Side,
)
from api.pagination import (
    ME_OR_ID,
    IdPath,
    IdQuery,
    Page,
    PageParams,
    as_dicts,
    me_or_id,
    page_response,
    paginate,
    sorting,
)
from api.permissions import Perm, Principal, require
from api.routing import UnitOfWorkRoute
from api.schema_rules import DateOrInstant, IsoDate, TextBool

router = APIRouter(prefix="/api/v1", tags=["hearings"], route_class=UnitOfWorkRoute)

Reader = Annotated[Principal, require(Perm.hearings_read)]
Writer = Annotated[Principal, require(Perm.hearings_write)]
PDF = "application/pdf"


def hearing_fields(hearing: dict[str, Any], labels: service.Labels) -> dict[str, Any]:
    """A ``HearingOut``'s fields from a hearing's columns (``columns_of``, or a page's rows)."""
    number, title = labels.cases.get(hearing["case_id"], ("", ""))
    minutes = service.length(hearing["duration_minutes"])
    return {
        "id": hearing["id"],
        "case_id": hearing["case_id"],
        "case_number": number,
        "case_title": title,
        "district_id": hearing["district_id"],
        "court_id": hearing["court_id"],
        "court_name": labels.courts.get(hearing["court_id"]),
        "judge": hearing["judge"],
        "starts_at": hearing["starts_at"],
        "ends_at": hearing["starts_at"] + timedelta(minutes=minutes),
        "duration_minutes": minutes,
        "purpose": hearing["purpose"],
        "prosecutor_id": hearing["prosecutor_id"],
        "prosecutor_name": labels.users.get(hearing["prosecutor_id"]) if hearing["prosecutor_id"] else None,
        "outcome": hearing["outcome"],
        "adjournment": _adjournment(hearing, labels) if hearing["adjournment_reason"] else None,
        "next_hearing_id": hearing["next_hearing_id"],
        "witnesses_examined": list(hearing["witnesses_examined"] or []),
        "notes": hearing["notes"],
        "outcome_recorded_at": hearing["outcome_recorded_at"],
        "outcome_recorded_by": hearing["outcome_recorded_by"],
        "created_at": hearing["created_at"],
        "updated_at": hearing["updated_at"],
        "version": hearing["version"],
    }


def _adjournment(hearing: dict[str, Any], labels: service.Labels) -> dict[str, Any]:
    label, label_ur = labels.reasons.get(hearing["adjournment_reason"], (None, None))
    return {
        "reason": hearing["adjournment_reason"],
        "label": label,
        "label_ur": label_ur,
        "attributed_to": hearing["adjournment_attributed_to"],
    }


def hearing_out(hearing: Hearing, labels: service.Labels) -> HearingOut:
    return HearingOut.model_validate(hearing_fields(columns_of(hearing), labels))


def _written(
    db: Any,
    response: Response,
    hearing: Hearing,
    conflicts: list[ConflictOut],
    next_hearing: Hearing | None = None,
    next_conflicts: list[ConflictOut] | None = None,
) -> HearingWritten:
    set_etag(response, service.ETAG_KIND, hearing.id, hearing.version)
    labels = service.labels_for(db, [columns_of(h) for h in (hearing, next_hearing) if h is not None])
    out = HearingWritten(**hearing_out(hearing, labels).model_dump(), conflicts=conflicts)
    if next_hearing is not None:
        out.next_hearing = HearingWritten(
            **hearing_out(next_hearing, labels).model_dump(), conflicts=next_conflicts or []
        )
    return out


def _moment(value: date | datetime | None, *, end: bool) -> datetime | None:
    """A query bound: a date (local midnight; ``to`` includes that whole day) or a date-time with an
    offset (``DateOrInstant`` refuses one without)."""
    if value is None or isinstance(value, datetime):
        return value
    start, stop = service.day_bounds(value)
    return stop if end else start


@router.post(
    "/hearings",
    response_model=HearingWritten,
    status_code=201,
    name="create",
    summary="Schedule a hearing",
    responses=problem_responses(401, 403, 404, 409, 422) | etag_documented(201),
)
def create_hearing(
    request: Request, response: Response, db: DbSession, body: HearingCreate, principal: Writer
) -> HearingWritten:
    """``prosecutor_id`` defaults to the case's lead (``null``: nobody attending yet). The answer's
    ``conflicts`` names the prosecutor's other hearings that overlap this one (each lasting its
    ``duration_minutes`` or the configured default; back to back is not a clash): a warning, the
    hearing is saved anyway. ``starts_at`` needs an offset; a naive date-time is a 422."""
    hearing, conflicts = service.create_hearing(
        db, principal=principal, data=body, origin=audit.origin_of(request, principal.user_id)
    )
    response.headers["Location"] = f"/api/v1/hearings/{hearing.id}"
    return _written(db, response, hearing, conflicts)


@router.post(
    "/hearings/check",
    response_model=ConflictsOut,
    name="check",
    summary="Clashes a hearing would have (saves nothing)",
    responses=problem_responses(401, 403, 404, 422),
)
def check_hearing(db: DbSession, body: HearingCheck, principal: Writer) -> ConflictsOut:
    """The same body as a creation (plus ``hearing_id`` when editing one, so it is not its own
    clash), validated the same way; answers the clash warning before anything is saved."""
    return ConflictsOut(conflicts=service.check(db, principal=principal, data=body))


@router.get(
    "/hearings",
    response_model=Page[HearingOut],
    name="list",
    summary="Find hearings (calendars, diaries)",
    responses=problem_responses(401, 403, 422),
)
def list_hearings(
    db: DbSession,
    paging: Annotated[PageParams, sorting(service.LIST_SORTS, "starts_at")],
    principal: Reader,
    case_id: IdQuery = None,
    prosecutor_id: Annotated[
        str | None,
        Query(pattern=ME_OR_ID, description="a user id, or `me` (the caller's diary)"),
    ] = None,
    court_id: IdQuery = None,
    district_id: IdQuery = None,
    from_: Annotated[
        DateOrInstant | None,
        Query(
            alias="from", description="starts at or after: a date (local midnight) or a date-time with offset"
        ),
    ] = None,
    to: Annotated[
        DateOrInstant | None,
        Query(description="starts before: a date (that whole local day included) or a date-time with offset"),
    ] = None,
    outcome: Outcome | None = None,
    pending: Annotated[TextBool | None, Query(description="true: no outcome recorded yet")] = None,
    purpose: Purpose | None = None,
    unattended: Annotated[TextBool | None, Query(description="true: no prosecutor attending")] = None,
    attributed_to: Annotated[Side | None, Query(description="adjournments attributed to this side")] = None,
) -> Response:
    """Hearings of the cases the caller may read. ``sort``: starts_at (default) or -starts_at. A
    prosecutor's diary: ``prosecutor_id=me`` with ``from``/``to``; a court's day: ``court_id``. The
    total is counted up to 10,000 (then ``total_capped``)."""
    starts_from = _moment(from_, end=False)
    starts_to = _moment(to, end=True)
    stmt, binds = service.list_hearings(
        principal,
        case_id=case_id,
        prosecutor_id=me_or_id(prosecutor_id, principal.user_id),
        court_id=court_id,
        district_id=district_id,
        starts_from=starts_from,
        starts_to=starts_to,
        outcome=outcome,
        pending=pending,
        purpose=purpose,
        unattended=unattended,
        attributed_to=attributed_to,
    )
    rows, total = paginate(
        db,
        stmt,
        paging,
        allowed=service.LIST_SORTS,
        default_sort="starts_at",
        tiebreak=Hearing.id,
        core=True,
        binds=binds,
    )
    rows = as_dicts(rows)
    labels = service.labels_for(db, rows)
    return page_response(HearingOut, [hearing_fields(h, labels) for h in rows], total, paging)


@router.get(
    "/hearings/{hearing_id:int}",
    response_model=HearingOut,
    name="get",
    summary="One hearing",
    responses=problem_responses(401, 403, 404, 422) | etag_documented(),
)
def get_hearing(hearing_id: IdPath, response: Response, db: DbSession, principal: Reader) -> HearingOut:
    hearing = service.get_hearing(db, principal=principal, hearing_id=hearing_id)
    set_etag(response, service.ETAG_KIND, hearing.id, hearing.version)
    return hearing_out(hearing, service.labels_for(db, [columns_of(hearing)]))


@router.patch(
    "/hearings/{hearing_id:int}",
    response_model=HearingWritten,
    name="update",
    summary="Reschedule a hearing or record its outcome",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428) | etag_documented(),
)
def update_hearing(
    hearing_id: IdPath,
    request: Request,
    response: Response,
    db: DbSession,
    body: HearingUpdate,
    principal: Writer,
    if_match: Annotated[str | None, Header(description="the ETag you read")] = None,
) -> HearingWritten:
    """Schedule fields are re-checked for clashes (``conflicts``). The outcome: ``adjourned`` needs
    ``adjournment: {reason, attributed_to?}`` (the side defaults to the reason's); ``next_date``
    (not a Sunday or a holiday; at ``next_time`` or 09:00 local) creates the next hearing in the
    same court with the same prosecutor, returned as ``next_hearing``; ``witnesses_examined`` marks
    those witnesses ``examined`` on the case. Outcome fields on a hearing still ahead are a 422; a
    second next date is a 409."""
    written = service.update_hearing(
        db,
        principal=principal,
        hearing_id=hearing_id,
        data=body,
        if_match=if_match,
        origin=audit.origin_of(request, principal.user_id),
    )
    return _written(
        db, response, written.hearing, written.conflicts, written.next_hearing, written.next_conflicts
    )


@router.get(
    "/courts/{court_id:int}/cause-list",
    response_model=CauseList,
    name="cause-list",
    summary="A court's cause list for a day (JSON or PDF)",
    responses={
        200: {
            "description": "The cause list: JSON, or a printable PDF with `format=pdf` "
            "(or `Accept: application/pdf`)",
            "content": {PDF: {"schema": {"type": "string", "format": "binary"}}},
        },
        **problem_responses(401, 403, 404, 422),
    },
)
def cause_list(
    court_id: IdPath,
    request: Request,
    db: DbSession,
    principal: Reader,
    date_: Annotated[IsoDate, Query(alias="date", description="the local day (YYYY-MM-DD)")],
    format_: Annotated[
        Literal["json", "pdf"] | None,
        Query(alias="format", description="pdf: the printable list; default json (or by Accept)"),
    ] = None,
) -> Any:
    """The court's hearings that day in local time, in order, numbered, of the cases the caller may
    read: case and court case numbers, parties, purpose, prosecutor, FIR and police station."""
    court, rows = service.cause_list(db, principal=principal, court_id=court_id, day=date_)
    zone = local_zone()
    body = CauseList(
        court_id=court.id,
        court_name=court.name,
        date=date_,
        timezone=get_settings().timezone,
        items=[
            CauseListItem(
                serial=i,
                hearing_id=r.hearing.id,
                case_id=r.hearing.case_id,
                case_number=r.case_number,
                title=r.title,
                accused=r.accused,
                court_case_number=r.court_case_number,
                purpose=r.hearing.purpose,
                starts_at=r.hearing.starts_at,
                time=f"{r.hearing.starts_at.astimezone(zone):%H:%M}",
                judge=r.hearing.judge,
                prosecutor_id=r.hearing.prosecutor_id,
                prosecutor_name=r.prosecutor_name,
                fir_number=r.fir_number,
                fir_year=r.fir_year,
                police_station=r.police_station,
                outcome=r.hearing.outcome,
            )
            for i, r in enumerate(rows, 1)
        ],
    )
    wants_pdf = format_ == "pdf" or (
        format_ is None
        and PDF in request.headers.get("accept", "")
        and "application/json" not in request.headers.get("accept", "")
    )
    if not wants_pdf:
        return body
    content = causelist.render(body, district=court.division or court.province)
    filename = f"cause-list-{court.id}-{date_.isoformat()}.pdf"
    return Response(
        content,
        media_type=PDF,
        headers={
            "Content-Disposition": f'inline; filename="{filename}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )
