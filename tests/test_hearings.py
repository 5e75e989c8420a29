"""Hearings: scheduling with clash warnings (overlap edges), the role matrix, lists and filters,
If-Match, outcomes (adjournments, next dates, Sundays and holidays, witnesses examined), the case's
next hearing, and the cause list as JSON and PDF."""

from __future__ import annotations

import io
import itertools
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select, text

from api.audit.models import AuditEntry
from api.cases.models import Case, CaseAssignment, CaseEvent, CaseParty
from api.config import get_settings
from api.db import utcnow
from api.hearings import service as hearing_service
from api.hearings.models import Hearing
from api.reference.models import AdjournmentReason, Court, District, Holiday
from tests.test_cases_support import (  # noqa: F401
    World,
    assign,
    court_id,
    file_case,
    principal_of,
    world_fixture,
)

ZONE = ZoneInfo(get_settings().timezone)
_days = itertools.count(3)


def at_local(day: date, hh: int, mm: int = 0) -> str:
    return datetime.combine(day, time(hh, mm), ZONE).isoformat()


def court_day(db: Any, after: date, *, province: str = "Sindh") -> date:
    """The first day after ``after`` that is neither a Sunday nor a court holiday."""
    day = after + timedelta(days=1)
    while day.weekday() == 6 or db.scalar(
        select(Holiday.id).where(Holiday.date == day, Holiday.scope.in_(("federal", province)))
    ):
        day += timedelta(days=1)
    return day


def fresh_day(db: Any) -> date:
    """A distinct future court day per call (so hearings of one test never meet another's)."""
    return court_day(db, date.today() + timedelta(days=next(_days) * 3))


def other_court(db: Any, district: str, not_id: int) -> int:
    return db.scalar(
        select(Court.id)
        .join(District, District.id == Court.district_id)
        .where(District.code == district, Court.id != not_id)
        .order_by(Court.id)
        .limit(1)
    )


@pytest.fixture
def w(world: World, make_user, login, db) -> World:
    """The cases world plus a prosecutor of KHI-S (not on any team) and courts."""
    pp = make_user("prosecutor", district="KHI-S")
    pp_east = make_user("prosecutor", district="KHI-E")
    world.users["pp_district"] = pp
    world.users["pp_east"] = pp_east
    world.headers["pp_district"] = login(pp.username)
    world.extra["court"] = court_id(db, "KHI-S")
    world.extra["court_east"] = court_id(db, "KHI-E")
    return world


def schedule(client, w: World, *, who: str = "clerk", case: str = "own", **body: Any) -> Any:
    payload = {
        "case_id": w.cases[case].id,
        "court_id": w.extra["court"] if case != "other" else w.extra["court_east"],
        "starts_at": at_local(fresh_day_cache(w), 10),
        "purpose": "prosecution_evidence",
        **body,
    }
    return client.post("/api/v1/hearings", json=payload, headers=w.headers[who])


def fresh_day_cache(w: World) -> date:
    return w.extra.setdefault("day", date.today() + timedelta(days=10))


def ok(r: Any, status: int = 200) -> dict[str, Any]:
    assert r.status_code == status, r.text
    return r.json()


# --- create, clashes -------------------------------------------------------------------------


def test_create_defaults_to_lead_and_records_everything(client, db, w):
    day = fresh_day(db)
    r = schedule(
        client, w, starts_at=at_local(day, 10, 30), judge="Mr. Justice A. Rauf", notes="bring the FSL report"
    )
    body = ok(r, 201)
    case = w.cases["own"]
    assert body["prosecutor_id"] == w.users["prosecutor_assigned"].id  # the lead
    assert body["prosecutor_name"] == w.users["prosecutor_assigned"].full_name
    assert body["case_number"] == case.number and body["case_title"] == case.title
    assert body["district_id"] == case.district_id
    assert body["conflicts"] == [] and body["next_hearing"] is None
    assert body["duration_minutes"] == get_settings().hearing_minutes
    starts = datetime.fromisoformat(body["starts_at"])
    assert starts == datetime.combine(day, time(10, 30), ZONE)
    assert datetime.fromisoformat(body["ends_at"]) - starts == timedelta(
        minutes=get_settings().hearing_minutes
    )
    assert r.headers["ETag"] == f'"hearing-{body["id"]}-v1"'
    assert r.headers["Location"] == f"/api/v1/hearings/{body['id']}"

    db.expire_all()
    assert db.get(Case, case.id).next_hearing_at == starts
    event = db.scalar(
        select(CaseEvent).where(CaseEvent.case_id == case.id, CaseEvent.kind == "hearing_scheduled")
    )
    assert event.details["hearing_id"] == body["id"]
    assert event.details["prosecutor_id"] == body["prosecutor_id"]
    assert datetime.fromisoformat(event.details["starts_at"]) == starts
    court_name = db.get(Court, w.extra["court"]).name
    assert event.summary == f"Hearing on {day.day} {day:%b %Y} 10:30 at {court_name} for prosecution evidence"
    entry = db.scalar(
        select(AuditEntry).where(AuditEntry.entity_type == "hearing", AuditEntry.entity_id == str(body["id"]))
    )
    assert entry.action == "create" and entry.actor_id == w.users["clerk"].id

    got = client.get(f"/api/v1/hearings/{body['id']}", headers=w.headers["monitor"])
    assert ok(got)["judge"] == "Mr. Justice A. Rauf" and got.headers["ETag"] == r.headers["ETag"]


