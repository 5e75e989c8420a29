"""Routes of the case file's parts: people (and the person index), offences (charge lines), police
reports, scrutiny, dispositions, notes; and the bulk intake of FIRs. Thin: parse, call a service,
shape the answer. Included by ``api.cases.router``."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Header, Query, Request, Response, UploadFile

from api.audit import service as audit
from api.cases import importer, people, present, records
from api.cases import service as case_service
from api.cases.models import (
    CaseNote,
    CaseParty,
    Charge,
    Disposition,
    PoliceReport,
    ScrutinyReview,
)
from api.cases.schemas import (
    ChargeCreate,
    ChargeOut,
    DispositionIn,
    DispositionOut,
    ImportReport,
    NoteIn,
    NoteOut,
    PartyCreated,
    PartyIn,
    PartyOut,
    PartyUpdate,
    PersonSuggestion,
    PoliceReportIn,
    PoliceReportOut,
    ScrutinyIn,
    ScrutinyOut,
    ScrutinyUpdate,
)
from api.concurrency import etag, etag_documented, set_etag
from api.db import DbSession, WriteDbSession
from api.errors import PayloadTooLarge, problem_responses
from api.pagination import IdPath, Page, PageParams, paginate, sorting
from api.permissions import Perm, Principal, require, sees_sensitive_fields
from api.routing import UnitOfWorkRoute
from api.schema_rules import TextBool

router = APIRouter(prefix="/api/v1/cases", tags=["cases"], route_class=UnitOfWorkRoute)
persons_router = APIRouter(prefix="/api/v1/persons", tags=["cases"], route_class=UnitOfWorkRoute)

Reader = Annotated[Principal, require(Perm.cases_read)]
Editor = Annotated[Principal, require(Perm.cases_update)]
Prosecution = Annotated[Principal, require(Perm.cases_transition)]
IfMatch = Annotated[str | None, Header(description="the ETag you read")]
READ = problem_responses(401, 403, 404, 422)
WITHHELD = present.WITHHELD

#: the sort allow-list of each list: the route's ``sort`` enum and ``paginate``'s columns
PEOPLE_SORTS = {"id": CaseParty.id, "role": CaseParty.role}
OFFENCE_SORTS = {"id": Charge.id, "added_at": Charge.added_at}
REPORT_SORTS = {"id": PoliceReport.id, "received_on": PoliceReport.received_on}
SCRUTINY_SORTS = {"id": ScrutinyReview.id, "reviewed_at": ScrutinyReview.reviewed_at}
DISPOSITION_SORTS = {"id": Disposition.id, "decided_on": Disposition.decided_on}
NOTE_SORTS = {"id": CaseNote.id, "created_at": CaseNote.created_at}


def _page(items: list, total: int, paging) -> Page:  # type: ignore[no-untyped-def,type-arg]
    return Page(items=items, total=total, limit=paging.limit, offset=paging.offset)


def _origin(request: Request, principal: Principal) -> audit.Origin:
    return audit.origin_of(request, principal.user_id)


# --- people ---------------------------------------------------------------------------------


@router.get(
    "/{case_id:int}/people",
    response_model=Page[PartyOut],
    name="list-people",
    summary="People in a case",
    responses=READ,
)
def list_people(
    case_id: IdPath,
    request: Request,
    db: WriteDbSession,
    paging: Annotated[PageParams, sorting(PEOPLE_SORTS, "id")],
    principal: Reader,
) -> Page[PartyOut]:
    """Accused (with custody), complainant, victims, witnesses, investigation officer, defence counsel.
    ``sort``: id, role. Monitors get no CNICs, addresses or phones and no protected witness's name.
    Each item's ``etag`` is what PATCH needs in If-Match. The read is audited."""
    stmt = people.parties_query(db, principal=principal, case_id=case_id, origin=_origin(request, principal))
    rows, total = paginate(
        db,
        stmt,
        paging,
        allowed=PEOPLE_SORTS,
        default_sort="id",
        tiebreak=CaseParty.id,
    )
    return _page([present.party_out(p, principal) for p in rows], total, paging)


