"""Calendar feeds: a stable private URL (only its hash stored), rotation, the feed without a bearer
header as valid RFC 5545 (parsed back, CRLF, folded lines), stable UIDs, and only what the owner
may read now."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select, update

from api.audit.models import AuditEntry
from api.calendar.models import CalendarFeed
from api.cases.models import Case, CaseAssignment
from api.config import get_settings
from api.db import utcnow
from api.hearings.models import Hearing
from api.tasks.models import Task
from tests.test_cases_support import World, assign, court_id, file_case, world_fixture  # noqa: F401

ZONE = ZoneInfo(get_settings().timezone)


def feed_path(client, headers: dict[str, str]) -> str:
    r = client.get("/api/v1/calendar/feed-url", headers=headers)
    assert r.status_code == 200, r.text
    url = r.json()["url"]
    assert url.startswith(get_settings().public_url.rstrip("/") + "/api/v1/calendar/feeds/")
    assert url.endswith(".ics")
    return urlsplit(url).path


def hearing(db, case: Case, prosecutor_id: int | None, starts_at: datetime, **extra: Any) -> Hearing:
    row = Hearing(
        case_id=case.id,
        district_id=case.district_id,
        court_id=court_id(db, "KHI-S"),
        starts_at=starts_at,
        purpose=extra.pop("purpose", "prosecution_evidence"),
        prosecutor_id=prosecutor_id,
        witnesses_examined=[],
        **extra,
    )
    db.add(row)
    db.flush()
    return row


def task(
    db, assignee_id: int, *, title: str, due: date | None, case: Case | None = None, status: str = "open"
) -> Task:
    row = Task(
        title=title,
        assignee_id=assignee_id,
        due_date=due,
        status=status,
        case_id=case.id if case else None,
        district_id=case.district_id if case else None,
        checklist=[],
    )
    db.add(row)
    db.flush()
    return row


def events(body: bytes) -> dict[str, Any]:
    cal = Calendar.from_ical(body)
    return {str(e["UID"]): e for e in cal.walk("VEVENT")}


@pytest.fixture
def pp(world: World) -> Any:
    return world.users["prosecutor_assigned"]


def test_feed_url_is_stable_and_only_its_hash_is_stored(client, db, world):
    headers = world.headers["prosecutor_assigned"]
    first = feed_path(client, headers)
    assert feed_path(client, headers) == first  # the same URL again
    token = first.rsplit("/", 1)[1].removesuffix(".ics")
    assert len(token) >= 43  # 256 bits, base64url
    feeds = db.scalars(
        select(CalendarFeed).where(CalendarFeed.user_id == world.users["prosecutor_assigned"].id)
    ).all()
    assert len(feeds) == 1
    assert feeds[0].token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert feeds[0].token_hash != token
    # another user gets another URL
    assert feed_path(client, world.headers["clerk"]) != first
    assert client.get("/api/v1/calendar/feed-url").status_code == 401
    assert client.post("/api/v1/calendar/feed-url/rotate").status_code == 401
    created = db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.entity_type == "calendar_feed", AuditEntry.action == "create")
    )
    assert created == 2


def test_feed_without_bearer_is_valid_icalendar(client, db, world, pp):
    case = world.cases["own"]
    now = utcnow()
    soon = datetime.combine((now + timedelta(days=3)).date(), time(10, 30), ZONE)
    long_title = "State v. " + " ".join(["Muhammad Imran son of Abdul Ghafoor"] * 4) + " (ATA 1997 s.7)"
    db.execute(update(Case).where(Case.id == case.id).values(title=long_title))
    coming = hearing(db, case, pp.id, soon, judge="Judge of ATC-II", duration_minutes=90)
    past = hearing(db, case, pp.id, now - timedelta(days=10), outcome="adjourned")
    due = (now + timedelta(days=5)).date()
    todo = task(db, pp.id, title="Prepare the list of prosecution witnesses", due=due, case=case)
    loose = task(db, pp.id, title="Submit monthly return", due=due + timedelta(days=1))
    path = feed_path(client, world.headers["prosecutor_assigned"])

    r = client.get(path)  # no Authorization header
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/calendar")
    body = r.content
    assert body.startswith(b"BEGIN:VCALENDAR\r\n") and body.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")  # every line ends with CRLF
    lines = body.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)  # folded at 75 octets
    assert any(line.startswith(b" ") for line in lines)  # the long title was folded

    cal = Calendar.from_ical(body)
    assert str(cal["VERSION"]) == "2.0" and "CMMS" in str(cal["PRODID"])
    found = events(body)
    host = urlsplit(get_settings().public_url).hostname
    h = found[f"hearing-{coming.id}@{host}"]
    assert h["SUMMARY"] == f"{case.number}: prosecution evidence"
    assert str(h["LOCATION"])  # the court's name
    assert h.decoded("DTSTART") == soon
    assert h.decoded("DTEND") - h.decoded("DTSTART") == timedelta(minutes=90)
    assert (
        "DTSTAMP" in h and long_title in str(h["DESCRIPTION"]) and "Judge of ATC-II" in str(h["DESCRIPTION"])
    )
    assert str(h["URL"]).endswith(f"/cases/{case.id}")
    assert found[f"hearing-{past.id}@{host}"]["SUMMARY"].endswith("(adjourned)")
    t = found[f"task-{todo.id}@{host}"]
    assert t.decoded("DTSTART") == due and t.decoded("DTEND") == due + timedelta(days=1)  # all day
    assert t["SUMMARY"] == f"Due: {todo.title} ({case.number})"
    assert found[f"task-{loose.id}@{host}"]["SUMMARY"] == "Due: Submit monthly return"
    assert len(found) == 4
    # the same UIDs on the next fetch
    assert set(events(client.get(path).content)) == set(found)


def test_rotate_kills_the_old_url(client, db, world, pp):
    headers = world.headers["prosecutor_assigned"]
    old = feed_path(client, headers)
    assert client.get(old).status_code == 200
    r = client.post("/api/v1/calendar/feed-url/rotate", headers=headers)
    assert r.status_code == 200
    new = urlsplit(r.json()["url"]).path
    assert new != old
    gone = client.get(old)
    assert gone.status_code == 404 and gone.headers["content-type"].startswith("application/problem+json")
    assert client.get(new).status_code == 200
    assert feed_path(client, headers) == new  # the GET now shows the new one
    assert client.get("/api/v1/calendar/feeds/not-a-real-token-at-all-000000000000.ics").status_code == 404
    assert client.get("/api/v1/calendar/feeds/x.ics").status_code == 404
    revoked = db.scalars(
        select(CalendarFeed).where(CalendarFeed.user_id == pp.id).order_by(CalendarFeed.id)
    ).all()
    assert [f.revoked_at is not None for f in revoked] == [True, False]


def test_feed_shows_only_what_the_owner_may_read_now(client, db, world, make_user, login):
    pp = make_user("prosecutor", district="KHI-S")
    headers = login(pp.username)
    now = utcnow()
    mine = file_case(db, world.users["clerk"])
    assign(db, mine, pp)
    left = file_case(db, world.users["clerk"])  # assigned once, then taken off: still readable
    assign(db, left, pp)
    db.execute(update(CaseAssignment).where(CaseAssignment.case_id == left.id).values(ended_at=now))
    never = file_case(db, world.users["clerk"])  # of the district, never on the team: not readable
    restricted = file_case(db, world.users["district_prosecutor"], restricted=True)
    db.flush()
    shown = [
        hearing(db, mine, pp.id, now + timedelta(days=2)),
        hearing(db, left, pp.id, now + timedelta(days=3)),
        hearing(db, mine, pp.id, now - timedelta(days=29)),
        hearing(db, mine, pp.id, now + timedelta(days=179)),
    ]
    hidden = [
        hearing(db, never, pp.id, now + timedelta(days=2)),  # attends, but may not read the case
        hearing(db, restricted, pp.id, now + timedelta(days=2)),
        hearing(db, mine, world.users["district_prosecutor"].id, now + timedelta(days=2)),  # someone else's
        hearing(db, mine, None, now + timedelta(days=2)),
        hearing(db, mine, pp.id, now - timedelta(days=31)),  # too old
        hearing(db, mine, pp.id, now + timedelta(days=181)),  # too far
    ]
    tasks_shown = [task(db, pp.id, title="open on my case", due=now.date(), case=mine)]
    tasks_hidden = [
        task(db, pp.id, title="done", due=now.date(), case=mine, status="done"),
        task(db, pp.id, title="no date", due=None),
        task(db, pp.id, title="on a hidden case", due=now.date(), case=never),
        task(db, world.users["clerk"].id, title="the clerk's", due=now.date()),
    ]
    path = feed_path(client, headers)
    uids = {uid.split("@")[0] for uid in events(client.get(path).content)}
    assert uids == {f"hearing-{h.id}" for h in shown} | {f"task-{t.id}" for t in tasks_shown}
    assert not uids & ({f"hearing-{h.id}" for h in hidden} | {f"task-{t.id}" for t in tasks_hidden})

    # assigned to the hidden case later: it appears (the rules of now, not of the URL's creation)
    assign(db, never, pp, role="associate")
    uids = {uid.split("@")[0] for uid in events(client.get(path).content)}
    assert f"hearing-{hidden[0].id}" in uids and f"task-{tasks_hidden[2].id}" in uids

    # a deactivated owner's feed is gone
    pp.is_active = False
    db.flush()
    assert client.get(path).status_code == 404


def test_feed_of_a_role_without_cases_is_empty_but_valid(client, db, world):
    path = feed_path(client, world.headers["admin"])
    r = client.get(path)
    assert r.status_code == 200
    cal = Calendar.from_ical(r.content)
    assert list(cal.walk("VEVENT")) == []