def test_clash_edges_back_to_back_is_not_a_clash(client, db, w):
    day = fresh_day(db)
    pp = w.users["prosecutor_assigned"]
    first = ok(schedule(client, w, starts_at=at_local(day, 10)), 201)  # 10:00-11:00
    long = ok(schedule(client, w, starts_at=at_local(day, 14), duration_minutes=120), 201)  # 14:00-16:00

    def clashes(hh: int, mm: int = 0, **extra: Any) -> list[int]:
        body = {
            "case_id": w.cases["own"].id,
            "court_id": w.extra["court"],
            "starts_at": at_local(day, hh, mm),
            "purpose": "bail",
            **extra,
        }
        r = client.post("/api/v1/hearings/check", json=body, headers=w.headers["clerk"])
        return [c["hearing_id"] for c in ok(r)["conflicts"]]

    before = db.scalar(select(func.count()).select_from(Hearing))
    assert clashes(11) == []  # starts when the first ends
    assert clashes(9) == []  # ends when the first starts
    assert clashes(9, 1) == [first["id"]]
    assert clashes(10, 59) == [first["id"]]
    assert clashes(9, 30, duration_minutes=30) == []
    assert clashes(9, 30, duration_minutes=31) == [first["id"]]
    assert clashes(15, 30) == [long["id"]]  # inside the two hours
    assert clashes(16) == []
    assert clashes(10, 30, duration_minutes=300) == [first["id"], long["id"]]
    assert clashes(10, 30, prosecutor_id=None) == []  # nobody attending: nothing to clash
    assert clashes(10, 30, hearing_id=first["id"]) == []  # editing the first: not its own clash
    assert db.scalar(select(func.count()).select_from(Hearing)) == before  # check writes nothing

    # saving a clashing hearing works and names the clash
    r = schedule(client, w, starts_at=at_local(day, 10, 30), purpose="bail")
    body = ok(r, 201)
    (conflict,) = body["conflicts"]
    assert conflict == {
        "hearing_id": first["id"],
        "case_id": w.cases["own"].id,
        "case_number": w.cases["own"].number,
        "court_id": w.extra["court"],
        "court_name": db.get(Court, w.extra["court"]).name,
        "starts_at": conflict["starts_at"],
        "ends_at": conflict["ends_at"],
    }
    assert datetime.fromisoformat(conflict["starts_at"]) == datetime.combine(day, time(10), ZONE)
    assert datetime.fromisoformat(conflict["ends_at"]) == datetime.combine(day, time(11), ZONE)
    assert body["prosecutor_id"] == pp.id


def test_clash_on_a_case_the_caller_cannot_read_is_shown_without_naming_it(client, db, w):
    day = fresh_day(db)
    pp = w.users["prosecutor_assigned"]
    # the same prosecutor also leads the other district's case; only its own clerk sees that case
    assign(db, w.cases["other"], pp)
    ok(schedule(client, w, who="clerk_other", case="other", starts_at=at_local(day, 10)), 201)
    body = ok(schedule(client, w, starts_at=at_local(day, 10, 15)), 201)
    (conflict,) = body["conflicts"]
    assert conflict["case_id"] is None and conflict["case_number"] is None
    assert conflict["court_id"] == w.extra["court_east"]
    # the prosecutor general reads both: named
    check = {
        "case_id": w.cases["own"].id,
        "court_id": w.extra["court"],
        "starts_at": at_local(day, 10, 15),
        "purpose": "bail",
    }
    r = client.post("/api/v1/hearings/check", json=check, headers=w.headers["prosecutor_general"])
    assert {c["case_number"] for c in ok(r)["conflicts"]} == {w.cases["other"].number, w.cases["own"].number}


def test_prosecutor_must_be_of_the_team_or_the_district(client, db, w):
    day = fresh_day(db)
    starts = at_local(day, 11)
    # a prosecutor of the case's district who is not on the team: allowed
    body = ok(schedule(client, w, starts_at=starts, prosecutor_id=w.users["pp_district"].id), 201)
    assert body["prosecutor_id"] == w.users["pp_district"].id
    # the district prosecutor of the district: allowed
    ok(schedule(client, w, starts_at=starts, prosecutor_id=w.users["district_prosecutor"].id), 201)
    # nobody attending: allowed, explicitly
    assert ok(schedule(client, w, starts_at=starts, prosecutor_id=None), 201)["prosecutor_id"] is None
    for bad in ("prosecutor_unassigned", "pp_east", "clerk", "auditor"):
        r = schedule(client, w, starts_at=starts, prosecutor_id=w.users[bad].id)
        assert r.status_code == 422, bad
        assert r.json()["errors"][0]["loc"] == ["body", "prosecutor_id"]
    # a team member from anywhere is allowed; a deactivated one is not
    assign(db, w.cases["own"], w.users["pp_east"], role="associate")
    ok(schedule(client, w, starts_at=starts, prosecutor_id=w.users["pp_east"].id), 201)
    w.users["pp_east"].is_active = False
    db.flush()
    assert schedule(client, w, starts_at=starts, prosecutor_id=w.users["pp_east"].id).status_code == 422


def test_bad_input_is_a_422_and_changes_nothing(client, db, w):
    day = fresh_day(db)
    before = db.scalar(select(func.count()).select_from(Hearing))
    base = {
        "case_id": w.cases["own"].id,
        "court_id": w.extra["court"],
        "starts_at": at_local(day, 10),
        "purpose": "charge",
    }
    cases = [
        ({"starts_at": f"{day.isoformat()}T10:00:00"}, ["body", "starts_at"]),  # naive
        ({"starts_at": "next tuesday"}, ["body", "starts_at"]),
        ({"starts_at": at_local(date.today() + timedelta(days=365 * 7), 10)}, ["body", "starts_at"]),
        ({"purpose": "tea"}, ["body", "purpose"]),
        ({"court_id": 2_000_000_000}, ["body", "court_id"]),
        ({"duration_minutes": 0}, ["body", "duration_minutes"]),
        ({"duration_minutes": 24 * 60 + 1}, ["body", "duration_minutes"]),
        ({"outcome": "held"}, ["body", "outcome"]),  # not a creation field
        ({"id": 5}, ["body", "id"]),
    ]
    for change, loc in cases:
        for path in ("/api/v1/hearings", "/api/v1/hearings/check"):
            r = client.post(path, json={**base, **change}, headers=w.headers["clerk"])
            assert r.status_code == 422, (change, r.text)
            assert r.headers["content-type"].startswith("application/problem+json")
            assert any(e["loc"] == loc for e in r.json()["errors"]), (change, r.json())
    missing = {k: v for k, v in base.items() if k != "purpose"}
    assert client.post("/api/v1/hearings", json=missing, headers=w.headers["clerk"]).status_code == 422
    assert db.scalar(select(func.count()).select_from(Hearing)) == before


