"""Shaping case data for a caller: property-level rules live here (monitors never receive CNICs,
addresses, phones or protected witnesses' names)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from api.cases import lifecycle
from api.cases.models import Case, Charge
from api.cases.schemas import CaseOut, ChargeOut, FirOut, PartyOut, PersonOut, TeamMember
from api.concurrency import etag
from api.permissions import Principal, sees_sensitive_fields

if TYPE_CHECKING:
    from api.cases.service import CaseFile

WITHHELD = "[withheld]"
PARTY_ETAG = "party"


def party_out(party: Any, principal: Principal, person: Any = None) -> PartyOut:
    """``party``: a CaseParty or a row of its table; ``person`` its person (``party.person`` by
    default)."""
    person = party.person if person is None else person
    full = sees_sensitive_fields(principal)
    hide_name = party.protected and not full
    return PartyOut(
        id=party.id,
        role=party.role,
        person=PersonOut(
            id=person.id,
            name=WITHHELD if hide_name else person.name,
            name_ur=None if hide_name else person.name_ur,
            father_name=None if hide_name or not full else person.father_name,
            cnic=person.cnic if full else None,
            gender=person.gender,
            address=person.address if full else None,
            phone=person.phone if full else None,
        ),
        custody_status=party.custody_status,
        age=party.age,
        witness_type=party.witness_type,
        witness_status=party.witness_status,
        protected=party.protected,
        rank=party.rank,
        unit=party.unit,
        notes=party.notes if full else None,
        etag=etag(PARTY_ETAG, party.id, party.version),
    )


def charge_out(charge: Charge) -> ChargeOut:
    return ChargeOut(
        id=charge.id,
        offence_id=charge.offence_id,
        statute=charge.offence.statute,
        section=charge.offence.section,
        title=charge.offence.title,
        party_id=charge.party_id,
        stage_added=charge.stage_added,
    )


def case_out(case: Case, *, principal: Principal, file: CaseFile) -> CaseOut:
    return CaseOut(
        id=case.id,
        number=case.number,
        title=case.title,
        stage=case.stage,  # type: ignore[arg-type]
        next_stages=list(lifecycle.next_stages(case.stage, case.dormant_from)),  # type: ignore[arg-type]
        category=case.category,
        district_id=case.district_id,
        restricted=case.restricted,  # type: ignore[arg-type]
        complex=case.complex,
        juvenile=case.juvenile,
        gender_based_violence=case.gender_based_violence,
        court_id=case.court_id,
        ctd_number=case.ctd_number,
        court_case_number=case.court_case_number,
        returns_count=case.returns_count,
        stage_changed_at=case.stage_changed_at,
        judgment_date=case.judgment_date,
        closed_reason=case.closed_reason,
        fir=FirOut(
            number=case.fir_number,
            year=case.fir_year,
            date=case.fir_date,
            police_station_id=case.police_station_id,
            occurrence_date=case.occurrence_date,
            occurrence_place=case.occurrence_place,
            brief_facts=case.brief_facts,
        ),
        parties=[party_out(party, principal, person) for party, person in file.parties],
        charges=[ChargeOut.model_validate(c, from_attributes=True) for c in file.charges],
        team=[TeamMember.model_validate(m, from_attributes=True) for m in file.team],
        created_at=case.created_at,
        updated_at=case.updated_at,
    )
