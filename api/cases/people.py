"""People in a case and the person index: linking a person already known by CNIC instead of
creating a duplicate, suggestions while typing, and party changes (custody, witness status,
protection). Keyword-only functions taking ``session``; they never commit."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from api.audit import service as audit
from api.cases import lifecycle
from api.cases import service as case_service
from api.cases.access import get_readable, get_writable, readable_filter
from api.cases.models import Case, CaseParty, Person
from api.cases.schemas import PartyIn, PartyUpdate, PersonIn
from api.concurrency import check_if_match
from api.db import utcnow
from api.errors import Conflict, NotFound, ValidationFailed
from api.permissions import Perm, Principal
from api.search import service as search

PARTY_ETAG = "party"
SUGGEST_LIMIT = 10
_FILLABLE = ("name_ur", "father_name", "gender", "address", "phone")


def normalise_cnic(cnic: str | None) -> str | None:
    return re.sub(r"\D", "", cnic) if cnic else None


def visible_person(principal: Principal) -> ColumnElement[bool]:
    """Persons the principal may be shown from the index: never one tied to a protected witness
    or a restricted case that the principal cannot read."""
    hidden = (
        select(CaseParty.id)
        .join(Case, Case.id == CaseParty.case_id)
        .where(
            CaseParty.person_id == Person.id,
            or_(CaseParty.protected.is_(True), Case.restricted.is_(True)),
            not_(readable_filter(principal)),
        )
    )
    return not_(hidden.exists())


def resolve_person(
    session: Session, *, data: PersonIn, principal: Principal, loc: list[str | int]
) -> tuple[Person, bool]:
    """(the person, whether an existing one was linked). ``person_id`` links explicitly; a CNIC
    already in the index (and visible to the caller) links that person and fills its blanks."""
    if data.person_id is not None:
        person = session.scalar(select(Person).where(Person.id == data.person_id, visible_person(principal)))
        if person is None:
            raise ValidationFailed(
                "No such person in the index.", errors=[{"loc": [*loc, "person_id"], "msg": "no such person"}]
            )
        return person, True
    cnic = normalise_cnic(data.cnic)
    if cnic:
        person = session.scalar(
            select(Person).where(Person.cnic == cnic, visible_person(principal)).order_by(Person.id).limit(1)
        )
        if person is not None:
            for field in _FILLABLE:
                if getattr(person, field) is None and getattr(data, field) is not None:
                    setattr(person, field, getattr(data, field))
            return person, True
    person = Person(
        name=data.name,
        name_ur=data.name_ur,
        father_name=data.father_name,
        cnic=cnic,
        gender=data.gender,
        address=data.address,
        phone=data.phone,
    )
    session.add(person)
    return person, False


def suggest(
    session: Session, *, principal: Principal, cnic: str | None, name: str | None
) -> list[tuple[Person, str]]:
    """Up to 10 (person, matched_by): exact CNIC matches first, then names starting with, then
    containing, ``name`` (English or Urdu)."""
    found: list[tuple[Person, str]] = []
    seen: set[int] = set()
    digits = normalise_cnic(cnic)
    if digits:
        for person in session.scalars(
            select(Person)
            .where(Person.cnic == digits, visible_person(principal))
            .order_by(Person.id)
            .limit(SUGGEST_LIMIT)
        ):
            found.append((person, "cnic"))
            seen.add(person.id)
    text = (name or "").strip().lower()
    if text and len(found) < SUGGEST_LIMIT:
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        prefix = or_(
            func.lower(Person.name).like(f"{escaped}%", escape="\\"),
            Person.name_ur.like(f"{escaped}%", escape="\\"),
        )
        contains = or_(
            func.lower(Person.name).like(f"%{escaped}%", escape="\\"),
            Person.name_ur.like(f"%{escaped}%", escape="\\"),
        )
        for clause in (prefix, and_(contains, not_(prefix))):
            if len(found) >= SUGGEST_LIMIT:
                break
            stmt = select(Person).where(clause, visible_person(principal))
            if seen:
                stmt = stmt.where(Person.id.not_in(seen))
            for person in session.scalars(
                stmt.order_by(Person.name, Person.id).limit(SUGGEST_LIMIT - len(found))
            ):
                found.append((person, "name"))
                seen.add(person.id)
    return found


def parties_query(
    session: Session, *, principal: Principal, case_id: int, origin: audit.Origin
) -> Select[tuple[CaseParty]]:
    """The people of a readable case (404 otherwise); the read of personal data is audited."""
    case = get_readable(session, principal, case_id)
    audit.record_read(
        session,
        origin=origin,
        entity_type="case",
        entity_id=case.id,
        details={"part": "people", **({"restricted": True} if case.restricted else {})},
    )
    return select(CaseParty).where(CaseParty.case_id == case_id)


def _touch(case: Case) -> None:
    """The case's representation (parties, charges) changed: a new version, a new ETag."""
    case.updated_at = utcnow()