def test_only_a_court_that_still_sits_takes_hearings(client, db, w):
    """Abolished and historical courts refuse hearings; a court whose status is only to be
    confirmed (most of Karachi's ATCs in the data) takes them."""
    day = fresh_day(db)
    by_status = {c.status: c.id for c in db.scalars(select(Court).order_by(Court.id))}
    for status, expected in (("abolished-2025", 422), ("historical-2014", 422), ("status-to-confirm", 201)):
        r = schedule(client, w, court_id=by_status[status], starts_at=at_local(day, 11))
        assert r.status_code == expected, (status, r.text)
    assert {c.status for c in db.scalars(select(Court).where(Court.sitting))}.isdisjoint(
        {"abolished-2025", "historical-2014", "historical-2012"}
    )


def test_closed_case_refuses_a_hearing(client, db, w):
    from tests.test_cases_support import set_stage

    set_stage(db, w.cases["own"], "closed")
    r = schedule(client, w, starts_at=at_local(fresh_day(db), 10))
    assert r.status_code == 409


# --- roles -----------------------------------------------------------------------------------

OK, NO, HID = "ok", 403, 404
#: schedule a hearing (hearings.write) on own / other district / restricted
WRITE = {
    "prosecutor_general": (OK, OK, OK),
    "district_prosecutor": (OK, HID, OK),
    "prosecutor_assigned": (OK, HID, HID),
    "prosecutor_unassigned": (HID, HID, HID),
    "clerk": (OK, HID, HID),
    "clerk_other": (HID, OK, HID),
    "admin": (NO, NO, NO),
    "auditor": (NO, NO, NO),
    "monitor": (NO, NO, NO),
    "trainer": (NO, NO, NO),
}
READ = {**WRITE, "auditor": (OK, OK, OK), "monitor": (OK, OK, HID)}
KINDS = ("own", "other", "restricted")


def test_role_matrix(client, db, w):
    day = fresh_day(db)
    made: dict[str, dict[str, Any]] = {}
    for kind, who in (("own", "clerk"), ("other", "clerk_other"), ("restricted", "district_prosecutor")):
        made[kind] = ok(
            schedule(client, w, who=who, case=kind, starts_at=at_local(day, 9), prosecutor_id=None), 201
        )
    for role, expected in WRITE.items():
        for kind, want in zip(KINDS, expected, strict=True):
            court = w.extra["court_east"] if kind == "other" else w.extra["court"]
            body = {
                "case_id": w.cases[kind].id,
                "court_id": court,
                "starts_at": at_local(day, 12),
                "purpose": "bail",
                "prosecutor_id": None,
            }
            for path, status in (("/api/v1/hearings", 201), ("/api/v1/hearings/check", 200)):
                r = client.post(path, json=body, headers=w.headers[role])
                assert r.status_code == (status if want == OK else want), (role, kind, path, r.text)
            hid = made[kind]["id"]
            etag = f'"hearing-{hid}-v{made[kind]["version"]}"'
            patch = client.patch(
                f"/api/v1/hearings/{hid}",
                json={"notes": f"by {role}"},
                headers={**w.headers[role], "If-Match": etag},
            )
            if want == OK:
                assert patch.status_code == 200, (role, kind, patch.text)
                made[kind] = patch.json()  # the next role edits the new version
            else:
                assert patch.status_code == want, (role, kind, patch.text)
    for role, expected in READ.items():
        for kind, want in zip(KINDS, expected, strict=True):
            r = client.get(f"/api/v1/hearings/{made[kind]['id']}", headers=w.headers[role])
            assert r.status_code == (200 if want == OK else want), (role, kind)
            r = client.get("/api/v1/hearings", params={"case_id": w.cases[kind].id}, headers=w.headers[role])
            if want == NO:
                assert r.status_code == 403, (role, kind)
            else:
                assert r.status_code == 200
                assert (r.json()["total"] > 0) == (want == OK), (role, kind)


def test_prosecutor_taken_off_the_case_still_sees_its_hearings(client, db, w):
    body = ok(schedule(client, w, starts_at=at_local(fresh_day(db), 10)), 201)
    db.execute(
        CaseAssignment.__table__.update()
        .where(CaseAssignment.case_id == w.cases["own"].id)
        .values(ended_at=utcnow())
    )
    db.flush()
    assert (
        client.get(f"/api/v1/hearings/{body['id']}", headers=w.headers["prosecutor_assigned"]).status_code
        == 200
    )


# --- lists -----------------------------------------------------------------------------------


