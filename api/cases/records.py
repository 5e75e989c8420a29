"""The case file's records: charge lines, police reports, scrutiny reviews, dispositions and notes.
Each change goes on the case timeline and into the audit log. Keyword-only functions taking
``session``; they never commit."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session

from api.audit import service as audit
from api.cases import service as case_service
from api.cases.access import get_readable, get_writable
from api.cases.models import (
    Case,
    CaseNote,
    CaseParty,
    Charge,
    Disposition,
    PoliceReport,
    ScrutinyReview,
)
from api.cases.schemas import (
    ChargeCreate,
    DispositionIn,
    NoteIn,
    PoliceReportIn,
    ScrutinyIn,
    ScrutinyUpdate,
)
from api.concurrency import check_if_match
from api.db import local_date, utcnow
from api.errors import Conflict, NotFound, ValidationFailed
from api.permissions import Perm, Principal
from api.reference.models import Offence
from api.search import service as search

SCRUTINY_ETAG = "scrutiny"
#: charge lines may be removed only while the case has not reached the framing of the charge
BEFORE_CHARGE = ("intake", "scrutiny", "returned", "filed")
#: dispositions are recorded once the case is before a court and not yet closed
DISPOSITION_STAGES = ("filed", "charge", "evidence", "defence", "arguments", "judgment", "appeal", "dormant")


def _event(
    session: Session, case: Case, principal: Principal, event_kind: str, summary: str, /, **details: Any
) -> None:
    case_service.record_event(
        session, case=case, actor_id=principal.user_id, kind=event_kind, summary=summary, details=details
    )


def _not_future(value: date, loc: list[str | int]) -> None:
    if value > local_date():  # the service's day (Karachi), not UTC's
        raise ValidationFailed.at(loc, "cannot be in the future")


def _accused(session: Session, case: Case, party_id: int, loc: list[str | int]) -> CaseParty:
    party = session.scalar(
        select(CaseParty).where(
            CaseParty.id == party_id, CaseParty.case_id == case.id, CaseParty.role == "accused"
        )
    )
    if party is None:
        raise ValidationFailed.at(loc, "not an accused of this case")
    return party


# --- charges --------------------------------------------------------------------------------


def list_charges(session: Session, *, principal: Principal, case_id: int) -> Select[tuple[Charge]]:
    get_readable(session, principal, case_id)
    return select(Charge).where(Charge.case_id == case_id)


def add_charge(
    session: Session, *, principal: Principal, case_id: int, data: ChargeCreate, origin: audit.Origin
) -> tuple[Charge, Case]:
    case = get_writable(session, principal, case_id, Perm.cases_update)
    offence = session.get(Offence, data.offence_id)
    if offence is None:
        raise ValidationFailed.at(["body", "offence_id"], "No such offence in the catalogue.")
    if data.party_id is not None:
        _accused(session, case, data.party_id, ["body", "party_id"])
    same = exists().where(
        Charge.case_id == case.id,
        Charge.offence_id == offence.id,
        Charge.party_id.is_(None) if data.party_id is None else Charge.party_id == data.party_id,
    )
    if session.scalar(select(same)):
        raise Conflict("This charge line is already on the case.")
    charge = Charge(
        case_id=case.id,
        offence_id=offence.id,
        party_id=data.party_id,
        stage_added=data.stage_added,
        added_by=principal.user_id,
    )
    session.add(charge)
    case.updated_at = utcnow()
    session.flush()
    label = f"{offence.statute} {offence.section}"
    _event(
        session,
        case,
        principal,
        "charge_added",
        f"Charge added: {label} (at {data.stage_added})",
        charge_id=charge.id,
        offence_id=offence.id,
        party_id=data.party_id,
        stage_added=data.stage_added,
    )
    audit.record(
        session,
        origin=origin,
        action="create",
        entity_type="case_charge",
        entity_id=charge.id,
        details={"case_id": case.id, "offence": label, "party_id": data.party_id},
    )
    search.index_case(session, case)
    return charge, case


def delete_charge(
    session: Session, *, principal: Principal, case_id: int, charge_id: int, origin: audit.Origin
) -> Case:
    case = get_writable(session, principal, case_id, Perm.cases_update)
    charge = session.scalar(select(Charge).where(Charge.id == charge_id, Charge.case_id == case.id))
    if charge is None:
        raise NotFound("No such charge line in this case.")
    stage = case.dormant_from if case.stage == "dormant" else case.stage
    if stage not in BEFORE_CHARGE:
        raise Conflict(
            f"The charge has been framed (case in '{case.stage}'): a charge line can no longer be removed.",
            extra={"stage": case.stage},
        )
    if session.scalar(select(exists().where(Disposition.charge_id == charge.id))):
        raise Conflict("A disposition refers to this charge line.")
    label = f"{charge.offence.statute} {charge.offence.section}"
    session.delete(charge)
    case.updated_at = utcnow()
    session.flush()
    _event(session, case, principal, "charge_removed", f"Charge removed: {label}", charge_id=charge_id)
    audit.record(
        session,
        origin=origin,
        action="delete",
        entity_type="case_charge",
        entity_id=charge_id,
        details={"case_id": case.id, "offence": label},
    )
    search.index_case(session, case)
    return case


# --- police reports -------------------------------------------------------------------------


def list_reports(
    session: Session, *, principal: Principal, case_id: int
) -> tuple[Case, Select[tuple[PoliceReport]]]:
    case = get_readable(session, principal, case_id)
    return case, select(PoliceReport).where(PoliceReport.case_id == case_id)


def add_report(
    session: Session, *, principal: Principal, case_id: int, data: PoliceReportIn, origin: audit.Origin
) -> tuple[PoliceReport, Case]:
    case = get_writable(session, principal, case_id, Perm.cases_update)
    _not_future(data.received_on, ["body", "received_on"])
    if data.received_on < case.fir_date:
        raise ValidationFailed.at(["body", "received_on"], "cannot be before the FIR date")
    report = PoliceReport(
        case_id=case.id,
        kind=data.kind,
        received_on=data.received_on,
        notes=data.notes,
        created_by=principal.user_id,
    )
    session.add(report)
    session.flush()
    days = (data.received_on - case.fir_date).days
    _event(
        session,
        case,
        principal,
        "police_report",
        f"{data.kind.capitalize()} police report (s.173 CrPC) received on {data.received_on.isoformat()}, "
        f"{days} days from the FIR",
        police_report_id=report.id,
        kind=data.kind,
        days_from_fir=days,
    )
    audit.record(
        session,
        origin=origin,
        action="create",
        entity_type="police_report",
        entity_id=report.id,
        details={"case_id": case.id, "kind": data.kind},
    )
    return report, case


# --- scrutiny -------------------------------------------------------------------------------


def list_reviews(
    session: Session, *, principal: Principal, case_id: int
) -> tuple[Case, Select[tuple[ScrutinyReview]]]:
    case = get_readable(session, principal, case_id)
    return case, select(ScrutinyReview).where(ScrutinyReview.case_id == case_id)


def received_on(session: Session, review: ScrutinyReview) -> date | None:
    if review.police_report_id is None:
        return None
    return session.scalar(select(PoliceReport.received_on).where(PoliceReport.id == review.police_report_id))


def add_review(
    session: Session, *, principal: Principal, case_id: int, data: ScrutinyIn, origin: audit.Origin
) -> tuple[ScrutinyReview, Case]:
    """Records the decision; it does not move the case (the prosecutor then moves it, e.g.
    ``scrutiny → returned`` after a defective report, through the transitions endpoint)."""
    case = get_writable(session, principal, case_id, Perm.cases_transition)
    if case.stage in ("intake", "closed"):
        raise Conflict(f"A case in '{case.stage}' is not under scrutiny.", extra={"stage": case.stage})
    if data.police_report_id is not None:
        report = session.scalar(
            select(PoliceReport).where(
                PoliceReport.id == data.police_report_id, PoliceReport.case_id == case.id
            )
        )
        if report is None:
            raise ValidationFailed.at(["body", "police_report_id"], "no such police report in this case")
    if data.returned_on is not None:
        _not_future(data.returned_on, ["body", "returned_on"])
        if data.returned_on < case.fir_date:
            raise ValidationFailed.at(["body", "returned_on"], "cannot be before the FIR date")
    review = ScrutinyReview(
        case_id=case.id,
        police_report_id=data.police_report_id,
        decision=data.decision,
        defects=list(data.defects),
        returned_on=data.returned_on,
        notes=data.notes,
        reviewed_by=principal.user_id,
        reviewed_at=utcnow(),
    )
    session.add(review)
    session.flush()
    summary = f"Scrutiny: {data.decision.replace('_', ' ')}"
    if data.defects:
        summary += f" ({', '.join(data.defects)})"
    _event(
        session,
        case,
        principal,
        "scrutiny",
        summary,
        review_id=review.id,
        decision=data.decision,
        defects=list(data.defects),
        police_report_id=data.police_report_id,
    )
    audit.record(
        session,
        origin=origin,
        action="create",
        entity_type="scrutiny_review",
        entity_id=review.id,
        details={"case_id": case.id, "decision": data.decision, "defects": list(data.defects)},
    )
    return review, case


def resubmit(
    session: Session,
    *,
    principal: Principal,
    case_id: int,
    review_id: int,
    data: ScrutinyUpdate,
    if_match: str | None,
    origin: audit.Origin,
) -> tuple[ScrutinyReview, Case]:
    case = get_writable(session, principal, case_id, Perm.cases_transition)
    review = session.scalar(
        select(ScrutinyReview).where(ScrutinyReview.id == review_id, ScrutinyReview.case_id == case.id)
    )
    if review is None:
        raise NotFound("No such scrutiny review in this case.")
    check_if_match(if_match, SCRUTINY_ETAG, review.id, review.version)
    if review.decision != "defective_returned":
        raise Conflict("Only a report returned as defective is resubmitted.")
    _not_future(data.resubmitted_on, ["body", "resubmitted_on"])
    if review.returned_on is not None and data.resubmitted_on < review.returned_on:
        raise ValidationFailed.at(["body", "resubmitted_on"], "cannot be before the date it was returned")
    if review.resubmitted_on == data.resubmitted_on:
        return review, case
    before = review.resubmitted_on
    review.resubmitted_on = data.resubmitted_on
    session.flush()
    _event(
        session,
        case,
        principal,
        "scrutiny_resubmitted",
        f"Police resubmitted the report on {data.resubmitted_on.isoformat()}",
        review_id=review.id,
    )
    audit.record(
        session,
        origin=origin,
        action="update",
        entity_type="scrutiny_review",
        entity_id=review.id,
        details={
            "case_id": case.id,
            "resubmitted_on": {"from": before and before.isoformat(), "to": data.resubmitted_on.isoformat()},
        },
    )
    return review, case


# --- dispositions ---------------------------------------------------------------------------


def list_dispositions(session: Session, *, principal: Principal, case_id: int) -> Select[tuple[Disposition]]:
    get_readable(session, principal, case_id)
    return select(Disposition).where(Disposition.case_id == case_id)


def add_disposition(
    session: Session, *, principal: Principal, case_id: int, data: DispositionIn, origin: audit.Origin
) -> Disposition:
    case = get_writable(session, principal, case_id, Perm.cases_transition)
    if case.stage not in DISPOSITION_STAGES:
        raise Conflict(
            f"Outcomes are recorded once the case is in court; this case is in '{case.stage}'.",
            extra={"stage": case.stage},
        )
    party = _accused(session, case, data.party_id, ["body", "party_id"])
    if data.charge_id is not None:
        charge = session.scalar(select(Charge).where(Charge.id == data.charge_id, Charge.case_id == case.id))
        if charge is None:
            raise ValidationFailed.at(["body", "charge_id"], "no such charge line in this case")
        if charge.party_id is not None and charge.party_id != party.id:
            raise ValidationFailed.at(["body", "charge_id"], "this charge line is against another accused")
    _not_future(data.decided_on, ["body", "decided_on"])
    if data.decided_on < case.fir_date:
        raise ValidationFailed.at(["body", "decided_on"], "cannot be before the FIR date")
    same = exists().where(
        Disposition.party_id == party.id,
        Disposition.charge_id.is_(None)
        if data.charge_id is None
        else Disposition.charge_id == data.charge_id,
    )
    if session.scalar(select(same)):
        raise Conflict("An outcome is already recorded for this accused on this charge.")
    disposition = Disposition(
        case_id=case.id,
        party_id=party.id,
        charge_id=data.charge_id,
        outcome=data.outcome,
        sentence=data.sentence,
        reason=data.reason,
        decided_on=data.decided_on,
        created_by=principal.user_id,
    )
    session.add(disposition)
    session.flush()
    _event(
        session,
        case,
        principal,
        "disposition",
        f"{party.person.name}: {data.outcome}" + (f" ({data.sentence})" if data.sentence else ""),
        disposition_id=disposition.id,
        party_id=party.id,
        charge_id=data.charge_id,
        outcome=data.outcome,
    )
    audit.record(
        session,
        origin=origin,
        action="create",
        entity_type="disposition",
        entity_id=disposition.id,
        details={"case_id": case.id, "party_id": party.id, "outcome": data.outcome},
    )
    return disposition


# --- notes ----------------------------------------------------------------------------------


def list_notes(session: Session, *, principal: Principal, case_id: int) -> Select[tuple[CaseNote]]:
    get_readable(session, principal, case_id)
    return select(CaseNote).where(CaseNote.case_id == case_id)


def add_note(
    session: Session, *, principal: Principal, case_id: int, data: NoteIn, origin: audit.Origin
) -> CaseNote:
    case = get_writable(session, principal, case_id, Perm.cases_update)
    note = CaseNote(case_id=case.id, author_id=principal.user_id, body=data.body)
    session.add(note)
    session.flush()
    _event(session, case, principal, "note", "Note added", note_id=note.id)
    audit.record(
        session,
        origin=origin,
        action="create",
        entity_type="case_note",
        entity_id=note.id,
        details={"case_id": case.id},
    )
    return note
