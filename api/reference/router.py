# No ``from __future__ import annotations`` here: the write routes are built by a factory and
# FastAPI must see their annotations as real classes.
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import select

from api.audit import service as audit
from api.concurrency import etag_documented, set_etag
from api.db import DbSession
from api.errors import problem_responses
from api.pagination import IdPath, IdQuery, Page, PageParams, paginate, sorting
from api.permissions import Perm, Principal, require
from api.reference import schemas as s
from api.reference import service
from api.reference.models import (
    AdjournmentReason,
    Court,
    DeadlineRule,
    District,
    Holiday,
    Offence,
    PoliceStation,
)
from api.routing import UnitOfWorkRoute
from api.schema_rules import TextBool

router = APIRouter(prefix="/api/v1/reference", tags=["reference"], route_class=UnitOfWorkRoute)

Reader = Annotated[Principal, require(Perm.authenticated)]
Admin = Annotated[Principal, require(Perm.reference_edit)]
READ_ERRORS = problem_responses(401, 422)
DistrictFilter = IdQuery
Q = Annotated[str | None, Query(max_length=100, description="text to look for")]

#: each list's sort allow-list (its ``sort`` enum) and default
DISTRICT_SORTS = {"name": District.name, "code": District.code, "id": District.id}
DistrictPaging = Annotated[PageParams, sorting(DISTRICT_SORTS, "name")]
COURT_SORTS = {"name": Court.name, "id": Court.id, "court_type": Court.court_type}
CourtPaging = Annotated[PageParams, sorting(COURT_SORTS, "name")]
STATION_SORTS = {"name": PoliceStation.name, "id": PoliceStation.id}
StationPaging = Annotated[PageParams, sorting(STATION_SORTS, "name")]
OFFENCE_SORTS = {"statute": Offence.statute, "section": Offence.section, "id": Offence.id}
OffencePaging = Annotated[PageParams, sorting(OFFENCE_SORTS, "id")]
REASON_SORTS = {"code": AdjournmentReason.code, "id": AdjournmentReason.id}
ReasonPaging = Annotated[PageParams, sorting(REASON_SORTS, "id")]
HOLIDAY_SORTS = {"date": Holiday.date, "id": Holiday.id}
HolidayPaging = Annotated[PageParams, sorting(HOLIDAY_SORTS, "date")]
RULE_SORTS = {"code": DeadlineRule.code, "id": DeadlineRule.id}
RulePaging = Annotated[PageParams, sorting(RULE_SORTS, "id")]


def _page(out: type[BaseModel], rows: list[Any], total: int, paging: Any) -> Any:
    return Page[out](
        items=[out.model_validate(r) for r in rows],
        total=total,  # type: ignore[valid-type]
        limit=paging.limit,
        offset=paging.offset,
    )


@router.get("/districts", response_model=Page[s.DistrictOut], name="list-districts", responses=READ_ERRORS)
def list_districts(
    db: DbSession, paging: DistrictPaging, _: Reader, q: Q = None, province: s.Province | None = None
) -> Any:
    stmt = service.text_filter(select(District), q, District.name, District.code, District.division)
    if province:
        stmt = stmt.where(District.province == province)
    rows, total = paginate(
        db,
        stmt,
        paging,
        allowed=DISTRICT_SORTS,
        default_sort="name",
        tiebreak=District.id,
    )
    return _page(s.DistrictOut, rows, total, paging)


@router.get("/courts", response_model=Page[s.CourtOut], name="list-courts", responses=READ_ERRORS)
def list_courts(
    db: DbSession,
    paging: CourtPaging,
    _: Reader,
    q: Q = None,
    district_id: DistrictFilter = None,
    court_type: s.CourtType | None = None,
    province: s.Province | None = None,
) -> Any:
    stmt = service.text_filter(select(Court), q, Court.name)
    if district_id is not None:
        stmt = stmt.where(Court.district_id == district_id)
    if court_type:
        stmt = stmt.where(Court.court_type == court_type)
    if province:
        stmt = stmt.where(Court.province == province)
    rows, total = paginate(
        db,
        stmt,
        paging,
        allowed=COURT_SORTS,
        default_sort="name",
        tiebreak=Court.id,
    )
    return _page(s.CourtOut, rows, total, paging)


@router.get(
    "/police-stations",
    response_model=Page[s.PoliceStationOut],
    name="list-police-stations",
    responses=READ_ERRORS,
)
def list_police_stations(
    db: DbSession, paging: StationPaging, _: Reader, q: Q = None, district_id: DistrictFilter = None
) -> Any:
    stmt = service.text_filter(select(PoliceStation), q, PoliceStation.name, PoliceStation.police_district)
    if district_id is not None:
        stmt = stmt.where(PoliceStation.district_id == district_id)
    rows, total = paginate(
        db,
        stmt,
        paging,
        allowed=STATION_SORTS,
        default_sort="name",
        tiebreak=PoliceStation.id,
    )
    return _page(s.PoliceStationOut, rows, total, paging)


@router.get("/offences", response_model=Page[s.OffenceOut], name="list-offences", responses=READ_ERRORS)
def list_offences(
    db: DbSession,
    paging: OffencePaging,
    _: Reader,
    q: Q = None,
    statute: Annotated[str | None, Query(max_length=32)] = None,
    ata_scheduled: Annotated[str | None, Query(max_length=16)] = None,
) -> Any:
    """``q`` matches the section (e.g. ``302``) or words of the title."""
    stmt = service.text_filter(select(Offence), q, Offence.section, Offence.title)
    if statute:
        stmt = stmt.where(Offence.statute == statute)
    if ata_scheduled:
        stmt = stmt.where(Offence.ata_scheduled == ata_scheduled)
    rows, total = paginate(
        db,
        stmt,
        paging,
        allowed=OFFENCE_SORTS,
        default_sort="id",
        tiebreak=Offence.id,
    )
    return _page(s.OffenceOut, rows, total, paging)