def test_list_filters_sort_and_scope(client, db, w):
    day = fresh_day(db)
    next_day = court_day(db, day)
    pp = w.users["prosecutor_assigned"]
    a = ok(schedule(client, w, starts_at=at_local(day, 10), purpose="charge"), 201)
    b = ok(schedule(client, w, starts_at=at_local(day, 12), purpose="bail", prosecutor_id=None), 201)
    c = ok(schedule(client, w, starts_at=at_local(next_day, 9), purpose="charge"), 201)
    other_court_id = other_court(db, "KHI-S", w.extra["court"])
    d = ok(schedule(client, w, starts_at=at_local(next_day, 11), court_id=other_court_id), 201)
    e = ok(
        schedule(client, w, who="clerk_other", case="other", starts_at=at_local(day, 10), prosecutor_id=None),
        201,
    )
    r = ok(
        schedule(
            client,
            w,
            who="district_prosecutor",
            case="restricted",
            starts_at=at_local(day, 10),
            prosecutor_id=w.users["district_prosecutor"].id,
        ),
        201,
    )

    def ids(who: str = "district_prosecutor", **params: Any) -> list[int]:
        resp = client.get("/api/v1/hearings", params={"limit": 200, **params}, headers=w.headers[who])
        assert resp.status_code == 200, resp.text
        return [h["id"] for h in resp.json()["items"]]

    window = {"from": day.isoformat(), "to": next_day.isoformat()}
    assert ids(**window) == [a["id"], r["id"], b["id"], c["id"], d["id"]]
    assert ids(**window, sort="-starts_at") == [d["id"], c["id"], b["id"], a["id"], r["id"]]  # ties by id
    assert ids("clerk", **window) == [a["id"], b["id"], c["id"], d["id"]]  # not the restricted one
    assert ids("clerk_other", **window) == [e["id"]]
    assert ids("prosecutor_general", **window) == [a["id"], e["id"], r["id"], b["id"], c["id"], d["id"]]
    assert ids("monitor", **window) == [a["id"], e["id"], b["id"], c["id"], d["id"]]
    assert ids("prosecutor_assigned", **window) == [a["id"], b["id"], c["id"], d["id"]]
    assert ids("prosecutor_unassigned", **window) == []
    assert ids(**window, prosecutor_id=pp.id) == [a["id"], c["id"], d["id"]]
    assert ids("prosecutor_assigned", **window, prosecutor_id="me") == [a["id"], c["id"], d["id"]]
    assert ids(**window, court_id=other_court_id) == [d["id"]]
    assert ids(**window, purpose="charge") == [a["id"], c["id"]]
    assert ids(**window, unattended="true") == [b["id"]]
    assert ids(**window, unattended="false") == [a["id"], r["id"], c["id"], d["id"]]
    assert ids(**window, pending="true") == [a["id"], r["id"], b["id"], c["id"], d["id"]]
    assert ids(**window, case_id=w.cases["restricted"].id) == [r["id"]]
    assert ids("prosecutor_general", **window, district_id=w.cases["other"].district_id) == [e["id"]]
    assert ids("district_prosecutor", **window, district_id=w.cases["other"].district_id) == []
    # bounds: a date includes that whole local day; a date-time is exact
    assert ids(**{"from": day.isoformat(), "to": day.isoformat()}) == [a["id"], r["id"], b["id"]]
    assert ids(**{"from": at_local(day, 11), "to": at_local(next_day, 11)}) == [b["id"], c["id"]]
    z = datetime.combine(day, time(12), ZONE).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert ids(**{"from": z, "to": next_day.isoformat()}) == [b["id"], c["id"], d["id"]]
    row = client.get(
        "/api/v1/hearings", params={"case_id": w.cases["own"].id, **window}, headers=w.headers["clerk"]
    )
    first = ok(row)["items"][0]
    assert first["court_name"] == db.get(Court, w.extra["court"]).name
    assert first["prosecutor_name"] == pp.full_name and first["case_number"] == w.cases["own"].number
    assert ok(row)["total"] == 4 and ok(row)["total_capped"] is False
    nobody = client.get(
        "/api/v1/hearings", params={"prosecutor_id": "9999999999"}, headers=w.headers["clerk"]
    )
    assert ok(nobody)["items"] == [] and nobody.json()["total"] == 0  # no user has that id
    for bad in (
        {"sort": "court"},
        {"from": f"{day.isoformat()}T10:00:00"},  # naive
        {"to": "tomorrow"},
        {"prosecutor_id": "you"},
        {"prosecutor_id": "99999999999"},
        {"outcome": "won"},
        {"attributed_to": "martians"},
        {"limit": 201},
    ):
        resp = client.get("/api/v1/hearings", params=bad, headers=w.headers["clerk"])
        assert resp.status_code == 422, bad
        assert resp.headers["content-type"].startswith("application/problem+json")


def test_days_at_the_calendars_edges_are_ranges_not_errors(client, db, w):
    """Local midnight of 0001-01-01 in Karachi has no UTC instant, and 9999-12-31 no next day:
    both were a 500 (found by schemathesis); they bound the range at the first or last instant."""
    scheduled = ok(schedule(client, w, starts_at=at_local(fresh_day(db), 10)), 201)
    h = w.headers["district_prosecutor"]
    edges = {"from": "0001-01-01", "to": "9999-12-31"}
    r = client.get("/api/v1/hearings", params={**edges, "limit": 200}, headers=h)
    assert scheduled["id"] in [x["id"] for x in ok(r)["items"]]
    for day in edges.values():
        r = client.get(f"/api/v1/courts/{w.extra['court']}/cause-list", params={"date": day}, headers=h)
        assert ok(r)["items"] == [] and r.json()["date"] == day
    assert hearing_service.day_bounds(date.max)[1] == datetime.max.replace(tzinfo=UTC)


def test_the_list_counts_up_to_the_cap(client, db, w, monkeypatch):
    """A district's month of hearings runs to tens of thousands at scale: the total stops at
    DEFAULT_COUNT_CAP (a lower bound, ``total_capped``), the page is whole."""
    day = fresh_day(db)
    made = [ok(schedule(client, w, starts_at=at_local(day, 9 + i)), 201)["id"] for i in range(3)]
    monkeypatch.setattr(hearing_service, "DEFAULT_COUNT_CAP", 2)
    hearing_service._hearings_shape.cache_clear()  # the cap is part of the list's kept statements
    resp = client.get(
        "/api/v1/hearings",
        params={"from": day.isoformat(), "to": day.isoformat()},
        headers=w.headers["district_prosecutor"],
    )
    body = ok(resp)
    assert (body["total"], body["total_capped"]) == (2, True)
    assert [h["id"] for h in body["items"]] == made


