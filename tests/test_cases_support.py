"""Shared builders for the cases tests (no tests here): a small world of districts, users of every
role, and cases own / other district / restricted / assigned, built through the real services."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from api.audit.service import Origin
from api.cases import service
from api.cases.models import Case, CaseAssignment
from api.cases.schemas import CaseCreate
from api.permissions import Principal, Role
from api.reference.models import Court, District, Offence, PoliceStation

FIR_DATE = date.today() - timedelta(days=20)


def principal_of(user: Any) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        roles=frozenset(Role(r) for r in user.roles),
        district_id=user.district_id,
        session_id="test",
    )


def offence_id(db: Any, statute: str, section: str) -> int:
    return db.scalar(select(Offence.id).where(Offence.statute == statute, Offence.section == section))


def station_id(db: Any, district: str, name: str | None = None) -> int:
    stmt = select(PoliceStation.id).join(District, District.id == PoliceStation.district_id)
    stmt = stmt.where(District.code == district)
    if name:
        stmt = stmt.where(PoliceStation.name == name)
    return db.scalar(stmt.order_by(PoliceStation.id).limit(1))


def court_id(db: Any, district: str) -> int:
    return db.scalar(
        select(Court.id)
        .join(District, District.id == Court.district_id)
        .where(District.code == district)
        .order_by(Court.id)
        .limit(1)
    )


_fir = iter(range(1, 1_000_000))


def file_case(
    db: Any,
    user: Any,
    *,
    district: str = "KHI-S",
    restricted: bool = False,
    accused: list[dict[str, Any]] | None = None,
    offences: list[tuple[str, str]] = (("PPC", "302(b)"), ("PPC", "34")),  # type: ignore[assignment]
    fir_number: str | None = None,
    station: str | None = None,
    with_court: bool = False,
    parties: list[dict[str, Any]] | None = None,
) -> Case:
    district_ids = {d.code: d.id for d in db.scalars(select(District))}
    data = CaseCreate.model_validate(
        {
            "district_id": district_ids[district],
            "category": "ordinary",
            "restricted": restricted,
            "court_id": court_id(db, district) if with_court else None,
            "fir": {
                "number": fir_number or f"T{next(_fir)}",
                "date": FIR_DATE.isoformat(),
                "police_station_id": station_id(db, district, station),
                "brief_facts": "Fired upon the complainant's brother near the market.",
            },
            "offences": [{"offence_id": offence_id(db, s, n)} for s, n in offences],
            "accused": accused or [{"name": "Imran Khan", "name_ur": "عمران خان", "cnic": "42101-1234567-1"}],
            "complainant": {"name": "Sajid Ali"},
            "parties": parties or [],
        }
    )
    case = service.create_case(db, data=data, principal=principal_of(user), origin=Origin())
    db.flush()
    return case


def set_stage(db: Any, case: Case, stage: str, **values: Any) -> None:
    db.execute(update(Case).where(Case.id == case.id).values(stage=stage, **values))
    db.flush()
    db.expire_all()


def assign(db: Any, case: Case, prosecutor: Any, role: str = "lead") -> None:
    db.add(CaseAssignment(case_id=case.id, prosecutor_id=prosecutor.id, role=role))
    db.flush()


@dataclass
class World:
    users: dict[str, Any]
    headers: dict[str, dict[str, str]]
    cases: dict[str, Case]
    extra: dict[str, Any] = field(default_factory=dict)


ROLES = {
    "prosecutor_general": (("prosecutor_general",), None),
    "district_prosecutor": (("district_prosecutor",), "KHI-S"),
    "prosecutor_assigned": (("prosecutor",), None),
    "prosecutor_unassigned": (("prosecutor",), None),
    "clerk": (("clerk",), "KHI-S"),
    "clerk_other": (("clerk",), "KHI-E"),
    "admin": (("admin",), None),
    "auditor": (("auditor",), None),
    "monitor": (("monitor",), None),
    "trainer": (("trainer",), None),
}


@pytest.fixture(name="world")
def world_fixture(db, make_user, login) -> World:
    users = {key: make_user(*roles, district=district) for key, (roles, district) in ROLES.items()}
    headers = {key: login(user.username) for key, user in users.items()}
    clerk_other = users["clerk_other"]
    own = file_case(db, users["clerk"])
    other = file_case(db, clerk_other, district="KHI-E")
    restricted = file_case(db, users["district_prosecutor"], restricted=True)
    assign(db, own, users["prosecutor_assigned"])
    return World(users=users, headers=headers, cases={"own": own, "other": other, "restricted": restricted})