@router.post(
    "/{case_id:int}/people",
    response_model=PartyCreated,
    status_code=201,
    name="add-person",
    summary="Add a person to a case",
    responses=problem_responses(401, 403, 404, 409, 422) | etag_documented(201),
)
def add_person(
    case_id: IdPath, request: Request, response: Response, db: DbSession, body: PartyIn, principal: Editor
) -> PartyCreated:
    """Give the person's fields, or ``person_id`` from the person index. A CNIC already in the index
    links that person instead of creating a duplicate (``matched_existing: true``). Clerks, prosecutors
    on the case, the district prosecutor and the prosecutor general may add people."""
    party, matched = people.add_party(
        db, principal=principal, case_id=case_id, data=body, origin=_origin(request, principal)
    )
    set_etag(response, people.PARTY_ETAG, party.id, party.version)
    response.headers["Location"] = f"/api/v1/cases/{case_id}/people/{party.id}"
    out = present.party_out(party, principal)
    return PartyCreated(**out.model_dump(), matched_existing=matched)


@router.patch(
    "/{case_id:int}/people/{party_id:int}",
    response_model=PartyOut,
    name="update-person",
    summary="Change a person's part in a case",
    responses=problem_responses(401, 403, 404, 412, 422, 428) | etag_documented(),
)
def update_person(
    case_id: IdPath,
    party_id: IdPath,
    request: Request,
    response: Response,
    db: DbSession,
    body: PartyUpdate,
    principal: Editor,
    if_match: IfMatch = None,
) -> PartyOut:
    """Custody of an accused (drives the dormant/revive guards of the lifecycle), a witness's status,
    the protected flag, notes. Needs If-Match with the party's ETag (428 without, 412 when stale)."""
    party = people.update_party(
        db,
        principal=principal,
        case_id=case_id,
        party_id=party_id,
        data=body,
        if_match=if_match,
        origin=_origin(request, principal),
    )
    set_etag(response, people.PARTY_ETAG, party.id, party.version)
    return present.party_out(party, principal)


@persons_router.get(
    "/suggest",
    response_model=Page[PersonSuggestion],
    name="suggest-persons",
    summary="Suggest people already in the index",
    responses=problem_responses(401, 403, 422),
)
def suggest_persons(
    db: DbSession,
    principal: Editor,
    cnic: Annotated[
        str | None, Query(pattern=r"^\d{5}-?\d{7}-?\d$", description="exact CNIC, dashes optional")
    ] = None,
    name: Annotated[
        str | None,
        Query(min_length=2, max_length=100, description="start or part of a name (English or Urdu)"),
    ] = None,
) -> Page[PersonSuggestion]:
    """At most 10 people: exact CNIC matches first, then names starting with, then containing, the
    text; without a cnic or a name, none. Needs cases.update (those who add people to cases). People
    tied to a protected witness or a restricted case the caller cannot read are never suggested."""
    found = people.suggest(db, principal=principal, cnic=cnic, name=name)
    full = sees_sensitive_fields(principal)
    items = [
        PersonSuggestion(
            id=p.id,
            name=p.name,
            name_ur=p.name_ur,
            father_name=p.father_name if full else None,
            cnic=p.cnic if full else None,
            gender=p.gender,
            matched_by=how,  # type: ignore[arg-type]
        )
        for p, how in found
    ]
    return Page[PersonSuggestion](items=items, total=len(items), limit=people.SUGGEST_LIMIT, offset=0)


# --- offences (charge lines) ----------------------------------------------------------------


@router.get(
    "/{case_id:int}/offences",
    response_model=Page[ChargeOut],
    name="list-offences",
    summary="Charge lines of a case",
    responses=READ,
)
def list_offences(
    case_id: IdPath,
    db: DbSession,
    paging: Annotated[PageParams, sorting(OFFENCE_SORTS, "id")],
    principal: Reader,
) -> Page[ChargeOut]:
    """``sort``: id, added_at."""
    stmt = records.list_charges(db, principal=principal, case_id=case_id)
    rows, total = paginate(
        db,
        stmt,
        paging,
        allowed=OFFENCE_SORTS,
        default_sort="id",
        tiebreak=Charge.id,
    )
    return _page([present.charge_out(c) for c in rows], total, paging)