# --- updates ---------------------------------------------------------------------------------


def test_patch_needs_if_match_and_refuses_a_stale_one(client, db, w):
    body = ok(schedule(client, w, starts_at=at_local(fresh_day(db), 10)), 201)
    url = f"/api/v1/hearings/{body['id']}"
    headers = w.headers["clerk"]
    assert client.patch(url, json={"judge": "A"}, headers=headers).status_code == 428
    r = client.patch(url, json={"judge": "A"}, headers={**headers, "If-Match": '"hearing-1-v9"'})
    assert r.status_code == 412
    r = client.patch(url, json={"judge": "A"}, headers={**headers, "If-Match": f'"hearing-{body["id"]}-v1"'})
    assert ok(r)["judge"] == "A" and r.headers["ETag"] == f'"hearing-{body["id"]}-v2"'
    stale = client.patch(
        url, json={"judge": "B"}, headers={**headers, "If-Match": f'"hearing-{body["id"]}-v1"'}
    )
    assert stale.status_code == 412
    assert ok(client.get(url, headers=headers))["judge"] == "A"
    for bad in (
        {"case_id": 1},
        {"starts_at": None},
        {"outcome": None},
        {"next_time": "10:00"},
        {"version": 3},
    ):
        resp = client.patch(url, json=bad, headers={**headers, "If-Match": r.headers["ETag"]})
        assert resp.status_code == 422, bad


def test_reschedule_rechecks_clashes_and_keeps_the_next_hearing(client, db, w):
    day = fresh_day(db)
    later = court_day(db, day)
    first = ok(schedule(client, w, starts_at=at_local(day, 10)), 201)
    second = ok(schedule(client, w, starts_at=at_local(later, 10)), 201)
    case_id = w.cases["own"].id
    db.expire_all()
    assert db.get(Case, case_id).next_hearing_at == datetime.combine(day, time(10), ZONE)
    case_version = db.get(Case, case_id).version
    # move the second onto the first: the answer warns
    r = client.patch(
        f"/api/v1/hearings/{second['id']}",
        json={"starts_at": at_local(day, 10, 30), "purpose": "arguments"},
        headers={**w.headers["clerk"], "If-Match": f'"hearing-{second["id"]}-v1"'},
    )
    body = ok(r)
    assert [c["hearing_id"] for c in body["conflicts"]] == [first["id"]]
    event = db.scalar(
        select(CaseEvent).where(CaseEvent.case_id == case_id, CaseEvent.kind == "hearing_changed")
    )
    assert event.details["hearing_id"] == second["id"]
    assert set(event.details["changes"]) == {"starts_at", "purpose"}
    assert datetime.fromisoformat(event.details["starts_at"]) == datetime.combine(day, time(10, 30), ZONE)
    assert "moved to" in event.summary and "now for arguments" in event.summary
    # move the first later than the second: the case's next hearing follows; its version does not move
    r = client.patch(
        f"/api/v1/hearings/{first['id']}",
        json={"starts_at": at_local(later, 15), "prosecutor_id": w.users["pp_district"].id},
        headers={**w.headers["clerk"], "If-Match": f'"hearing-{first["id"]}-v1"'},
    )
    assert ok(r)["prosecutor_id"] == w.users["pp_district"].id
    db.expire_all()
    case = db.get(Case, case_id)
    assert case.next_hearing_at == datetime.combine(day, time(10, 30), ZONE)
    assert case.version == case_version
    changed = db.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case_id, CaseEvent.kind == "hearing_changed")
        .order_by(CaseEvent.id)
    ).all()[-1]
    assert changed.details["previous_prosecutor_id"] == w.users["prosecutor_assigned"].id
    assert changed.details["prosecutor_id"] == w.users["pp_district"].id
    # an unchanged PATCH changes nothing (no version, no event)
    r = client.patch(
        f"/api/v1/hearings/{first['id']}",
        json={"purpose": first["purpose"]},
        headers={**w.headers["clerk"], "If-Match": f'"hearing-{first["id"]}-v2"'},
    )
    assert r.headers["ETag"] == f'"hearing-{first["id"]}-v2"'


def _past_hearing(client, db, w: World, *, days_ago: int = 2, **extra: Any) -> dict[str, Any]:
    day = date.today() - timedelta(days=days_ago)
    return ok(schedule(client, w, starts_at=at_local(day, 10), **extra), 201)


def _patch(
    client, w: World, hearing: dict[str, Any], body: dict[str, Any], who: str = "prosecutor_assigned"
) -> Any:
    current = client.get(f"/api/v1/hearings/{hearing['id']}", headers=w.headers["prosecutor_general"])
    return client.patch(
        f"/api/v1/hearings/{hearing['id']}",
        json=body,
        headers={**w.headers[who], "If-Match": current.headers["ETag"]},
    )


