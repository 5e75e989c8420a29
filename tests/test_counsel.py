"""Counsel: the workload figures (exact, on a small district), the assignment suggestions, and bulk
reassignment (all or nothing, history kept), each route across the roles."""

from __future__ import annotations

import itertools
import re
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy import event as sa_event

from api import migrate
from api.audit import service as audit_service
from api.audit.models import AuditEntry
from api.audit.service import Origin
from api.cases import service as cases_service
from api.cases.models import Case, CaseAssignment, CaseEvent
from api.cases.schemas import CaseUpdate, TransitionIn
from api.config import get_settings
from api.counsel import loads
from api.counsel import service as counsel
from api.counsel.models import DistrictLoad, ProsecutorLoad
from api.counsel.schemas import ReassignmentIn
from api.db import unit_of_work, utcnow
from api.errors import Conflict
from api.hearings.models import Hearing
from api.notifications.models import Notification
from api.reference.loader import load_reference
from api.reference.models import District as DistrictRow
from api.tasks.models import Task
from api.users import service as users_service
from api.users.schemas import UserCreate
from tests.test_cases_support import court_id, file_case, principal_of, set_stage
from tests.test_cli import cmms  # noqa: F401  (the `cmms` fixture: the CLI on a fresh database)

WORKLOAD = "/api/v1/workload"
THREADS = 6
REASSIGN = "/api/v1/reassignments"


def suggest_url(case_id: int) -> str:
    return f"/api/v1/cases/{case_id}/assignment-suggestions"


@dataclass
class District:
    """KHI-S with three prosecutors (p1, p2, p3), its district prosecutor, and a prosecutor of
    KHI-E (pe) who leads one KHI-S case; cases of every kind the figures distinguish."""

    db: Any
    users: dict[str, Any]
    headers: dict[str, dict[str, str]]
    cases: dict[str, Case]
    ids: dict[str, int] = field(default_factory=dict)

    def h(self, key: str) -> dict[str, str]:
        return self.headers[key]

    def uid(self, key: str) -> int:
        return self.users[key].id


def place(db: Any, case: Case, user: Any, role: str = "lead", *, ended: bool = False) -> CaseAssignment:
    row = CaseAssignment(
        case_id=case.id, prosecutor_id=user.id, role=role, ended_at=utcnow() if ended else None
    )
    db.add(row)
    db.flush()
    return row


USERS = {
    "pg": (("prosecutor_general",), None),
    "dp": (("district_prosecutor",), "KHI-S"),
    "dp_e": (("district_prosecutor",), "KHI-E"),
    "p1": (("prosecutor",), "KHI-S"),
    "p2": (("prosecutor",), "KHI-S"),
    "p3": (("prosecutor",), "KHI-S"),
    "pe": (("prosecutor",), "KHI-E"),
    "clerk": (("clerk",), "KHI-S"),
    "auditor": (("auditor",), None),
    "monitor": (("monitor",), "KHI-S"),
    "admin": (("admin",), None),
    "trainer": (("trainer",), None),
}


@pytest.fixture(name="d")
def district_fixture(db, make_user, login, district_ids) -> District:
    users = {key: make_user(*roles, district=district) for key, (roles, district) in USERS.items()}
    headers = {key: login(u.username) for key, u in users.items()}
    clerk = users["clerk"]
    cases = {name: file_case(db, clerk) for name in ("c1", "c2", "c3", "c4", "c5", "c6", "c7", "c8")}
    cases["e1"] = file_case(db, users["dp_e"], district="KHI-E")
    set_stage(db, cases["c2"], "evidence", category="ata", complex=True)
    set_stage(db, cases["c3"], "charge", category="special", restricted=True)
    set_stage(db, cases["c4"], "dormant", dormant_from="evidence")
    set_stage(db, cases["c5"], "closed")
    u = users
    place(db, cases["c1"], u["p1"])
    place(db, cases["c2"], u["p1"])
    place(db, cases["c2"], u["p2"], "associate")
    place(db, cases["c3"], u["p2"])
    place(db, cases["c4"], u["p1"])
    place(db, cases["c5"], u["p1"])
    place(db, cases["c6"], u["pe"])
    place(db, cases["c7"], u["p3"], ended=True)
    place(db, cases["e1"], u["p1"], "associate")
    recount(db)
    return District(db=db, users=users, headers=headers, cases=cases, ids=district_ids)


def recount(db: Any) -> None:
    """The workload tables from scratch, after rows were written around the services."""
    loads.rebuild(db)
    db.expire_all()