@router.post(
    "/{case_id:int}/offences",
    response_model=ChargeOut,
    status_code=201,
    name="add-offence",
    summary="Add a charge line",
    responses=problem_responses(401, 403, 404, 409, 422) | etag_documented(201),
)
def add_offence(
    case_id: IdPath,
    request: Request,
    response: Response,
    db: DbSession,
    body: ChargeCreate,
    principal: Editor,
) -> ChargeOut:
    """An offence of the statute catalogue, against one accused (``party_id``) or all (null), with the
    stage it was added at. A duplicate line is a 409. The answer's ETag is the case's new version."""
    charge, case = records.add_charge(
        db, principal=principal, case_id=case_id, data=body, origin=_origin(request, principal)
    )
    set_etag(response, case_service.ETAG_KIND, case.id, case.version)
    return present.charge_out(charge)


@router.delete(
    "/{case_id:int}/offences/{charge_id:int}",
    status_code=204,
    response_class=Response,
    name="remove-offence",
    summary="Remove a charge line",
    responses=problem_responses(401, 403, 404, 409, 422),
)
def remove_offence(
    case_id: IdPath, charge_id: IdPath, request: Request, db: DbSession, principal: Editor
) -> Response:
    """Only before the charge is framed (stages intake, scrutiny, returned, filed); afterwards 409."""
    case = records.delete_charge(
        db, principal=principal, case_id=case_id, charge_id=charge_id, origin=_origin(request, principal)
    )
    return Response(status_code=204, headers={"ETag": etag(case_service.ETAG_KIND, case.id, case.version)})


# --- police reports -------------------------------------------------------------------------


def _report_out(report: PoliceReport, fir_date) -> PoliceReportOut:  # type: ignore[no-untyped-def]
    return PoliceReportOut(
        id=report.id,
        case_id=report.case_id,
        kind=report.kind,  # type: ignore[arg-type]
        received_on=report.received_on,
        days_from_fir=(report.received_on - fir_date).days,
        notes=report.notes,
        created_at=report.created_at,
        created_by=report.created_by,
    )


@router.get(
    "/{case_id:int}/police-reports",
    response_model=Page[PoliceReportOut],
    name="list-police-reports",
    summary="Police reports (s.173 CrPC) of a case",
    responses=READ,
)
def list_police_reports(
    case_id: IdPath,
    db: DbSession,
    paging: Annotated[PageParams, sorting(REPORT_SORTS, "received_on")],
    principal: Reader,
) -> Page[PoliceReportOut]:
    """``sort``: received_on, id."""
    case, stmt = records.list_reports(db, principal=principal, case_id=case_id)
    rows, total = paginate(
        db,
        stmt,
        paging,
        allowed=REPORT_SORTS,
        default_sort="received_on",
        tiebreak=PoliceReport.id,
    )
    return _page([_report_out(r, case.fir_date) for r in rows], total, paging)


@router.post(
    "/{case_id:int}/police-reports",
    response_model=PoliceReportOut,
    status_code=201,
    name="add-police-report",
    summary="Record a police report received",
    responses=problem_responses(401, 403, 404, 422) | etag_documented(201),
)
def add_police_report(
    case_id: IdPath,
    request: Request,
    response: Response,
    db: DbSession,
    body: PoliceReportIn,
    principal: Editor,
) -> PoliceReportOut:
    """Interim, final, supplementary or cancellation report; the answer gives ``days_from_fir``.
    Clerks register incoming reports."""
    report, case = records.add_report(
        db, principal=principal, case_id=case_id, data=body, origin=_origin(request, principal)
    )
    set_etag(response, "police-report", report.id, 1)
    return _report_out(report, case.fir_date)


# --- scrutiny -------------------------------------------------------------------------------