def test_outcome_rules(client, db, w):
    future = ok(schedule(client, w, starts_at=at_local(fresh_day(db), 10)), 201)
    r = _patch(client, w, future, {"outcome": "held"})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "outcome"]
    assert _patch(client, w, future, {"witnesses_examined": []}).status_code == 422
    past = _past_hearing(client, db, w)
    for bad, loc in (
        ({"outcome": "adjourned"}, ["body", "adjournment"]),
        ({"outcome": "adjourned", "adjournment": {"reason": "NAP_TIME"}}, ["body", "adjournment", "reason"]),
        ({"outcome": "held", "adjournment": {"reason": "WITNESS_ABSENT"}}, ["body", "adjournment"]),
        (
            {"outcome": "adjourned", "adjournment": {"reason": "WITNESS_ABSENT", "attributed_to": "moon"}},
            None,
        ),
        ({"next_date": court_day(db, date.today()).isoformat()}, ["body", "outcome"]),  # no outcome yet
        ({"outcome": "held", "next_time": "10:00"}, None),  # a time without a date
        (
            {"outcome": "held", "next_date": court_day(db, date.today()).isoformat(), "next_time": "25:00"},
            None,
        ),
    ):
        resp = _patch(client, w, past, bad)
        assert resp.status_code == 422, (bad, resp.text)
        if loc:
            assert resp.json()["errors"][0]["loc"] == loc, bad
    # a moved outcome-less hearing into the future is fine; one with an outcome may not move ahead
    held = _patch(client, w, past, {"outcome": "held"})
    assert (
        ok(held)["outcome"] == "held"
        and held.json()["outcome_recorded_by"] == w.users["prosecutor_assigned"].id
    )
    r = _patch(client, w, past, {"starts_at": at_local(fresh_day(db), 10)})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "starts_at"]


def test_adjournment_with_next_date_creates_the_next_hearing(client, db, w):
    past = _past_hearing(
        client, db, w, days_ago=3, judge="Judge ATC-I", duration_minutes=90, purpose="prosecution_evidence"
    )
    reason = db.scalar(select(AdjournmentReason).where(AdjournmentReason.code == "WITNESS_ABSENT"))
    next_day = court_day(db, date.today() + timedelta(days=4))
    r = _patch(
        client,
        w,
        past,
        {
            "outcome": "adjourned",
            "adjournment": {"reason": "WITNESS_ABSENT"},
            "next_date": next_day.isoformat(),
        },
    )
    body = ok(r)
    assert body["outcome"] == "adjourned"
    assert body["adjournment"] == {
        "reason": "WITNESS_ABSENT",
        "label": reason.label,
        "label_ur": reason.label_ur,
        "attributed_to": reason.attributed_to,
    }
    assert reason.label_ur  # the reference list has the Urdu words, so the answer carries them
    nxt = body["next_hearing"]
    assert body["next_hearing_id"] == nxt["id"]
    assert datetime.fromisoformat(nxt["starts_at"]) == datetime.combine(next_day, time(9), ZONE)
    assert nxt["court_id"] == past["court_id"] and nxt["prosecutor_id"] == past["prosecutor_id"]
    assert nxt["purpose"] == "prosecution_evidence" and nxt["judge"] == "Judge ATC-I"
    assert nxt["duration_minutes"] == 90 and nxt["outcome"] is None and nxt["conflicts"] == []
    db.expire_all()
    assert db.get(Case, w.cases["own"].id).next_hearing_at == datetime.combine(next_day, time(9), ZONE)
    kinds = [
        e.kind
        for e in db.scalars(
            select(CaseEvent).where(CaseEvent.case_id == w.cases["own"].id).order_by(CaseEvent.id)
        )
    ]
    assert kinds[-2:] == ["hearing_scheduled", "hearing_outcome"]
    outcome_event = db.scalar(
        select(CaseEvent).where(CaseEvent.case_id == w.cases["own"].id, CaseEvent.kind == "hearing_outcome")
    )
    assert outcome_event.details["hearing_id"] == past["id"]
    assert outcome_event.details["attributed_to"] == reason.attributed_to
    assert outcome_event.details["next_hearing_id"] == nxt["id"]
    assert reason.label in outcome_event.summary and "next date" in outcome_event.summary
    # a second next date: 409; the attribution may be overridden
    again = _patch(client, w, past, {"next_date": court_day(db, next_day).isoformat()})
    assert again.status_code == 409
    r = _patch(client, w, past, {"adjournment": {"reason": "WITNESS_ABSENT", "attributed_to": "police"}})
    assert ok(r)["adjournment"]["attributed_to"] == "police"
    # listed under the side it is attributed to
    listed = client.get(
        "/api/v1/hearings",
        params={"attributed_to": "police", "outcome": "adjourned"},
        headers=w.headers["clerk"],
    )
    assert [h["id"] for h in ok(listed)["items"]] == [past["id"]]
    # changing the outcome drops the adjournment
    r = _patch(client, w, past, {"outcome": "held"})
    assert ok(r)["adjournment"] is None and r.json()["next_hearing_id"] == nxt["id"]


def test_next_date_rules_sundays_holidays_and_time(client, db, w):
    past = _past_hearing(client, db, w, days_ago=1)
    today = date.today()
    sunday = today + timedelta(days=(6 - today.weekday()) or 7)
    holiday_day = court_day(db, today + timedelta(days=20))
    db.add(
        Holiday(date=holiday_day, name="Test Day of Rest", kind="fixed", status="notified", scope="federal")
    )
    sindh_only = court_day(db, holiday_day)
    db.add(Holiday(date=sindh_only, name="Sindh Culture Day", kind="fixed", status="notified", scope="Sindh"))
    elsewhere = court_day(db, sindh_only)
    db.add(Holiday(date=elsewhere, name="Banks only", kind="fixed", status="notified", scope="banks-only"))
    db.flush()
    base = {"outcome": "adjourned", "adjournment": {"reason": "COURT_ON_LEAVE"}}
    for day, words in (
        (sunday, "Sunday"),
        (holiday_day, "Test Day of Rest"),
        (sindh_only, "Sindh Culture Day"),
        (today - timedelta(days=1), "after this hearing"),
    ):
        r = _patch(client, w, past, {**base, "next_date": day.isoformat()})
        assert r.status_code == 422, day
        assert r.json()["errors"][0]["loc"] == ["body", "next_date"]
        assert words in r.json()["detail"]
    r = _patch(
        client,
        w,
        past,
        {**base, "next_date": elsewhere.isoformat(), "next_time": "11:45", "next_purpose": "arguments"},
    )
    nxt = ok(r)["next_hearing"]
    assert datetime.fromisoformat(nxt["starts_at"]) == datetime.combine(elsewhere, time(11, 45), ZONE)
    assert nxt["purpose"] == "arguments"
    assert r.json()["adjournment"]["attributed_to"] == "court"