@router.get(
    "/adjournment-reasons",
    response_model=Page[s.AdjournmentReasonOut],
    name="list-adjournment-reasons",
    responses=READ_ERRORS,
)
def list_adjournment_reasons(
    db: DbSession, paging: ReasonPaging, _: Reader, active: TextBool | None = None
) -> Any:
    stmt = select(AdjournmentReason)
    if active is not None:
        stmt = stmt.where(AdjournmentReason.active == active)
    rows, total = paginate(
        db,
        stmt,
        paging,
        allowed=REASON_SORTS,
        default_sort="id",
    )
    return _page(s.AdjournmentReasonOut, rows, total, paging)


@router.get("/holidays", response_model=Page[s.HolidayOut], name="list-holidays", responses=READ_ERRORS)
def list_holidays(
    db: DbSession,
    paging: HolidayPaging,
    _: Reader,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> Any:
    stmt = select(Holiday)
    if year is not None:
        stmt = stmt.where(Holiday.date >= date(year, 1, 1), Holiday.date <= date(year, 12, 31))
    rows, total = paginate(
        db,
        stmt,
        paging,
        allowed=HOLIDAY_SORTS,
        default_sort="date",
        tiebreak=Holiday.id,
    )
    return _page(s.HolidayOut, rows, total, paging)


@router.get(
    "/deadline-rules",
    response_model=Page[s.DeadlineRuleOut],
    name="list-deadline-rules",
    responses=READ_ERRORS,
)
def list_deadline_rules(db: DbSession, paging: RulePaging, _: Reader) -> Any:
    rows, total = paginate(
        db,
        select(DeadlineRule),
        paging,
        allowed=RULE_SORTS,
        default_sort="id",
    )
    return _page(s.DeadlineRuleOut, rows, total, paging)


def _writes(
    path: str,
    kind: str,
    model: type[Any],
    out: type[BaseModel],
    create_schema: type[BaseModel],
    update_schema: type[BaseModel],
) -> None:
    """get / create / update for one kind of reference row (admins write; everyone reads)."""
    label = kind.replace("_", "-")

    def get_one(item_id: IdPath, response: Response, db: DbSession, _: Reader) -> Any:
        row = service.get(db, model, item_id)
        set_etag(response, kind, row.id, row.version)
        return row

    def create_one(
        body: create_schema,
        request: Request,
        response: Response,
        db: DbSession,  # type: ignore[valid-type]
        admin: Admin,
    ) -> Any:
        row = service.create(
            db, model=model, data=body, kind=kind, origin=audit.origin_of(request, admin.user_id)
        )
        set_etag(response, kind, row.id, row.version)
        return row

    def update_one(
        item_id: IdPath,
        body: update_schema,
        request: Request,
        response: Response,  # type: ignore[valid-type]
        db: DbSession,
        admin: Admin,
        if_match: Annotated[str | None, Header(description="the ETag you read")] = None,
    ) -> Any:
        row = service.update(
            db,
            model=model,
            item_id=item_id,
            data=body,
            kind=kind,
            if_match=if_match,
            origin=audit.origin_of(request, admin.user_id),
        )
        set_etag(response, kind, row.id, row.version)
        return row

    router.add_api_route(
        f"/{path}/{{item_id:int}}",
        get_one,
        methods=["GET"],
        response_model=out,
        name=f"get-{label}",
        responses=problem_responses(401, 404, 422) | etag_documented(),
    )
    router.add_api_route(
        f"/{path}",
        create_one,
        methods=["POST"],
        response_model=out,
        status_code=201,
        name=f"create-{label}",
        responses=problem_responses(401, 403, 409, 422) | etag_documented(201),
    )
    router.add_api_route(
        f"/{path}/{{item_id:int}}",
        update_one,
        methods=["PATCH"],
        response_model=out,
        name=f"update-{label}",
        responses=problem_responses(401, 403, 404, 409, 412, 422, 428) | etag_documented(),
    )


_writes("districts", "district", District, s.DistrictOut, s.DistrictCreate, s.DistrictUpdate)
_writes("courts", "court", Court, s.CourtOut, s.CourtCreate, s.CourtUpdate)
_writes(
    "police-stations",
    "police_station",
    PoliceStation,
    s.PoliceStationOut,
    s.PoliceStationCreate,
    s.PoliceStationUpdate,
)
_writes("offences", "offence", Offence, s.OffenceOut, s.OffenceCreate, s.OffenceUpdate)
_writes(
    "adjournment-reasons",
    "adjournment_reason",
    AdjournmentReason,
    s.AdjournmentReasonOut,
    s.AdjournmentReasonCreate,
    s.AdjournmentReasonUpdate,
)
_writes("holidays", "holiday", Holiday, s.HolidayOut, s.HolidayCreate, s.HolidayUpdate)
_writes(
    "deadline-rules",
    "deadline_rule",
    DeadlineRule,
    s.DeadlineRuleOut,
    s.DeadlineRuleCreate,
    s.DeadlineRuleUpdate,
)