def _review_out(db, review: ScrutinyReview, stage: str, principal: Principal) -> ScrutinyOut:  # type: ignore[no-untyped-def]
    received = records.received_on(db, review)
    suggested = None
    if stage == "scrutiny":
        suggested = {"defective_returned": "returned", "fit": "filed"}.get(review.decision)
    return ScrutinyOut(
        id=review.id,
        case_id=review.case_id,
        police_report_id=review.police_report_id,
        decision=review.decision,  # type: ignore[arg-type]
        defects=review.defects,
        returned_on=review.returned_on,
        resubmitted_on=review.resubmitted_on,
        days_from_receipt=(review.reviewed_at.date() - received).days if received else None,
        notes=review.notes if sees_sensitive_fields(principal) else (review.notes and WITHHELD),
        reviewed_by=review.reviewed_by,
        reviewed_at=review.reviewed_at,
        etag=etag(records.SCRUTINY_ETAG, review.id, review.version),
        suggested_transition=suggested,  # type: ignore[arg-type]
    )


@router.get(
    "/{case_id:int}/scrutiny",
    response_model=Page[ScrutinyOut],
    name="list-scrutiny",
    summary="Scrutiny reviews of a case",
    responses=READ,
)
def list_scrutiny(
    case_id: IdPath,
    db: DbSession,
    paging: Annotated[PageParams, sorting(SCRUTINY_SORTS, "reviewed_at")],
    principal: Reader,
) -> Page[ScrutinyOut]:
    """Oldest first; ``sort``: reviewed_at, id. The case's ``returns_count`` counts the returns."""
    case, stmt = records.list_reviews(db, principal=principal, case_id=case_id)
    rows, total = paginate(
        db,
        stmt,
        paging,
        allowed=SCRUTINY_SORTS,
        default_sort="reviewed_at",
        tiebreak=ScrutinyReview.id,
    )
    return _page([_review_out(db, r, case.stage, principal) for r in rows], total, paging)


@router.post(
    "/{case_id:int}/scrutiny",
    response_model=ScrutinyOut,
    status_code=201,
    name="add-scrutiny",
    summary="Record a scrutiny decision",
    responses=problem_responses(401, 403, 404, 409, 422) | etag_documented(201),
)
def add_scrutiny(
    case_id: IdPath,
    request: Request,
    response: Response,
    db: DbSession,
    body: ScrutinyIn,
    principal: Prosecution,
) -> ScrutinyOut:
    """Prosecution only (cases.transition: prosecutors on the case, the district prosecutor, the
    prosecutor general). The decision does not move the case: ``suggested_transition`` names the move
    (``returned`` after defective_returned, ``filed`` after fit) to make through /transitions."""
    review, case = records.add_review(
        db, principal=principal, case_id=case_id, data=body, origin=_origin(request, principal)
    )
    set_etag(response, records.SCRUTINY_ETAG, review.id, review.version)
    return _review_out(db, review, case.stage, principal)


@router.patch(
    "/{case_id:int}/scrutiny/{review_id:int}",
    response_model=ScrutinyOut,
    name="update-scrutiny",
    summary="Record the resubmission of a returned report",
    responses=problem_responses(401, 403, 404, 409, 412, 422, 428) | etag_documented(),
)
def update_scrutiny(
    case_id: IdPath,
    review_id: IdPath,
    request: Request,
    response: Response,
    db: DbSession,
    body: ScrutinyUpdate,
    principal: Prosecution,
    if_match: IfMatch = None,
) -> ScrutinyOut:
    """Only for a defective_returned review; needs If-Match with the review's ETag."""
    review, case = records.resubmit(
        db,
        principal=principal,
        case_id=case_id,
        review_id=review_id,
        data=body,
        if_match=if_match,
        origin=_origin(request, principal),
    )
    set_etag(response, records.SCRUTINY_ETAG, review.id, review.version)
    return _review_out(db, review, case.stage, principal)


# --- dispositions ---------------------------------------------------------------------------


@router.get(
    "/{case_id:int}/dispositions",
    response_model=Page[DispositionOut],
    name="list-dispositions",
    summary="Outcomes per accused and charge",
    responses=READ,
)
def list_dispositions(
    case_id: IdPath,
    db: DbSession,
    paging: Annotated[PageParams, sorting(DISPOSITION_SORTS, "id")],
    principal: Reader,
) -> Page[DispositionOut]:
    """``sort``: id, decided_on."""
    stmt = records.list_dispositions(db, principal=principal, case_id=case_id)
    rows, total = paginate(
        db,
        stmt,
        paging,
        allowed=DISPOSITION_SORTS,
        default_sort="id",
        tiebreak=Disposition.id,
    )
    return _page([DispositionOut.model_validate(d) for d in rows], total, paging)