def test_witnesses_examined_become_examined_on_the_case(client, db, w):
    case = file_case(
        db,
        w.users["clerk"],
        parties=[
            {"role": "witness", "name": "Aslam (eye-witness)"},
            {"role": "witness", "name": "Protected PW", "protected": True},
            {"role": "witness", "name": "Doctor", "witness_status": "examined"},
        ],
    )
    assign(db, case, w.users["prosecutor_assigned"])
    w.cases["witnessed"] = case
    other_party = db.scalar(select(CaseParty.id).where(CaseParty.case_id == w.cases["own"].id).limit(1))
    parties = {p.person.name: p for p in db.scalars(select(CaseParty).where(CaseParty.case_id == case.id))}
    accused = next(p for p in parties.values() if p.role == "accused")
    day = date.today() - timedelta(days=1)
    hearing = ok(schedule(client, w, case="witnessed", starts_at=at_local(day, 10)), 201)
    for bad in ([other_party], [accused.id], [2_000_000_000], [parties["Doctor"].id, parties["Doctor"].id]):
        r = _patch(client, w, hearing, {"outcome": "held", "witnesses_examined": bad})
        assert r.status_code == 422, bad
    case_version = db.get(Case, case.id).version
    wanted = [parties["Aslam (eye-witness)"].id, parties["Protected PW"].id, parties["Doctor"].id]
    r = _patch(client, w, hearing, {"outcome": "held", "witnesses_examined": wanted})
    assert ok(r)["witnesses_examined"] == wanted
    db.expire_all()
    assert {p.witness_status for p in db.scalars(select(CaseParty).where(CaseParty.id.in_(wanted)))} == {
        "examined"
    }
    events = db.scalars(
        select(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.kind == "witness_status")
        .order_by(CaseEvent.id)
    ).all()
    assert [e.details["party_id"] for e in events] == wanted[:2]  # the doctor was already examined
    assert "Aslam" in events[0].summary and "a protected witness" in events[1].summary
    assert "Protected PW" not in events[1].summary
    assert all(e.details["hearing_id"] == hearing["id"] for e in events)
    assert db.get(Case, case.id).version > case_version  # the case's parties changed


def test_cause_list_json_and_pdf(client, db, w):
    day = fresh_day(db)
    court = w.extra["court"]
    early = ok(
        schedule(client, w, starts_at=at_local(day, 0, 30), purpose="bail"), 201
    )  # the day before in UTC
    late = ok(schedule(client, w, starts_at=at_local(day, 14), purpose="charge", prosecutor_id=None), 201)
    mid = ok(
        schedule(client, w, who="district_prosecutor", case="restricted", starts_at=at_local(day, 11)), 201
    )
    ok(schedule(client, w, starts_at=at_local(day - timedelta(days=1), 23, 30)), 201)  # not that day
    ok(schedule(client, w, starts_at=at_local(day, 12), court_id=other_court(db, "KHI-S", court)), 201)
    url = f"/api/v1/courts/{court}/cause-list"
    r = client.get(url, params={"date": day.isoformat()}, headers=w.headers["district_prosecutor"])
    body = ok(r)
    assert body["court_name"] == db.get(Court, court).name and body["date"] == day.isoformat()
    assert [i["hearing_id"] for i in body["items"]] == [early["id"], mid["id"], late["id"]]
    assert [i["serial"] for i in body["items"]] == [1, 2, 3]
    first = body["items"][0]
    case = w.cases["own"]
    assert first["time"] == "00:30" and first["case_number"] == case.number and first["title"] == case.title
    assert first["accused"] == ["Imran Khan"] and first["purpose"] == "bail"
    assert first["fir_number"] == case.fir_number and first["police_station"]
    assert first["prosecutor_name"] == w.users["prosecutor_assigned"].full_name
    assert body["items"][2]["prosecutor_id"] is None
    # the clerk does not see the restricted case; another district's clerk sees nothing
    clerk = ok(client.get(url, params={"date": day.isoformat()}, headers=w.headers["clerk"]))
    assert [i["hearing_id"] for i in clerk["items"]] == [early["id"], late["id"]]
    assert [i["serial"] for i in clerk["items"]] == [1, 2]
    assert (
        ok(client.get(url, params={"date": day.isoformat()}, headers=w.headers["clerk_other"]))["items"] == []
    )
    assert client.get(url, params={"date": day.isoformat()}, headers=w.headers["monitor"]).status_code == 200
    assert client.get(url, params={"date": day.isoformat()}, headers=w.headers["admin"]).status_code == 403
    # PDF by format=pdf or by Accept
    for kwargs in (
        {"params": {"date": day.isoformat(), "format": "pdf"}},
        {"params": {"date": day.isoformat()}, "accept": True},
    ):
        headers = dict(w.headers["district_prosecutor"])
        if kwargs.get("accept"):
            headers["Accept"] = "application/pdf"
        pdf = client.get(url, params=kwargs["params"], headers=headers)
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
        assert "CAUSE LIST" in text and case.number in text and w.cases["restricted"].number in text
    empty = client.get(url, params={"date": "2020-01-06", "format": "pdf"}, headers=w.headers["clerk"])
    assert empty.status_code == 200 and empty.content.startswith(b"%PDF")
    assert (
        client.get(
            "/api/v1/courts/2000000000/cause-list",
            params={"date": day.isoformat()},
            headers=w.headers["clerk"],
        ).status_code
        == 404
    )
    for bad in ({}, {"date": "03-12-2026"}, {"date": day.isoformat(), "format": "docx"}):
        resp = client.get(url, params=bad, headers=w.headers["clerk"])
        assert resp.status_code == 422, bad


