"""Every case route x every role x (own district / other district / restricted; the prosecutor's
assigned vs unassigned): allowed (2xx), 403 (a role that may not do it), 404 (a case hidden from
the caller)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import select

from api.cases.models import CaseParty, Charge, ScrutinyReview
from tests.test_cases_support import FIR_DATE, World, offence_id, set_stage, world_fixture  # noqa: F401

OK, NO, HID = "ok", 403, 404
KINDS = ("own", "other", "restricted")

#: what each role may see (own = KHI-S unrestricted, assigned to prosecutor_assigned)
READ = {
    "prosecutor_general": (OK, OK, OK),
    "district_prosecutor": (OK, HID, OK),
    "prosecutor_assigned": (OK, HID, HID),
    "prosecutor_unassigned": (HID, HID, HID),
    "clerk": (OK, HID, HID),
    "clerk_other": (HID, OK, HID),
    "admin": (NO, NO, NO),
    "auditor": (OK, OK, OK),
    "monitor": (OK, OK, HID),
    "trainer": (NO, NO, NO),
}
#: cases.update on a visible case (clerks included)
WRITE = {**READ, "auditor": (NO, NO, NO), "monitor": (NO, NO, NO)}
#: prosecution work (cases.transition): clerks may not
PROSECUTION = {**WRITE, "clerk": (NO, NO, NO), "clerk_other": (NO, NO, NO)}
#: assignments: the district prosecutor of the case's district and the prosecutor general
ASSIGN = {
    **PROSECUTION,
    "prosecutor_assigned": (NO, NO, NO),
    "prosecutor_unassigned": (NO, NO, NO),
}

_n = itertools.count(1)


def _first_accused(db, case_id: int) -> int:
    return db.scalar(
        select(CaseParty.id).where(CaseParty.case_id == case_id, CaseParty.role == "accused").limit(1)
    )


def _new_charge(db, case_id: int) -> int:
    charge = Charge(case_id=case_id, offence_id=offence_id(db, "PPC", "324"))
    db.add(charge)
    db.flush()
    return charge.id


def _review(db, case_id: int) -> int:
    review = db.scalar(select(ScrutinyReview.id).where(ScrutinyReview.case_id == case_id))
    if review is None:
        row = ScrutinyReview(case_id=case_id, decision="defective_returned", defects=["missing_site_plan"])
        db.add(row)
        db.flush()
        review = row.id
    return review


def _offences(db) -> list[int]:
    from api.reference.models import Offence

    return list(db.scalars(select(Offence.id).where(Offence.statute == "PPC").order_by(Offence.id)))


# (name, method, path, expectations, setup(db, world, case) -> (path vars, json body, headers))
ROUTES: list[tuple[str, str, str, dict, Any]] = [
    ("get", "GET", "/api/v1/cases/{case}", READ, None),
    ("timeline", "GET", "/api/v1/cases/{case}/timeline", READ, None),
    ("list-people", "GET", "/api/v1/cases/{case}/people", READ, None),
    ("list-offences", "GET", "/api/v1/cases/{case}/offences", READ, None),
    ("list-police-reports", "GET", "/api/v1/cases/{case}/police-reports", READ, None),
    ("list-scrutiny", "GET", "/api/v1/cases/{case}/scrutiny", READ, None),
    ("list-dispositions", "GET", "/api/v1/cases/{case}/dispositions", READ, None),
    ("list-notes", "GET", "/api/v1/cases/{case}/notes", READ, None),
    (
        "update",
        "PATCH",
        "/api/v1/cases/{case}",
        WRITE,
        lambda db, w, c: ({}, {"ctd_number": f"CTD-{next(_n)}"}, {"If-Match": "*"}),
    ),
    (
        "transition",
        "POST",
        "/api/v1/cases/{case}/transitions",
        PROSECUTION,
        lambda db, w, c: (set_stage(db, c, "filed") or {}, {"to": "charge"}, {}),
    ),
    (
        "assign",
        "POST",
        "/api/v1/cases/{case}/assignments",
        ASSIGN,
        lambda db, w, c: ({}, {"prosecutor_id": w.extra["make"]().id, "role": "associate"}, {}),
    ),
    (
        "add-person",
        "POST",
        "/api/v1/cases/{case}/people",
        WRITE,
        lambda db, w, c: ({}, {"role": "witness", "name": f"Witness {next(_n)}"}, {}),
    ),
    (
        "update-person",
        "PATCH",
        "/api/v1/cases/{case}/people/{party}",
        WRITE,
        lambda db, w, c: (
            {"party": _first_accused(db, c.id)},
            {"notes": f"note {next(_n)}"},
            {"If-Match": "*"},
        ),
    ),
    (
        "add-offence",
        "POST",
        "/api/v1/cases/{case}/offences",
        WRITE,
        lambda db, w, c: ({}, {"offence_id": _offences(db)[next(_n) % 40 + 5], "party_id": None}, {}),
    ),
    (
        "remove-offence",
        "DELETE",
        "/api/v1/cases/{case}/offences/{charge}",
        WRITE,
        lambda db, w, c: ({"charge": _new_charge(db, c.id)}, None, {}),
    ),
    (
        "add-police-report",
        "POST",
        "/api/v1/cases/{case}/police-reports",
        WRITE,
        lambda db, w, c: ({}, {"kind": "interim", "received_on": FIR_DATE.isoformat()}, {}),
    ),
    (
        "add-scrutiny",
        "POST",
        "/api/v1/cases/{case}/scrutiny",
        PROSECUTION,
        lambda db, w, c: (set_stage(db, c, "scrutiny") or {}, {"decision": "fit"}, {}),
    ),
    (
        "update-scrutiny",
        "PATCH",
        "/api/v1/cases/{case}/scrutiny/{review}",
        PROSECUTION,
        lambda db, w, c: (
            {"review": _review(db, c.id)},
            {"resubmitted_on": FIR_DATE.isoformat()},
            {"If-Match": "*"},
        ),
    ),
    (
        "add-disposition",
        "POST",
        "/api/v1/cases/{case}/dispositions",
        PROSECUTION,
        lambda db, w, c: (
            set_stage(db, c, "arguments") or {},
            {
                "party_id": _first_accused(db, c.id),
                "charge_id": _new_charge(db, c.id),
                "outcome": "acquitted",
                "decided_on": FIR_DATE.isoformat(),
            },
            {},
        ),
    ),
    ("add-note", "POST", "/api/v1/cases/{case}/notes", WRITE, lambda db, w, c: ({}, {"body": "Seen."}, {})),
]


@pytest.mark.parametrize(("name", "method", "path", "expected", "setup"), ROUTES, ids=[r[0] for r in ROUTES])
def test_route_by_role(client, db, world: World, make_user, name, method, path, expected, setup):
    world.extra["make"] = lambda: make_user("prosecutor")
    failures = []
    for role, outcomes in expected.items():
        for kind, want in zip(KINDS, outcomes, strict=True):
            case = world.cases[kind]
            params, body, headers = setup(db, world, case) if setup else ({}, None, {})
            url = path.format(case=case.id, **params)
            r = client.request(method, url, json=body, headers={**world.headers[role], **headers})
            ok = r.status_code in (200, 201, 204)
            if (want == OK and not ok) or (want != OK and r.status_code != want):
                failures.append(f"{role} on {kind}: {r.status_code} (want {want}) {r.text[:160]}")
            if not ok:
                assert r.headers["content-type"].startswith("application/problem+json")
                assert "Imran" not in r.text
    assert not failures, "\n".join(failures)


def test_list_only_returns_readable_cases(client, world: World):
    ids = {k: c.id for k, c in world.cases.items()}
    for role, outcomes in READ.items():
        r = client.get("/api/v1/cases", params={"limit": 200}, headers=world.headers[role])
        if NO in outcomes:
            assert r.status_code == 403, role
            continue
        got = {c["id"] for c in r.json()["items"]}
        for kind, want in zip(KINDS, outcomes, strict=True):
            assert (ids[kind] in got) == (want == OK), (role, kind)


def test_suggest_persons_and_import_permissions(client, world: World):
    for role, want in {
        "prosecutor_general": 200,
        "district_prosecutor": 200,
        "prosecutor_assigned": 200,
        "clerk": 200,
        "admin": 403,
        "auditor": 403,
        "monitor": 403,
        "trainer": 403,
    }.items():
        r = client.get("/api/v1/persons/suggest", params={"name": "imr"}, headers=world.headers[role])
        assert r.status_code == want, (role, r.text)
    csv = b"district_code,fir_number,fir_date,police_station,category,sections,accused_name\n"
    for role, want in {
        "prosecutor_general": 403,
        "district_prosecutor": 422,
        "prosecutor_assigned": 403,
        "clerk": 422,
        "admin": 403,
        "auditor": 403,
        "monitor": 403,
        "trainer": 403,
    }.items():
        r = client.post(
            "/api/v1/cases/import", files={"file": ("x.csv", csv, "text/csv")}, headers=world.headers[role]
        )
        assert r.status_code == want, (role, r.text)  # 422: the file has no rows