@router.post(
    "/{case_id:int}/dispositions",
    response_model=DispositionOut,
    status_code=201,
    name="add-disposition",
    summary="Record an outcome for an accused",
    responses=problem_responses(401, 403, 404, 409, 422) | etag_documented(201),
)
def add_disposition(
    case_id: IdPath,
    request: Request,
    response: Response,
    db: DbSession,
    body: DispositionIn,
    principal: Annotated[Principal, require(Perm.cases_update, Perm.cases_transition)],
) -> DispositionOut:
    """Prosecution only (cases.update and cases.transition; clerks cannot). ``party_id`` must be an
    accused of this case, ``charge_id`` one of its charge lines (against that accused or all);
    ``sentence`` only with ``convicted``. One outcome per accused per charge (409). Only once the case
    is in court (from ``filed``) and not closed (409)."""
    disposition = records.add_disposition(
        db, principal=principal, case_id=case_id, data=body, origin=_origin(request, principal)
    )
    set_etag(response, "disposition", disposition.id, 1)
    return DispositionOut.model_validate(disposition)


# --- notes ----------------------------------------------------------------------------------


def _note_out(note: CaseNote, principal: Principal) -> NoteOut:
    return NoteOut(
        id=note.id,
        case_id=note.case_id,
        author_id=note.author_id,
        body=note.body if sees_sensitive_fields(principal) else WITHHELD,
        created_at=note.created_at,
    )


@router.get(
    "/{case_id:int}/notes",
    response_model=Page[NoteOut],
    name="list-notes",
    summary="Notes on a case",
    responses=READ,
)
def list_notes(
    case_id: IdPath,
    db: DbSession,
    paging: Annotated[PageParams, sorting(NOTE_SORTS, "created_at")],
    principal: Reader,
) -> Page[NoteOut]:
    """Oldest first (``sort``: created_at, id). Monitors see that notes exist, not their text."""
    stmt = records.list_notes(db, principal=principal, case_id=case_id)
    rows, total = paginate(
        db,
        stmt,
        paging,
        allowed=NOTE_SORTS,
        default_sort="created_at",
        tiebreak=CaseNote.id,
    )
    return _page([_note_out(n, principal) for n in rows], total, paging)


@router.post(
    "/{case_id:int}/notes",
    response_model=NoteOut,
    status_code=201,
    name="add-note",
    summary="Add a note",
    responses=problem_responses(401, 403, 404, 422) | etag_documented(201),
)
def add_note(
    case_id: IdPath, request: Request, response: Response, db: DbSession, body: NoteIn, principal: Editor
) -> NoteOut:
    note = records.add_note(
        db, principal=principal, case_id=case_id, data=body, origin=_origin(request, principal)
    )
    set_etag(response, "note", note.id, 1)
    return _note_out(note, principal)


# --- bulk intake ----------------------------------------------------------------------------


@router.post(
    "/import",
    response_model=ImportReport,
    name="import",
    summary="Import FIRs from a CSV file",
    description=importer.DESCRIPTION,
    responses=problem_responses(401, 403, 413, 422),
)
def import_cases(
    request: Request,
    db: DbSession,
    principal: Annotated[Principal, require(Perm.cases_import)],
    file: Annotated[UploadFile, File(description="the CSV file")],
    dry_run: Annotated[TextBool, Query(description="validate and report without writing")] = False,
) -> ImportReport:
    content = file.file.read(importer.MAX_BYTES + 1)
    if len(content) > importer.MAX_BYTES:
        raise PayloadTooLarge(f"The file is larger than {importer.MAX_BYTES // (1024 * 1024)} MiB.")
    return importer.import_cases(
        db, content=content, principal=principal, dry_run=dry_run, origin=_origin(request, principal)
    )