def test_next_hearing_at_ignores_past_and_decided_hearings(client, db, w):
    case_id = w.cases["own"].id
    past = _past_hearing(client, db, w, days_ago=5)
    db.expire_all()
    assert db.get(Case, case_id).next_hearing_at is None  # only a past one
    soon = court_day(db, date.today() + timedelta(days=2))
    r = _patch(
        client,
        w,
        past,
        {"outcome": "adjourned", "adjournment": {"reason": "IO_ABSENT"}, "next_date": soon.isoformat()},
    )
    nxt = ok(r)["next_hearing"]
    db.expire_all()
    assert db.get(Case, case_id).next_hearing_at == datetime.fromisoformat(nxt["starts_at"])
    # the next hearing moved earlier: the case follows
    r = _patch(client, w, nxt, {"starts_at": at_local(soon, 8)})
    ok(r)
    db.expire_all()
    assert db.get(Case, case_id).next_hearing_at == datetime.combine(soon, time(8), ZONE)


def test_demo_seed(db, make_user):
    from api.demo import DEMO_USERS
    from api.hearings import demo, service
    from api.users.models import User
    from tests.test_cases_support import principal_of, set_stage

    for username, _name, roles, district in DEMO_USERS:  # the demo's users (not its cases)
        make_user(*roles, district=district, username=username)
    clerk = db.scalar(select(User).where(User.username == "clerk.south"))
    stages = ("filed", "charge", "evidence", "evidence", "defence", "arguments", "intake")
    for i, stage in enumerate(stages):
        case = file_case(db, clerk, with_court=True, parties=[{"role": "witness", "name": f"PW {i}"}])
        set_stage(db, case, stage)
    demo.seed(db)
    trial = db.scalars(select(Case).where(Case.stage.in_(demo.TRIAL_STAGES))).all()
    assert len(trial) == 6
    hearings = db.scalars(select(Hearing).order_by(Hearing.id)).all()
    assert len(hearings) >= 3 * min(len(trial), demo.MAX_CASES)
    sides = {h.adjournment_attributed_to for h in hearings if h.outcome == "adjourned"}
    assert len(sides) >= 4 and "prosecution" in sides
    assert {"held", "adjourned", "not_taken_up"} <= {h.outcome for h in hearings}
    pp = db.scalar(select(User).where(User.username == demo.CLASH_PROSECUTOR))
    tomorrow = [
        h for h in hearings if h.prosecutor_id == pp.id and h.starts_at > utcnow() and h.outcome is None
    ]
    first = min(tomorrow, key=lambda h: h.starts_at)
    clashes = service.find_conflicts(
        db, principal_of(pp), prosecutor_id=pp.id, starts_at=first.starts_at, minutes=60, exclude=[first.id]
    )
    assert len(clashes) == 1
    assert any(h.prosecutor_id is None and h.starts_at.date() == first.starts_at.date() for h in hearings)
    for case in trial:
        db.refresh(case)
        if any(h.case_id == case.id for h in hearings):
            assert case.next_hearing_at is not None and case.next_hearing_at > utcnow()
    demo.seed(db)  # idempotent
    assert db.scalar(select(func.count()).select_from(Hearing)) == len(hearings)


def test_create_is_idempotent_with_a_key(client, db, w):
    body = {
        "case_id": w.cases["own"].id,
        "court_id": w.extra["court"],
        "starts_at": at_local(fresh_day(db), 10),
        "purpose": "bail",
    }
    headers = {**w.headers["clerk"], "Idempotency-Key": "hearing-retry-1"}
    first = client.post("/api/v1/hearings", json=body, headers=headers)
    again = client.post("/api/v1/hearings", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert (
        db.scalar(select(func.count()).select_from(Hearing).where(Hearing.case_id == w.cases["own"].id)) == 1
    )


def test_a_district_month_is_read_in_page_order(db, world: World):
    """A district's hearings of a month come from ix_hearings_district_starts in the list's whole
    order (starts_at, then id), with no sort: many hearings share a start (a court day's 09:00 list)
    and, ordered by start only, PostgreSQL read and sorted all of them before returning a page."""
    own = world.cases["own"]
    day = date.today() + timedelta(days=30)
    nine = datetime.combine(day, time(9), ZONE)
    other_district = db.scalar(select(District.id).where(District.id != own.district_id))
    court = db.scalar(select(Court.id).where(Court.district_id == own.district_id).limit(1))
    rows = [
        {
            "case_id": own.id,
            "district_id": own.district_id if i % 4 else other_district,
            "court_id": court,
            "starts_at": nine + timedelta(days=i // 600),
            "purpose": "prosecution_evidence",
            "witnesses_examined": [],
            "created_at": utcnow(),
            "updated_at": utcnow(),
            "version": 1,
        }
        for i in range(3000)
    ]
    db.execute(Hearing.__table__.insert(), rows)
    db.execute(text("ANALYZE"))
    stmt, given = hearing_service.list_hearings(
        principal_of(world.users["district_prosecutor"]),
        district_id=own.district_id,
        starts_from=nine - timedelta(days=1),
        starts_to=nine + timedelta(days=30),
    )
    page = stmt.order_by(Hearing.starts_at, Hearing.id).limit(50)
    compiled = page.compile(db.get_bind())
    values = compiled.construct_params(given)
    if db.get_bind().dialect.name == "sqlite":
        plan = " | ".join(
            str(row[-1])
            for row in db.connection().exec_driver_sql(
                f"EXPLAIN QUERY PLAN {compiled}", tuple(values[name] for name in compiled.positiontup)
            )
        )
        assert "TEMP B-TREE" not in plan, plan
    else:
        plan = " | ".join(
            str(row[0]) for row in db.connection().exec_driver_sql(f"EXPLAIN {compiled}", values)
        )
        assert "Sort" not in plan, plan
    assert "ix_hearings_district_starts" in plan, plan