def add_party(
    session: Session, *, principal: Principal, case_id: int, data: PartyIn, origin: audit.Origin
) -> tuple[CaseParty, bool]:
    case = get_writable(session, principal, case_id, Perm.cases_update)
    if data.role == "accused":
        custody = data.custody_status or "not_arrested"
    elif data.custody_status is not None:
        raise ValidationFailed(
            "Only an accused has a custody status.",
            errors=[{"loc": ["body", "custody_status"], "msg": "only for role accused"}],
        )
    else:
        custody = None
    if data.role != "witness" and (data.witness_status or data.witness_type):
        raise ValidationFailed(
            "Only a witness has a witness status or type.",
            errors=[{"loc": ["body", "witness_status"], "msg": "only for role witness"}],
        )
    person, matched = resolve_person(session, data=data, principal=principal, loc=["body"])
    session.flush()
    if session.scalar(
        select(
            exists().where(
                CaseParty.case_id == case.id, CaseParty.person_id == person.id, CaseParty.role == data.role
            )
        )
    ):
        raise Conflict(f"This person is already a {data.role} in this case.")
    party = CaseParty(
        case_id=case.id,
        person=person,
        role=data.role,
        custody_status=custody,
        age=data.age,
        witness_type=data.witness_type,
        witness_status=data.witness_status or ("cited" if data.role == "witness" else None),
        protected=data.protected,
        rank=data.rank,
        unit=data.unit,
        notes=data.notes,
    )
    session.add(party)
    _touch(case)
    session.flush()
    shown = "a protected witness" if party.protected else person.name
    case_service.record_event(
        session,
        case=case,
        actor_id=principal.user_id,
        kind="party_added",
        summary=f"{data.role.replace('_', ' ').capitalize()} added: {shown}",
        details={"party_id": party.id, "role": data.role, "matched_existing": matched},
    )
    audit.record(
        session,
        origin=origin,
        action="create",
        entity_type="case_party",
        entity_id=party.id,
        details={"case_id": case.id, "role": data.role, "person_id": person.id, "matched_existing": matched},
    )
    search.index_case(session, case)
    return party, matched


def update_party(
    session: Session,
    *,
    principal: Principal,
    case_id: int,
    party_id: int,
    data: PartyUpdate,
    if_match: str | None,
    origin: audit.Origin,
) -> CaseParty:
    case = get_writable(session, principal, case_id, Perm.cases_update)
    party = session.scalar(select(CaseParty).where(CaseParty.id == party_id, CaseParty.case_id == case.id))
    if party is None:
        raise NotFound("No such person in this case.")
    check_if_match(if_match, PARTY_ETAG, party.id, party.version)
    changes = data.model_dump(exclude_unset=True)
    if "custody_status" in changes and party.role != "accused":
        raise ValidationFailed(
            "Only an accused has a custody status.",
            errors=[{"loc": ["body", "custody_status"], "msg": "only for an accused"}],
        )
    if ("witness_status" in changes or "witness_type" in changes) and party.role != "witness":
        raise ValidationFailed(
            "Only a witness has a witness status or type.",
            errors=[{"loc": ["body", "witness_status"], "msg": "only for a witness"}],
        )
    diff: dict[str, Any] = {
        k: {"from": getattr(party, k), "to": v} for k, v in changes.items() if getattr(party, k) != v
    }
    if not diff:
        return party
    for key, value in changes.items():
        setattr(party, key, value)
    _touch(case)
    session.flush()
    name = "a protected witness" if party.protected else party.person.name
    details: dict[str, Any] = {"party_id": party.id, "changes": diff}
    if "custody_status" in diff:
        before, after = diff["custody_status"]["from"], diff["custody_status"]["to"]
        kind = "custody"
        summary = f"Custody of {name}: {before} → {after}"
        if case.stage == "dormant" and after not in lifecycle.ABSCONDING:
            details["case_may_revive"] = True
            summary += " (the dormant case can now be revived)"
    elif "witness_status" in diff:
        kind = "witness_status"
        summary = f"Witness {name}: {diff['witness_status']['from']} → {diff['witness_status']['to']}"
    else:
        kind = "party_updated"
        summary = f"{party.role.replace('_', ' ').capitalize()} {name}: edited {', '.join(sorted(diff))}"
    case_service.record_event(
        session, case=case, actor_id=principal.user_id, kind=kind, summary=summary, details=details
    )
    audit.record(
        session,
        origin=origin,
        action="update",
        entity_type="case_party",
        entity_id=party.id,
        details={"case_id": case.id, "changes": diff},
    )
    if "protected" in diff:
        search.index_case(session, case)
    return party