def rows_by_id(body: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {r["prosecutor_id"]: r for r in body["items"]}


def current_places(db: Any, user_id: int) -> set[tuple[int, str]]:
    stmt = select(CaseAssignment.case_id, CaseAssignment.role).where(
        CaseAssignment.prosecutor_id == user_id, CaseAssignment.ended_at.is_(None)
    )
    return {(case_id, role) for case_id, role in db.execute(stmt)}


def snapshot(db: Any) -> tuple[Any, ...]:
    """Everything a reassignment could change."""
    db.expire_all()
    assignments = sorted(
        tuple(row)
        for row in db.execute(
            select(
                CaseAssignment.id,
                CaseAssignment.case_id,
                CaseAssignment.prosecutor_id,
                CaseAssignment.role,
                CaseAssignment.ended_at,
            )
        )
    )
    events = db.scalar(select(func.count()).select_from(CaseEvent))
    audit = db.scalar(select(func.max(AuditEntry.id)))
    versions = sorted(tuple(row) for row in db.execute(select(Case.id, Case.version)))
    return assignments, events, audit, versions


# --- workload -------------------------------------------------------------------------------


def test_workload_figures_are_exact(d, client):
    db, u = d.db, d.users
    now = utcnow()
    court = court_id(db, "KHI-S")
    for who, case, delta in (
        ("p1", "c1", timedelta(days=1)),
        ("p1", "c2", timedelta(days=6, hours=23)),
        ("p1", "c1", timedelta(days=7, minutes=5)),  # after the window
        ("p1", "c2", timedelta(hours=-1)),  # past
        ("pe", "c6", timedelta(days=2)),
        ("p2", "e1", timedelta(days=3)),  # the person's hearing in another district counts
    ):
        c = d.cases[case]
        db.add(
            Hearing(
                case_id=c.id,
                district_id=c.district_id,
                court_id=court,
                starts_at=now + delta,
                purpose="charge",
                prosecutor_id=u[who].id,
            )
        )
    today = datetime.now(ZoneInfo(get_settings().timezone)).date()
    for who, due, status in (
        ("p1", today - timedelta(days=1), "open"),
        ("p1", today, "open"),  # due today: not overdue yet
        ("p1", today - timedelta(days=5), "done"),
        ("p2", today - timedelta(days=10), "open"),
        ("p2", today - timedelta(days=10), "cancelled"),
        ("p3", None, "open"),
    ):
        db.add(Task(title="Prepare", assignee_id=u[who].id, due_date=due, status=status))
    db.flush()

    r = client.get(WORKLOAD, params={"district_id": d.ids["KHI-S"]}, headers=d.h("dp"))
    assert r.status_code == 200, r.text
    body = r.json()
    w = counsel.weights()
    assert body["weights"] == w
    rows = rows_by_id(body)
    # the district's prosecutors and district prosecutor, plus pe (KHI-E) who leads c6; not the
    # clerk, not dp_e, not the other district's prosecutor without a KHI-S case
    assert set(rows) == {d.uid("p1"), d.uid("p2"), d.uid("p3"), d.uid("dp"), d.uid("pe")}
    ata_complex = w["ata"] * w["complex"]
    special_restricted = w["special"] * w["restricted"]
    expected = {
        "p1": dict(open_cases=2, lead_cases=2, associate_cases=0, dormant_cases=1,
                   weighted_load=w["ordinary"] + ata_complex, hearings_next_7_days=2, overdue_tasks=1),
        "p2": dict(open_cases=2, lead_cases=1, associate_cases=1, dormant_cases=0,
                   weighted_load=ata_complex / 2 + special_restricted, hearings_next_7_days=1, overdue_tasks=1),
        "p3": dict(open_cases=0, lead_cases=0, associate_cases=0, dormant_cases=0,
                   weighted_load=0, hearings_next_7_days=0, overdue_tasks=0),
        "pe": dict(open_cases=1, lead_cases=1, associate_cases=0, dormant_cases=0,
                   weighted_load=w["ordinary"], hearings_next_7_days=1, overdue_tasks=0),
        "dp": dict(open_cases=0, lead_cases=0, associate_cases=0, dormant_cases=0,
                   weighted_load=0, hearings_next_7_days=0, overdue_tasks=0),
    }  # fmt: skip
    for key, figures in expected.items():
        row = rows[d.uid(key)]
        for name, value in figures.items():
            assert row[name] == pytest.approx(value), (key, name, row)
        assert row["name"] == u[key].full_name
    assert rows[d.uid("p1")]["assignable"] is True
    assert rows[d.uid("dp")]["assignable"] is False  # not a prosecutor: cannot be assigned cases
    assert rows[d.uid("pe")]["district_id"] == d.ids["KHI-E"]
    totals = body["totals"]
    # open: c1 c2 c3 c6 c7 c8 (c4 dormant, c5 closed); unassigned: c7 (its place ended) and c8
    assert totals["open_cases"] == 6
    assert totals["dormant_cases"] == 1
    assert totals["unassigned_open_cases"] == 2
    assert totals["prosecutors"] == 5
    assert totals["lead_cases"] == 4 and totals["associate_cases"] == 1
    assert totals["weighted_load"] == pytest.approx(sum(e["weighted_load"] for e in expected.values()))
    assert totals["hearings_next_7_days"] == 4 and totals["overdue_tasks"] == 2
    # default order: heaviest first
    loads = [row["weighted_load"] for row in body["items"]]
    assert loads == sorted(loads, reverse=True)


def test_workload_weights_are_configurable(d, client, monkeypatch):
    monkeypatch.setattr(get_settings(), "workload_weights", {"ata": 4.0, "complex": 1.0})
    r = client.get(WORKLOAD, headers=d.h("dp"))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["weights"]["ata"] == 4.0 and body["weights"]["ordinary"] == 1.0  # defaults kept
    p1 = rows_by_id(body)[d.uid("p1")]
    assert p1["weighted_load"] == pytest.approx(1.0 + 4.0)


def test_workload_sort_and_bad_input(d, client):
    r = client.get(WORKLOAD, params={"sort": "name"}, headers=d.h("dp"))
    names = [row["name"].casefold() for row in r.json()["items"]]
    assert names == sorted(names)
    r = client.get(WORKLOAD, params={"sort": "-open_cases"}, headers=d.h("dp"))
    counts = [row["open_cases"] for row in r.json()["items"]]
    assert counts == sorted(counts, reverse=True)
    for params, loc in (
        ({"sort": "password"}, ["query", "sort"]),
        ({"district_id": 0}, ["query", "district_id"]),
        ({"district_id": "x"}, ["query", "district_id"]),
        ({"district_id": 2_000_000_000}, ["query", "district_id"]),  # no such district
    ):
        r = client.get(WORKLOAD, params=params, headers=d.h("pg"))
        assert r.status_code == 422, (params, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["loc"] == loc
    # the prosecutor general has no district of their own: they must choose one
    r = client.get(WORKLOAD, headers=d.h("pg"))
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["query", "district_id"]


#: (caller, district asked for, status)
WORKLOAD_ROLES = [
    ("pg", "KHI-S", 200),
    ("auditor", "KHI-S", 200),
    ("monitor", "KHI-S", 200),
    ("monitor", "KHI-E", 200),  # monitors read any district
    ("dp", "KHI-S", 200),
    ("dp", None, 200),  # defaults to their own
    ("dp", "KHI-E", 403),  # limited to their own
    ("dp_e", "KHI-S", 403),
    ("p1", "KHI-S", 403),
    ("clerk", "KHI-S", 403),
    ("admin", "KHI-S", 403),
    ("trainer", "KHI-S", 403),
]


def test_workload_roles(d, client):
    for who, district, status in WORKLOAD_ROLES:
        params = {"district_id": d.ids[district]} if district else {}
        r = client.get(WORKLOAD, params=params, headers=d.h(who))
        assert r.status_code == status, (who, district, r.text)
        if status == 200:
            expected = d.ids[district] if district else d.users[who].district_id
            assert r.json()["district_id"] == expected
        else:
            assert r.headers["content-type"].startswith("application/problem+json")


def test_workload_moves_after_an_assignment(d, client):
    before = client.get(WORKLOAD, headers=d.h("dp")).json()
    p3 = rows_by_id(before)[d.uid("p3")]
    r = client.post(
        f"/api/v1/cases/{d.cases['c8'].id}/assignments",
        json={"prosecutor_id": d.uid("p3"), "role": "lead", "reason": "fresh hands"},
        headers=d.h("dp"),
    )
    assert r.status_code == 201, r.text
    after = client.get(WORKLOAD, headers=d.h("dp")).json()
    p3_after = rows_by_id(after)[d.uid("p3")]
    assert p3_after["open_cases"] == p3["open_cases"] + 1
    assert p3_after["lead_cases"] == p3["lead_cases"] + 1
    assert p3_after["weighted_load"] == pytest.approx(p3["weighted_load"] + counsel.weights()["ordinary"])
    assert after["totals"]["unassigned_open_cases"] == before["totals"]["unassigned_open_cases"] - 1


# --- suggestions ----------------------------------------------------------------------------


def test_suggestions_least_loaded_first_without_the_team(d, client):
    # c2's team: p1 lead, p2 associate; left: p3 (load 0); pe is of KHI-E, dp is no prosecutor
    r = client.get(suggest_url(d.cases["c2"].id), headers=d.h("dp"))
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [i["prosecutor_id"] for i in items] == [d.uid("p3")]
    assert items[0]["rank"] == 1 and "least loaded" in items[0]["why"]
    # c8 has no team: p3 (0), p2 (lower load), p1 (the heaviest)
    r = client.get(suggest_url(d.cases["c8"].id), headers=d.h("dp"))
    items = r.json()["items"]
    assert [i["prosecutor_id"] for i in items] == [d.uid("p3"), d.uid("p2"), d.uid("p1")]
    loads = [i["weighted_load"] for i in items]
    assert loads == sorted(loads)
    assert [i["rank"] for i in items] == [1, 2, 3]
    assert items[1]["open_cases"] == 2 and items[1]["weighted_load"] > 0
    r = client.get(suggest_url(d.cases["c8"].id), params={"limit": 2}, headers=d.h("pg"))
    assert [i["prosecutor_id"] for i in r.json()["items"]] == [d.uid("p3"), d.uid("p2")]


def test_suggestions_ties_break_on_open_cases(d, client, make_user):
    # y (created first, so first by name) carries two associate places, x one lead place: the
    # same weighted load, and x has fewer open cases
    db, u = d.db, d.users
    y, x = make_user("prosecutor", district="KHI-S"), make_user("prosecutor", district="KHI-S")
    a, b, c = (file_case(db, u["clerk"]) for _ in range(3))
    place(db, a, y, "associate")
    place(db, b, y, "associate")
    place(db, c, x)
    recount(db)
    r = client.get(suggest_url(d.cases["c8"].id), params={"limit": 10}, headers=d.h("dp"))
    items = {i["prosecutor_id"]: i for i in r.json()["items"]}
    assert items[x.id]["weighted_load"] == items[y.id]["weighted_load"]
    assert (items[x.id]["open_cases"], items[y.id]["open_cases"]) == (1, 2)
    assert items[x.id]["rank"] < items[y.id]["rank"]


def test_suggestions_exclude_the_caller(d, client, make_user, login):
    both = make_user("district_prosecutor", "prosecutor", district="KHI-S")
    mine = client.get(suggest_url(d.cases["c8"].id), headers=login(both.username)).json()["items"]
    assert both.id not in {i["prosecutor_id"] for i in mine}
    theirs = client.get(suggest_url(d.cases["c8"].id), params={"limit": 50}, headers=d.h("pg")).json()[
        "items"
    ]
    assert both.id in {i["prosecutor_id"] for i in theirs}


#: (caller, case, status)
SUGGEST_ROLES = [
    ("pg", "c1", 200),
    ("dp", "c1", 200),
    ("dp", "e1", 404),  # another district's case is hidden
    ("dp_e", "c1", 404),
    ("dp_e", "e1", 200),
    ("p1", "c1", 403),  # a prosecutor does not assign, not even on their own case
    ("clerk", "c1", 403),
    ("auditor", "c1", 403),
    ("monitor", "c1", 403),
    ("admin", "c1", 403),
    ("trainer", "c1", 403),
]


def test_suggestion_roles(d, client):
    for who, case, status in SUGGEST_ROLES:
        r = client.get(suggest_url(d.cases[case].id), headers=d.h(who))
        assert r.status_code == status, (who, case, r.text)


def test_suggestions_restricted_case_and_bad_input(d, client):
    restricted = file_case(d.db, d.users["dp"], restricted=True)
    r = client.get(suggest_url(restricted.id), headers=d.h("dp"))
    assert r.status_code == 200 and r.json()["items"]
    r = client.get(suggest_url(restricted.id), headers=d.h("p1"))
    assert r.status_code == 403
    for params in ({"limit": 0}, {"limit": 51}, {"limit": "many"}):
        r = client.get(suggest_url(d.cases["c1"].id), params=params, headers=d.h("dp"))
        assert r.status_code == 422, params
    assert client.get(suggest_url(2_000_000_000), headers=d.h("pg")).status_code == 404
    assert client.get(suggest_url(0), headers=d.h("pg")).status_code == 422


# --- bulk reassignment ----------------------------------------------------------------------


def body(d: District, **kw: Any) -> dict[str, Any]:
    return {
        "from_prosecutor_id": d.uid("p1"),
        "to_prosecutor_ids": [d.uid("p2"), d.uid("p3")],
        "reason": "On leave for three months",
        **kw,
    }


def test_reassignment_moves_every_open_case_by_least_load(d, client):
    db = d.db
    w = counsel.weights()
    r = client.post(REASSIGN, json=body(d), headers=d.h("dp"))
    assert r.status_code == 201, r.text
    assert r.headers["ETag"].startswith('"reassignment-')
    out = r.json()
    # p1's KHI-S places not closed: c1, c2 (lead), c4 (dormant lead). The heaviest first: c2
    # (ata, complex) to p3 (load 0 < p2's); then c1 to p3 (load ata*complex) unless p2 is lighter;
    # the dormant c4 weighs nothing and goes to whoever is lighter then.
    p2_load = w["ata"] * w["complex"] / 2 + w["special"] * w["restricted"]
    p3_load = w["ata"] * w["complex"]
    assert {m["case_id"] for m in out["moved"]} == {d.cases[c].id for c in ("c1", "c2", "c4")}
    to = {m["case_id"]: m["to_prosecutor_id"] for m in out["moved"]}
    assert to[d.cases["c2"].id] == d.uid("p3")
    first = d.uid("p3") if p3_load < p2_load else d.uid("p2")
    assert to[d.cases["c1"].id] == first
    assert out["count"] == 3 and out["released"] == []
    assert all(m["role"] == "lead" and m["from_role"] == "lead" for m in out["moved"])
    # p1 keeps only the closed case and the other district's place
    assert current_places(db, d.uid("p1")) == {(d.cases["c5"].id, "lead"), (d.cases["e1"].id, "associate")}
    # c2: p2 was associate and stays so; p3 leads
    assert current_places(db, d.uid("p2")) >= {(d.cases["c2"].id, "associate")}
    # history: p1's old rows ended, the new ones name who and why
    old = db.execute(
        select(CaseAssignment).where(
            CaseAssignment.prosecutor_id == d.uid("p1"), CaseAssignment.case_id == d.cases["c2"].id
        )
    ).scalar_one()
    assert old.ended_at is not None
    new = db.execute(
        select(CaseAssignment).where(
            CaseAssignment.case_id == d.cases["c2"].id,
            CaseAssignment.ended_at.is_(None),
            CaseAssignment.role == "lead",
        )
    ).scalar_one()
    assert new.prosecutor_id == d.uid("p3")
    assert new.assigned_by == d.uid("dp") and new.reason == "On leave for three months"
    assert new.started_at >= old.started_at
    events = db.scalars(
        select(CaseEvent).where(CaseEvent.case_id == d.cases["c2"].id, CaseEvent.kind == "assignment")
    ).all()
    assert any(
        e.details["prosecutor_id"] == d.uid("p3") and e.details["reason"] == new.reason for e in events
    )
    audits = db.scalars(
        select(AuditEntry).where(AuditEntry.action == "assign", AuditEntry.entity_type == "case")
    ).all()
    assert {int(a.entity_id) for a in audits} >= {d.cases[c].id for c in ("c1", "c2", "c4")}
    summary = db.scalars(
        select(AuditEntry).where(AuditEntry.entity_type == "user", AuditEntry.action == "unassign")
    ).one()
    assert summary.details["moved"] == 3 and summary.entity_id == str(d.uid("p1"))
    # and the workload shows it
    rows = rows_by_id(client.get(WORKLOAD, headers=d.h("dp")).json())
    assert rows[d.uid("p1")]["open_cases"] == 0 and rows[d.uid("p1")]["weighted_load"] == 0
    assert rows[d.uid("p3")]["lead_cases"] >= 1


def test_reassignment_balances_over_targets(d, client, make_user):
    """Many equal cases over two empty targets split evenly (the load is recomputed as you go)."""
    db, u = d.db, d.users
    fresh = [make_user("prosecutor", district="KHI-S") for _ in range(2)]
    extra = [file_case(db, u["clerk"]) for _ in range(6)]
    for c in extra:
        place(db, c, u["p3"])
    recount(db)
    r = client.post(
        REASSIGN,
        json={
            "from_prosecutor_id": u["p3"].id,
            "to_prosecutor_ids": [f.id for f in fresh],
            "reason": "transfer",
        },
        headers=d.h("pg"),
    )
    assert r.status_code == 201, r.text
    got = [m["to_prosecutor_id"] for m in r.json()["moved"]]
    assert sorted(got.count(f.id) for f in fresh) == [3, 3]


def test_reassignment_of_associate_places_and_release(d, client):
    db = d.db
    # p2 is associate on c2 (p1 leads) and lead on c3; move the associate place only, to p3
    r = client.post(
        REASSIGN,
        json=body(d, from_prosecutor_id=d.uid("p2"), to_prosecutor_ids=[d.uid("p3")], role="associate"),
        headers=d.h("dp"),
    )
    assert r.status_code == 201, r.text
    assert [(m["case_id"], m["to_prosecutor_id"], m["role"]) for m in r.json()["moved"]] == [
        (d.cases["c2"].id, d.uid("p3"), "associate")
    ]
    assert current_places(db, d.uid("p2")) == {(d.cases["c3"].id, "lead")}
    assert (d.cases["c2"].id, "associate") in current_places(db, d.uid("p3"))
    assert (d.cases["c2"].id, "lead") in current_places(db, d.uid("p1"))  # the lead is untouched
    released = db.scalars(
        select(CaseEvent).where(CaseEvent.case_id == d.cases["c2"].id, CaseEvent.kind == "unassignment")
    ).one()
    assert released.details["prosecutor_id"] == d.uid("p2") and released.details["to_prosecutor_id"] == d.uid(
        "p3"
    )
    assert released.actor_id == d.uid("dp")
    # now p3 (associate) to p1, who already leads c2: p3's place just ends
    r = client.post(
        REASSIGN,
        json=body(d, from_prosecutor_id=d.uid("p3"), to_prosecutor_ids=[d.uid("p1")]),
        headers=d.h("dp"),
    )
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["moved"] == [] and out["count"] == 0
    assert [x["case_id"] for x in out["released"]] == [d.cases["c2"].id]
    assert current_places(db, d.uid("p3")) == set()
    assert (d.cases["c2"].id, "lead") in current_places(db, d.uid("p1"))


def test_reassignment_promotes_an_associate_target(d, client):
    # p1 leads c2 where p2 is associate; moving p1's c2 to p2 alone makes p2 the lead
    r = client.post(
        REASSIGN,
        json=body(d, to_prosecutor_ids=[d.uid("p2")], case_ids=[d.cases["c2"].id]),
        headers=d.h("dp"),
    )
    assert r.status_code == 201, r.text
    team = cases_service.file_of(d.db, d.cases["c2"].id).team
    assert [(a.prosecutor_id, a.role) for a in team] == [(d.uid("p2"), "lead")]


def test_reassignment_subset_by_case_ids(d, client):
    r = client.post(REASSIGN, json=body(d, case_ids=[d.cases["c1"].id]), headers=d.h("dp"))
    assert r.status_code == 201, r.text
    assert [m["case_id"] for m in r.json()["moved"]] == [d.cases["c1"].id]
    assert (d.cases["c2"].id, "lead") in current_places(d.db, d.uid("p1"))


#: (caller, status), the refusals first
REASSIGN_ROLES = [
    ("pg", 201),
    ("dp", 201),
    ("dp_e", 403),  # another district's district prosecutor
    ("p1", 403),  # prosecutors do not assign (not even their own cases)
    ("p2", 403),
    ("clerk", 403),
    ("auditor", 403),
    ("monitor", 403),
    ("admin", 403),
    ("trainer", 403),
]


def test_reassignment_roles(d, client):
    allowed = iter(("c1", "c2"))  # each allowed caller moves one case
    for who, status in sorted(REASSIGN_ROLES, key=lambda row: row[1] == 201):
        before = snapshot(d.db)
        payload = body(d, district_id=d.ids["KHI-S"])
        if status == 201:
            payload["case_ids"] = [d.cases[next(allowed)].id]
        r = client.post(REASSIGN, json=payload, headers=d.h(who))
        assert r.status_code == status, (who, r.text)
        if status == 201:
            assert [m["case_id"] for m in r.json()["moved"]] == payload["case_ids"]
        else:
            assert snapshot(d.db) == before, who


def test_a_district_prosecutor_of_another_district_cannot_even_name_their_own(d, client):
    # dp_e naming their own district moves nothing of KHI-S: p1's only KHI-E place is e1
    before = current_places(d.db, d.uid("p1"))
    r = client.post(
        REASSIGN,
        json=body(d, to_prosecutor_ids=[d.uid("pe")], district_id=d.ids["KHI-E"]),
        headers=d.h("dp_e"),
    )
    assert r.status_code == 201, r.text
    assert [m["case_id"] for m in r.json()["moved"]] == [d.cases["e1"].id]
    after = current_places(d.db, d.uid("p1"))
    assert before - after == {(d.cases["e1"].id, "associate")}
    # and KHI-S cases named explicitly are hidden from them
    r = client.post(
        REASSIGN,
        json=body(
            d, to_prosecutor_ids=[d.uid("pe")], district_id=d.ids["KHI-E"], case_ids=[d.cases["c1"].id]
        ),
        headers=d.h("dp_e"),
    )
    assert r.status_code == 404


def test_nobody_assigns_themselves(d, client, make_user, login):
    both = make_user("district_prosecutor", "prosecutor", district="KHI-S")
    headers = login(both.username)
    before = snapshot(d.db)
    r = client.post(REASSIGN, json=body(d, to_prosecutor_ids=[d.uid("p2"), both.id]), headers=headers)
    assert r.status_code == 403, r.text
    assert r.json()["errors"][0]["loc"] == ["body", "to_prosecutor_ids", 1]
    assert snapshot(d.db) == before


#: (change to a good body, status, errors[0].loc); names stand for users and cases
BAD_REASSIGNMENTS = [
    ({"to_prosecutor_ids": ["p2", "pe"]}, 422, ["body", "to_prosecutor_ids", 1]),  # other district
    ({"to_prosecutor_ids": ["p2", "dp"]}, 403, ["body", "to_prosecutor_ids", 1]),  # the caller
    ({"to_prosecutor_ids": ["clerk"]}, 422, ["body", "to_prosecutor_ids", 0]),  # not a prosecutor
    ({"to_prosecutor_ids": ["p1"]}, 422, ["body", "to_prosecutor_ids", 0]),  # the from prosecutor
    ({"to_prosecutor_ids": [2_000_000_000]}, 422, ["body", "to_prosecutor_ids", 0]),
    ({"to_prosecutor_ids": []}, 422, ["body", "to_prosecutor_ids"]),
    ({"to_prosecutor_ids": ["p2", "p2"]}, 422, ["body", "to_prosecutor_ids"]),
    ({"from_prosecutor_id": 2_000_000_000}, 422, ["body", "from_prosecutor_id"]),
    ({"from_prosecutor_id": 0}, 422, ["body", "from_prosecutor_id"]),
    ({"district_id": 2_000_000_000}, 422, ["body", "district_id"]),
    ({"case_ids": ["c1", "c5"]}, 422, ["body", "case_ids", 1]),  # closed
    ({"case_ids": ["c1", "c3"]}, 422, ["body", "case_ids", 1]),  # not p1's
    ({"case_ids": ["c1", "e1"]}, 404, ["body", "case_ids", 1]),  # hidden from dp
    ({"case_ids": [2_000_000_000]}, 404, ["body", "case_ids", 0]),
    ({"case_ids": []}, 422, ["body", "case_ids"]),
    ({"role": "clerk"}, 422, ["body", "role"]),
    ({"reason": "   "}, 422, ["body", "reason"]),
    ({"reason": None}, 422, ["body", "reason"]),
    ({"stage": "closed"}, 422, ["body", "stage"]),  # unknown field
]


def test_reassignment_refuses_bad_input_and_changes_nothing(d, client):
    def resolve(v: Any) -> Any:
        if isinstance(v, str) and v in d.users:
            return d.uid(v)
        if isinstance(v, str) and v in d.cases:
            return d.cases[v].id
        return v

    before = snapshot(d.db)
    for change, status, loc in BAD_REASSIGNMENTS:
        payload = body(d)
        for key, value in change.items():
            payload[key] = [resolve(v) for v in value] if isinstance(value, list) else value
        r = client.post(REASSIGN, json=payload, headers=d.h("dp"))
        assert r.status_code == status, (change, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["loc"] == loc, change
        assert snapshot(d.db) == before, change


def test_a_failure_in_the_middle_changes_nothing(d, client, monkeypatch):
    """The batch has written the new places when the second case's timeline entry fails: the
    whole request rolls back (places, timeline, audit, versions, the workload tables)."""
    real = cases_service.record_event
    calls: list[int] = []

    def failing(session: Any, *, case: Case, **kwargs: Any) -> Any:
        calls.append(case.id)
        if len(calls) == 2:
            raise Conflict(f"Case {case.number}: someone else changed the team.")
        return real(session, case=case, **kwargs)

    monkeypatch.setattr(cases_service, "record_event", failing)
    before = snapshot(d.db)
    tables = table_rows(d.db)
    r = client.post(REASSIGN, json=body(d), headers=d.h("dp"))
    assert r.status_code == 409, r.text
    number = d.db.scalar(select(Case.number).where(Case.id == calls[1]))
    assert number in r.json()["detail"]  # names the case
    assert len(calls) == 2
    assert snapshot(d.db) == before
    assert table_rows(d.db) == tables
    assert current_places(d.db, d.uid("p1")) >= {(d.cases[c].id, "lead") for c in ("c1", "c2", "c4")}


def test_reassignment_cap(d, client, monkeypatch):
    monkeypatch.setattr(counsel, "MAX_REASSIGN", 2)
    before = snapshot(d.db)
    r = client.post(REASSIGN, json=body(d), headers=d.h("dp"))
    assert r.status_code == 422, r.text
    assert "3 cases would move" in r.json()["detail"] and "at most 2" in r.json()["detail"]
    assert snapshot(d.db) == before
    # case_ids beyond 5,000 are refused before anything is read
    r = client.post(REASSIGN, json=body(d, case_ids=list(range(1, 5_002))), headers=d.h("dp"))
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["body", "case_ids"]


def test_reassignment_is_idempotent_with_a_key(d, client):
    headers = {**d.h("dp"), "Idempotency-Key": "move-p1-2026"}
    first = client.post(REASSIGN, json=body(d), headers=headers)
    assert first.status_code == 201, first.text
    rows = snapshot(d.db)
    again = client.post(REASSIGN, json=body(d), headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json() and again.headers["ETag"] == first.headers["ETag"]
    assert snapshot(d.db) == rows


def test_reassignment_moves_dormant_and_leaves_closed(d, client):
    db = d.db
    db.execute(update(Case).where(Case.id == d.cases["c1"].id).values(stage="closed"))
    db.flush()
    recount(db)
    r = client.post(REASSIGN, json=body(d, to_prosecutor_ids=[d.uid("p3")]), headers=d.h("dp"))
    assert r.status_code == 201, r.text
    assert {m["case_id"] for m in r.json()["moved"]} == {d.cases["c2"].id, d.cases["c4"].id}
    assert (d.cases["c1"].id, "lead") in current_places(db, d.uid("p1"))


# --- the workload tables --------------------------------------------------------------------


def table_rows(db: Any) -> tuple[dict[tuple[int, int], tuple[Any, ...]], dict[int, tuple[int, int, int]]]:
    """Both tables as they are: {(district, prosecutor): figures}, {district: totals}."""
    loads_rows = {
        (r.district_id, r.prosecutor_id): (
            r.open_cases,
            r.lead_cases,
            r.associate_cases,
            r.dormant_cases,
            round(r.weighted_load, 6),
        )
        for r in db.execute(select(ProsecutorLoad.__table__))
    }
    totals = {
        r.district_id: (r.open_cases, r.dormant_cases, r.unassigned_open_cases)
        for r in db.execute(select(DistrictLoad.__table__))
    }
    return loads_rows, totals


def fresh_count(db: Any) -> tuple[dict[tuple[int, int], tuple[Any, ...]], dict[int, tuple[int, int, int]]]:
    """The same figures counted in Python from the cases and the current places."""
    w = counsel.weights()
    cases = {
        r.id: r
        for r in db.execute(
            select(Case.id, Case.district_id, Case.stage, Case.category, Case.complex, Case.restricted)
        )
    }
    current = db.execute(
        select(CaseAssignment.case_id, CaseAssignment.prosecutor_id, CaseAssignment.role).where(
            CaseAssignment.ended_at.is_(None)
        )
    ).all()
    figures: dict[tuple[int, int], list[Any]] = defaultdict(lambda: [0, 0, 0, 0, 0.0])
    on_team = {case_id for case_id, _pid, _role in current}
    for case_id, pid, role in current:
        c = cases[case_id]
        if c.stage == "closed":
            continue
        row = figures[(c.district_id, pid)]
        if c.stage == "dormant":
            row[3] += 1
            continue
        row[0] += 1
        row[1 if role == "lead" else 2] += 1
        weight = w[c.category] * (w["complex"] if c.complex else 1) * (w["restricted"] if c.restricted else 1)
        row[4] += weight * (1.0 if role == "lead" else 0.5)
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for c in cases.values():
        if c.stage == "closed":
            continue
        t = totals[c.district_id]
        if c.stage == "dormant":
            t[1] += 1
        else:
            t[0] += 1
            t[2] += c.id not in on_team
    return (
        {k: (*v[:4], round(v[4], 6)) for k, v in figures.items()},
        {k: tuple(v) for k, v in totals.items()},  # type: ignore[misc]
    )


def assert_exact(db: Any) -> None:
    loads.settle(db)
    db.expire_all()
    got_loads, got_totals = table_rows(db)
    want_loads, want_totals = fresh_count(db)
    assert got_loads == want_loads
    # every district has a row (zeros where it has no case), equal to the count where it has cases
    assert {k: v for k, v in got_totals.items() if v != (0, 0, 0)} == want_totals
    for district_id in {k[0] for k in want_loads}:
        live, live_totals = loads.live_loads(db, district_id=district_id)
        table, table_totals = loads.table_loads(db, district_id=district_id)  # type: ignore[misc]
        assert table_totals == live_totals
        assert set(table) == set(live)
        for pid, load in live.items():
            assert table[pid].weighted_load == pytest.approx(load.weighted_load)
            assert (table[pid].open_cases, table[pid].dormant_cases) == (load.open_cases, load.dormant_cases)


def test_the_tables_match_a_fresh_count_after_every_change(d):
    """Assignments (new lead, replaced lead, change of role), edits that change a case's weight,
    transitions (dormant, closed), new cases, bulk reassignments: after each, both tables equal a
    count from scratch."""
    db, u = d.db, d.users
    dp, dp_e = principal_of(u["dp"]), principal_of(u["dp_e"])
    origin = Origin(actor_id=u["dp"].id)
    assert_exact(db)

    absconding = [{"name": "Rashid Mehmood", "custody_status": "absconding"}]
    new = file_case(db, u["clerk"], accused=absconding, with_court=True)
    assert_exact(db)

    def assign(case: Case, who: str, role: str, principal: Any = dp) -> None:
        cases_service.assign(
            db, principal=principal, case_id=case.id, prosecutor_id=u[who].id, role=role, reason="test",
            origin=origin,
        )  # fmt: skip
        assert_exact(db)

    assign(new, "p3", "lead")
    assign(new, "p2", "associate")
    assign(new, "p1", "lead")  # replaces p3
    assign(new, "p2", "lead")  # p2: associate → lead, replacing p1
    assign(new, "p3", "associate")
    assign(d.cases["c8"], "p1", "associate")  # c8 had nobody: no longer unassigned
    assign(d.cases["e1"], "pe", "lead", principal=dp_e)  # the other district

    def move(case: Case, to: str, **kw: Any) -> None:
        cases_service.transition(
            db, principal=dp, case_id=case.id, data=TransitionIn(to=to, **kw), origin=origin
        )
        assert_exact(db)

    move(new, "scrutiny")
    move(new, "filed")
    move(new, "dormant")  # every accused absconding
    move(d.cases["c2"], "judgment", reason="s265k_acquittal")
    move(d.cases["c2"], "closed", reason="appeal window waived")
    move(d.cases["c8"], "scrutiny")
    move(d.cases["c8"], "closed", reason="cancellation accepted")  # its place no longer counts

    for name, change in (("c1", {"category": "ata", "complex": True}), ("c3", {"restricted": False})):
        cases_service.update_case(
            db, principal=dp, case_id=d.cases[name].id, data=CaseUpdate(**change), if_match="*", origin=origin
        )
        assert_exact(db)

    out, _digest = counsel.reassign(
        db,
        principal=dp,
        data=ReassignmentIn(
            from_prosecutor_id=u["p1"].id, to_prosecutor_ids=[u["p2"].id, u["p3"].id], reason="transfer"
        ),
        origin=origin,
    )
    assert out.count >= 2
    assert_exact(db)
    out, _digest = counsel.reassign(
        db,
        principal=dp,
        data=ReassignmentIn(
            from_prosecutor_id=u["p3"].id, to_prosecutor_ids=[u["p2"].id], role="associate", reason="leave"
        ),
        origin=origin,
    )
    assert out.released  # p2 already leads the new case: p3's associate place just ends
    assert_exact(db)


def test_the_endpoint_reads_the_tables(d, client):
    """Once a district is counted, the workload comes from the tables (not from the cases)."""
    db = d.db
    db.execute(
        update(ProsecutorLoad)
        .where(ProsecutorLoad.prosecutor_id == d.uid("p1"), ProsecutorLoad.district_id == d.ids["KHI-S"])
        .values(open_cases=41, weighted_load=99.5)
    )
    db.execute(update(DistrictLoad).where(DistrictLoad.district_id == d.ids["KHI-S"]).values(open_cases=77))
    db.flush()
    body = client.get(WORKLOAD, headers=d.h("dp")).json()
    row = rows_by_id(body)[d.uid("p1")]
    assert (row["open_cases"], row["weighted_load"]) == (41, 99.5)
    assert body["totals"]["open_cases"] == 77
    recount(db)  # and a rebuild puts the truth back
    body = client.get(WORKLOAD, headers=d.h("dp")).json()
    assert rows_by_id(body)[d.uid("p1")]["open_cases"] == 2 and body["totals"]["open_cases"] == 6


def test_a_district_not_counted_yet_is_computed_live_then_counted_on_its_first_change(d, client):
    db = d.db
    expected = client.get(WORKLOAD, headers=d.h("dp")).json()
    db.execute(delete(DistrictLoad).where(DistrictLoad.district_id == d.ids["KHI-S"]))
    db.execute(delete(ProsecutorLoad).where(ProsecutorLoad.district_id == d.ids["KHI-S"]))
    db.flush()
    live = client.get(WORKLOAD, headers=d.h("dp")).json()
    assert live["items"] == expected["items"] and live["totals"] == expected["totals"]
    r = client.post(
        f"/api/v1/cases/{d.cases['c8'].id}/assignments",
        json={"prosecutor_id": d.uid("p3"), "role": "lead", "reason": "fresh hands"},
        headers=d.h("dp"),
    )
    assert r.status_code == 201, r.text
    assert db.get(DistrictLoad, d.ids["KHI-S"]) is not None  # counted from scratch by that change
    assert_exact(db)


def test_rows_of_other_weights_are_not_used(d, client, monkeypatch):
    """Rows computed with other weights (CMMS_WORKLOAD_WEIGHTS changed without a rebuild) are not
    read: the figures are computed live, right; a rebuild makes them table rows again."""
    before = table_rows(d.db)
    monkeypatch.setattr(get_settings(), "workload_weights", {"ordinary": 3.0})
    assert loads.table_loads(d.db, district_id=d.ids["KHI-S"]) is None
    row = rows_by_id(client.get(WORKLOAD, headers=d.h("dp")).json())[d.uid("p1")]
    w = counsel.weights()
    assert row["weighted_load"] == pytest.approx(3.0 + w["ata"] * w["complex"])
    assert table_rows(d.db) == before  # a read writes nothing
    recount(d.db)
    table = loads.table_loads(d.db, district_id=d.ids["KHI-S"])
    assert table is not None and table[0][d.uid("p1")].weighted_load == pytest.approx(row["weighted_load"])


def test_the_recount_is_an_index_range(d):
    """A prosecutor's recount reads their current places through one index, then each case by key."""
    db = d.db
    stmt = loads._load_rows(utcnow(), CaseAssignment.prosecutor_id.in_([d.uid("p1")]))
    if db.get_bind().dialect.name == "sqlite":
        sql = stmt.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
        plan = " | ".join(row[-1] for row in db.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
        assert "ix_case_assignments_prosecutor_current" in plan, plan
        assert "SEARCH" in plan and "SCAN" not in plan.replace("SCAN CONSTANT ROW", ""), plan
    else:
        db.execute(text("SET LOCAL enable_seqscan = off"))  # a tiny table: ask what it would use
        sql = stmt.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
        plan = " | ".join(row[0] for row in db.execute(text(f"EXPLAIN {sql}")))
        # on tiny tables PostgreSQL may pick either index that starts with prosecutor_id
        assert "Seq Scan" not in plan, plan
        assert re.search(
            r"Index (Only )?Scan using ix_case_assignments_prosecutor_\w+ on case_assignments", plan
        ), plan
        assert re.search(r"Index Cond: \(+prosecutor_id = ", plan), plan


def test_bulk_reassignment_is_a_batch_and_keeps_the_audit_chain(d, client):
    """Moving 3x more cases costs no more statements (a batch, not a loop); every case still has
    its own timeline entry, notification and audit entry, and the audit chain verifies."""
    db, u = d.db, d.users
    counts = {}
    for n, who in ((20, "p2"), (60, "p3")):
        extra = [file_case(db, u["clerk"]) for _ in range(n)]
        for c in extra:
            place(db, c, u[who])
        recount(db)
        statements: list[str] = []

        def count(*args: Any, statements: list[str] = statements) -> None:
            statements.append(args[2])

        engine = db.get_bind().engine
        sa_event.listen(engine, "before_cursor_execute", count)
        try:
            r = client.post(
                REASSIGN,
                json={"from_prosecutor_id": u[who].id, "to_prosecutor_ids": [u["p1"].id], "reason": "batch"},
                headers=d.h("dp"),
            )
        finally:
            sa_event.remove(engine, "before_cursor_execute", count)
        assert r.status_code == 201, r.text
        moved = r.json()["moved"]
        assert {m["case_id"] for m in moved} >= {c.id for c in extra}
        counts[n] = len(statements)
        ids = [c.id for c in extra]
        per_case = db.execute(
            select(CaseEvent.case_id, func.count())
            .where(CaseEvent.case_id.in_(ids), CaseEvent.kind == "assignment")
            .group_by(CaseEvent.case_id)
        ).all()
        assert sorted(per_case) == [(cid, 1) for cid in sorted(ids)]
        entries = db.scalars(
            select(AuditEntry.entity_id).where(
                AuditEntry.action == "assign", AuditEntry.entity_id.in_([str(i) for i in ids])
            )
        ).all()
        assert sorted(entries) == sorted(str(i) for i in ids)
        told = db.scalar(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == u["p1"].id, Notification.case_id.in_(ids))
        )
        assert told == len(ids)
    # SQLite cannot batch the ORM's inserts of the timeline entries and notifications (it must
    # learn each id in order): one each per case there, batched on PostgreSQL; nothing else grows
    grows = counts[60] - counts[20]
    per_row = 0 if db.get_bind().dialect.name == "postgresql" else 2 * (60 - 20)
    assert grows <= per_row + 5, counts
    checked, broken = audit_service.verify(db)
    assert broken is None and checked == db.scalar(select(func.count()).select_from(AuditEntry))
    assert_exact(db)


def test_record_many_chains_like_record(db):
    origin = Origin(actor_id=None, ip="10.0.0.1", request_id="r-1")
    audit_service.record(db, origin=origin, action="create", entity_type="x", entity_id=1)
    many = audit_service.record_many(
        db,
        origin=origin,
        entries=[audit_service.Pending("update", "x", i, {"n": i}) for i in range(2, 7)],
    )
    audit_service.record(db, origin=origin, action="delete", entity_type="x", entity_id=7)
    assert [e.id for e in many] == list(range(many[0].id, many[0].id + 5))
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(many))
    checked, broken = audit_service.verify(db)
    assert broken is None and checked >= 7
    assert audit_service.record_many(db, origin=origin, entries=[]) == []
    with pytest.raises(ValueError):
        audit_service.record_many(db, origin=origin, entries=[audit_service.Pending("bake", "x")])


def test_concurrent_writers_lose_no_update(fresh_database_url: str, use_database: Any) -> None:
    """Real threads, each its own committed transaction, change one prosecutor's places at once
    (single assignments onto them, a bulk reassignment away from them, a transition of one of their
    cases): the tables end equal to a fresh count. Each recount runs under the writers' lock, so
    it starts after every earlier writer committed (PostgreSQL), or alone (SQLite)."""
    use_database(fresh_database_url)
    migrate.upgrade(fresh_database_url)
    with unit_of_work() as s:
        load_reference(s)
    with unit_of_work() as s:
        district = s.scalar(select(DistrictRow.id).where(DistrictRow.code == "KHI-S"))
        people = {
            name: users_service.create_user(
                s,
                data=UserCreate(
                    username=f"{name}-user",
                    password="Correct-Horse-Battery-9",
                    full_name=name.upper(),
                    roles=[role],
                    district_id=district,
                ),
                origin=Origin(),
            )
            for name, role in (
                ("dp", "district_prosecutor"),
                ("p", "prosecutor"),
                ("q", "prosecutor"),
                ("r", "prosecutor"),
            )
        }
        dp = principal_of(people["dp"])
        fresh = [file_case(s, people["dp"]).id for _ in range(THREADS)]
        held = [file_case(s, people["dp"]).id for _ in range(4)]
        for case_id in held:
            cases_service.assign(
                s, principal=dp, case_id=case_id, prosecutor_id=people["p"].id, role="lead", reason="setup",
                origin=Origin(),
            )  # fmt: skip
        ids = {name: u.id for name, u in people.items()}
    errors: list[BaseException] = []
    start = threading.Barrier(THREADS + 2)

    def run(job: Any) -> None:
        try:
            start.wait(timeout=60)
            with unit_of_work() as s:
                job(s)
        except BaseException as exc:
            errors.append(exc)

    def assign_one(case_id: int) -> Any:
        def job(s: Any) -> None:
            cases_service.assign(
                s, principal=dp, case_id=case_id, prosecutor_id=ids["p"], role="lead", reason="new",
                origin=Origin(),
            )  # fmt: skip

        return job

    def move_away(s: Any) -> None:
        counsel.reassign(
            s,
            principal=dp,
            data=ReassignmentIn(
                from_prosecutor_id=ids["p"],
                to_prosecutor_ids=[ids["q"], ids["r"]],
                case_ids=held[:3],
                reason="x",
            ),
            origin=Origin(),
        )

    def close_one(s: Any) -> None:
        for to in ("scrutiny", "closed"):
            cases_service.transition(
                s,
                principal=dp,
                case_id=held[3],
                data=TransitionIn(to=to, reason="cancelled"),
                origin=Origin(),
            )

    jobs = [assign_one(c) for c in fresh] + [move_away, close_one]
    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with unit_of_work() as s:
        assert_exact(s)
        got, _totals = table_rows(s)
        assert got[(district, ids["p"])][:2] == (
            THREADS,
            THREADS,
        )  # the fresh ones; held ones moved or closed
        assert sum(got[(district, ids[k])][1] for k in ("q", "r")) == 3


def test_workload_rebuild_command(cmms: Any) -> None:  # noqa: F811  (the imported fixture)
    """The demo, filed and moved through the services, leaves the tables exact; `cmms workload
    rebuild` puts them right after they were damaged (or the weights changed)."""
    assert cmms("migrate")[0] == 0
    code, out = cmms("seed-demo")
    assert code == 0, out
    with unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(CaseAssignment)), "the demo assigns cases"
        assert_exact(s)
        s.execute(update(ProsecutorLoad).values(open_cases=ProsecutorLoad.open_cases + 5))
        s.execute(
            delete(DistrictLoad).where(
                DistrictLoad.district_id == s.scalar(select(func.min(DistrictLoad.district_id)))
            )
        )
    code, out = cmms("workload", "rebuild")
    assert code == 0, out
    with unit_of_work() as s:
        rows, totals = table_rows(s)
        assert f"workload rebuilt: {len(rows)} prosecutor rows, {len(totals)} districts" in out
        assert "ordinary 1" in out
        assert_exact(s)
