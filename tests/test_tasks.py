"""Tasks: creating and assigning (who may, to whom), visibility per role and hidden cases, the
overdue filter around midnight in Asia/Karachi, checklists, If-Match, completion, notifications,
the case timeline and the audit log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

import api.db
from api.audit.models import AuditEntry
from api.cases.models import CaseEvent
from api.deadlines.service import today
from api.notifications.models import Notification
from api.tasks.models import Task
from tests.test_cases_support import World, world_fixture  # noqa: F401

TASKS = "/api/v1/tasks"


def _create(client: Any, headers: dict[str, str], **body: Any) -> Any:
    return client.post(TASKS, json={"title": "Prepare the witness list", **body}, headers=headers)


def _notes(db: Any, user_id: int, kind: str = "task_assigned") -> list[Notification]:
    db.expire_all()
    return list(
        db.scalars(select(Notification).where(Notification.user_id == user_id, Notification.kind == kind))
    )


def _ids(client: Any, headers: dict[str, str], **params: Any) -> set[int]:
    r = client.get(TASKS, params={"limit": 200, **params}, headers=headers)
    assert r.status_code == 200, r.text
    return {t["id"] for t in r.json()["items"]}


@pytest.fixture
def tasks(client, db, world: World) -> dict[str, int]:
    """A few tasks across the world: on the own case (KHI-S), on the restricted case, on the other
    district's case, and one without a case."""
    u, h = world.users, world.headers
    made = {
        "own_case": _create(
            client,
            h["district_prosecutor"],
            assignee_id=u["prosecutor_assigned"].id,
            case_id=world.cases["own"].id,
            due_date=(today() + timedelta(days=3)).isoformat(),
        ),
        "restricted_case": _create(
            client,
            h["district_prosecutor"],
            assignee_id=u["district_prosecutor"].id,
            case_id=world.cases["restricted"].id,
        ),
        "other_district": _create(
            client, h["prosecutor_general"], assignee_id=u["clerk_other"].id, case_id=world.cases["other"].id
        ),
        "no_case": _create(client, h["prosecutor_general"], assignee_id=u["prosecutor_unassigned"].id),
        "clerk_district": _create(client, h["district_prosecutor"], assignee_id=u["clerk"].id),
    }
    for key, r in made.items():
        assert r.status_code == 201, (key, r.text)
    return {k: r.json()["id"] for k, r in made.items()}


def test_create_notifies_the_assignee_and_writes_timeline_and_audit(client, db, world: World):
    u, h = world.users, world.headers
    due = today() + timedelta(days=5)
    r = _create(
        client,
        h["district_prosecutor"],
        assignee_id=u["prosecutor_assigned"].id,
        case_id=world.cases["own"].id,
        due_date=due.isoformat(),
        description="Summon the two eye-witnesses",
        checklist=[{"text": "PW-1 Sajid Ali"}, {"text": "PW-2 Bilal", "done": True}],
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"{TASKS}/{body['id']}" and r.headers["etag"] == body["etag"]
    assert body["status"] == "open" and body["overdue"] is False and body["completed_at"] is None
    assert body["case_number"] == world.cases["own"].number
    assert body["district_id"] == world.cases["own"].district_id
    assert body["assignee_name"] == u["prosecutor_assigned"].full_name
    assert body["created_by"] == u["district_prosecutor"].id
    assert body["checklist"] == [
        {"text": "PW-1 Sajid Ali", "done": False},
        {"text": "PW-2 Bilal", "done": True},
    ]
    [note] = _notes(db, u["prosecutor_assigned"].id)
    assert world.cases["own"].number in note.message and "Prepare the witness list" in note.message
    assert note.case_id == world.cases["own"].id and note.link == "/tasks"
    assert note.dedupe_key == f"task:{body['id']}:assigned:{u['prosecutor_assigned'].id}"
    events = db.scalars(
        select(CaseEvent).where(CaseEvent.case_id == world.cases["own"].id, CaseEvent.kind == "task")
    ).all()
    assert len(events) == 1 and events[0].details["task_id"] == body["id"]
    assert db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.entity_type == "task", AuditEntry.entity_id == str(body["id"]))
    )
    # a task without a case takes the assignee's district; assigning yourself notifies nobody
    r = _create(client, h["district_prosecutor"], assignee_id=u["district_prosecutor"].id)
    assert r.status_code == 201 and r.json()["district_id"] == u["district_prosecutor"].district_id
    assert _notes(db, u["district_prosecutor"].id) == []


def test_who_may_give_tasks_to_whom(client, db, world: World, make_user):
    u, h = world.users, world.headers
    own = world.cases["own"].id
    # roles without the right to write tasks
    for role in ("clerk", "auditor", "monitor", "admin", "trainer"):
        r = _create(client, h[role], assignee_id=u["clerk"].id)
        assert r.status_code == 403, (role, r.text)
    # a case the creator cannot read does not exist for them
    r = _create(client, h["prosecutor_unassigned"], assignee_id=u["prosecutor_unassigned"].id, case_id=own)
    assert r.status_code == 404
    r = _create(client, h["district_prosecutor"], assignee_id=u["clerk"].id, case_id=world.cases["other"].id)
    assert r.status_code == 404
    # an assignee who cannot read the case, cannot hold tasks, or is inactive: 422 on assignee_id
    inactive = make_user("prosecutor")
    inactive.is_active = False
    db.flush()
    for assignee in (u["prosecutor_unassigned"], u["clerk_other"], u["admin"], u["monitor"], inactive):
        r = _create(client, h["district_prosecutor"], assignee_id=assignee.id, case_id=own)
        assert r.status_code == 422, (assignee.username, r.text)
        assert r.json()["errors"][0]["loc"] == ["body", "assignee_id"]
    assert _create(client, h["district_prosecutor"], assignee_id=2_000_000_000).status_code == 422
    # bad input changes nothing
    before = db.scalar(select(func.count()).select_from(Task))
    for bad in (
        {"assignee_id": u["clerk"].id, "due_date": (today() - timedelta(days=1)).isoformat()},
        {"assignee_id": u["clerk"].id, "title": ""},
        {"assignee_id": u["clerk"].id, "id": 5},
        {"assignee_id": u["clerk"].id, "status": "late"},
        {"assignee_id": u["clerk"].id, "checklist": [{"text": ""}]},
        {"assignee_id": u["clerk"].id, "checklist": [{"text": "x", "done": True, "by": 1}]},
        {"assignee_id": u["clerk"].id, "checklist": [{"text": "x"}] * 51},
        {"assignee_id": 0},
    ):
        r = _create(client, h["district_prosecutor"], **bad)
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
    assert db.scalar(select(func.count()).select_from(Task)) == before
    # a prosecutor may give a task on a case they read to a colleague who reads it too
    r = _create(client, h["prosecutor_assigned"], assignee_id=u["clerk"].id, case_id=own)
    assert r.status_code == 201, r.text


VISIBLE = {
    # role -> which of the fixture's tasks it sees
    "prosecutor_general": {"own_case", "restricted_case", "other_district", "no_case", "clerk_district"},
    "auditor": {"own_case", "restricted_case", "other_district", "no_case", "clerk_district"},
    "district_prosecutor": {"own_case", "restricted_case", "clerk_district"},
    "prosecutor_assigned": {"own_case"},
    "prosecutor_unassigned": {"no_case"},
    "clerk": {"own_case", "clerk_district"},
    "clerk_other": {"other_district"},
}


@pytest.mark.parametrize("role", [*VISIBLE, "monitor", "admin", "trainer"])
def test_visibility_by_role(client, world: World, tasks, role):
    h = world.headers[role]
    if role not in VISIBLE:
        assert client.get(TASKS, headers=h).status_code == 403
        assert client.get(f"{TASKS}/{tasks['own_case']}", headers=h).status_code == 403
        return
    assert _ids(client, h) == {tasks[k] for k in VISIBLE[role]}
    for key, task_id in tasks.items():
        r = client.get(f"{TASKS}/{task_id}", headers=h)
        assert r.status_code == (200 if key in VISIBLE[role] else 404), (role, key)
        if r.status_code == 200:
            assert r.headers["etag"] == r.json()["etag"]
        else:
            assert r.headers["content-type"].startswith("application/problem+json")


def test_a_task_on_a_case_disappears_with_the_case(client, db, world: World, tasks):
    """The clerk sees the district's tasks, but not one on a restricted case of the district."""
    h = world.headers
    r = _create(
        client,
        h["district_prosecutor"],
        assignee_id=world.users["district_prosecutor"].id,
        case_id=world.cases["restricted"].id,
    )
    assert r.status_code == 201
    assert r.json()["id"] not in _ids(client, h["clerk"])
    assert client.get(f"{TASKS}/{r.json()['id']}", headers=h["clerk"]).status_code == 404
    assert (
        client.patch(
            f"{TASKS}/{r.json()['id']}",
            json={"status": "done"},
            headers={**h["clerk"], "If-Match": r.json()["etag"]},
        ).status_code
        == 404
    )


def test_filters_sorting_and_bad_queries(client, world: World, tasks):
    h = world.headers["prosecutor_general"]
    u = world.users
    assert _ids(client, h, assignee_id=u["prosecutor_assigned"].id) == {tasks["own_case"]}
    assert _ids(client, world.headers["prosecutor_assigned"], assignee_id="me") == {tasks["own_case"]}
    assert _ids(client, h, case_id=world.cases["other"].id) == {tasks["other_district"]}
    assert _ids(client, h, district_id=world.cases["own"].district_id) == {
        tasks["own_case"],
        tasks["restricted_case"],
        tasks["clerk_district"],
    }
    assert _ids(client, h, status="done") == set()
    due = (today() + timedelta(days=3)).isoformat()
    assert _ids(client, h, due_from=due, due_to=due) == {tasks["own_case"]}
    created = client.get(TASKS, params={"sort": "-created_at"}, headers=h).json()["items"]
    assert [t["created_at"] for t in created] == sorted((t["created_at"] for t in created), reverse=True)
    # a well-formed id beyond any the column holds names nobody (was a 422 the schema did not
    # announce, found by schemathesis)
    nobody = client.get(TASKS, params={"assignee_id": "9999999999"}, headers=h)
    assert nobody.status_code == 200 and nobody.json()["items"] == [] and nobody.json()["total"] == 0
    for bad in (
        {"sort": "title"},
        {"status": "late"},
        {"assignee_id": "you"},
        {"assignee_id": "99999999999"},  # more digits than an id has
        {"overdue": "perhaps"},
        {"case_id": 0},
        {"due_to": "soon"},
    ):
        r = client.get(TASKS, params=bad, headers=h)
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")


def test_overdue_turns_at_midnight_in_karachi(client, db, world: World, monkeypatch):
    u, h = world.users, world.headers
    due = today() + timedelta(days=1)
    task_id = _create(
        client,
        h["district_prosecutor"],
        assignee_id=u["prosecutor_assigned"].id,
        case_id=world.cases["own"].id,
        due_date=due.isoformat(),
    ).json()["id"]
    no_due = _create(client, h["district_prosecutor"], assignee_id=u["prosecutor_assigned"].id).json()["id"]

    def at(hour: int, minute: int) -> None:
        instant = datetime(due.year, due.month, due.day, hour, minute, tzinfo=UTC)
        monkeypatch.setattr(api.db, "utcnow", lambda: instant)

    mine = world.headers["prosecutor_assigned"]
    at(18, 59)  # 23:59 in Karachi on the due date: due today, not overdue
    assert task_id not in _ids(client, mine, overdue="true")
    assert {task_id, no_due} <= _ids(client, mine, overdue="false")
    assert client.get(f"{TASKS}/{task_id}", headers=mine).json()["overdue"] is False
    at(19, 1)  # 00:01 the next day in Karachi, still the due date in UTC: overdue
    assert _ids(client, mine, overdue="true") == {task_id}
    assert task_id not in _ids(client, mine, overdue="false")
    assert client.get(f"{TASKS}/{task_id}", headers=mine).json()["overdue"] is True
    # done: no longer overdue
    etag = client.get(f"{TASKS}/{task_id}", headers=mine).headers["etag"]
    r = client.patch(f"{TASKS}/{task_id}", json={"status": "done"}, headers={**mine, "If-Match": etag})
    assert r.status_code == 200 and r.json()["overdue"] is False
    assert _ids(client, mine, overdue="true") == set()


def test_checklist_status_and_if_match(client, db, world: World, tasks):
    mine = world.headers["prosecutor_assigned"]
    url = f"{TASKS}/{tasks['own_case']}"
    first = client.get(url, headers=mine)
    etag = first.headers["etag"]
    items = [{"text": "Call the IO", "done": True}, {"text": "Collect the FSL report", "done": False}]
    assert client.patch(url, json={"checklist": items}, headers=mine).status_code == 428
    assert (
        client.patch(url, json={"checklist": items}, headers={**mine, "If-Match": '"task-1-v77"'}).status_code
        == 412
    )
    r = client.patch(url, json={"checklist": items}, headers={**mine, "If-Match": etag})
    assert r.status_code == 200, r.text
    assert r.json()["checklist"] == items and r.headers["etag"] != etag
    # the old ETag is stale now: the second writer loses and nothing changes
    r2 = client.patch(url, json={"checklist": []}, headers={**mine, "If-Match": etag})
    assert r2.status_code == 412
    assert client.get(url, headers=mine).json()["checklist"] == items
    etag = r.headers["etag"]
    r = client.patch(url, json={"status": "done"}, headers={**mine, "If-Match": etag})
    assert r.json()["status"] == "done" and r.json()["completed_at"] is not None
    r = client.patch(url, json={"status": "open"}, headers={**mine, "If-Match": r.headers["etag"]})
    assert r.json()["status"] == "open" and r.json()["completed_at"] is None
    r = client.patch(url, json={"status": "cancelled"}, headers={**mine, "If-Match": r.headers["etag"]})
    assert r.json()["status"] == "cancelled" and r.json()["completed_at"] is not None
    timeline = db.scalars(
        select(CaseEvent.summary).where(CaseEvent.case_id == world.cases["own"].id, CaseEvent.kind == "task")
    ).all()
    assert any("done" in s for s in timeline) and any("reopened" in s for s in timeline)
    # nothing to change: same version
    same = client.patch(url, json={"status": "cancelled"}, headers={**mine, "If-Match": r.headers["etag"]})
    assert same.status_code == 200 and same.headers["etag"] == r.headers["etag"]
    for bad in (
        {"title": None},
        {"status": None},
        {"case_id": 3},
        {"checklist": [{"done": True}]},
        {"due_date": "x"},
    ):
        assert (
            client.patch(url, json=bad, headers={**mine, "If-Match": r.headers["etag"]}).status_code == 422
        ), bad


def test_an_assignee_without_write_rights_ticks_but_does_not_edit(client, world: World, tasks):
    clerk = world.headers["clerk"]
    url = f"{TASKS}/{tasks['clerk_district']}"
    etag = client.get(url, headers=clerk).headers["etag"]
    r = client.patch(url, json={"title": "Something else"}, headers={**clerk, "If-Match": etag})
    assert r.status_code == 403
    r = client.patch(
        url,
        json={"checklist": [{"text": "Scan the challan", "done": True}], "status": "done"},
        headers={**clerk, "If-Match": etag},
    )
    assert r.status_code == 200 and r.json()["status"] == "done"
    # another district's clerk cannot even see it; a district prosecutor edits it
    assert (
        client.patch(
            url, json={"status": "open"}, headers={**world.headers["clerk_other"], "If-Match": "*"}
        ).status_code
        == 404
    )
    dp = world.headers["district_prosecutor"]
    r = client.patch(
        url,
        json={"title": "Scan and upload the challan", "due_date": None},
        headers={**dp, "If-Match": r.headers["etag"]},
    )
    assert r.status_code == 200 and r.json()["title"] == "Scan and upload the challan"
    # an auditor reads every task but changes none
    assert (
        client.patch(
            url, json={"status": "open"}, headers={**world.headers["auditor"], "If-Match": "*"}
        ).status_code
        == 403
    )


def test_reassigning_notifies_the_new_assignee_once(client, db, world: World, tasks, make_user):
    u, h = world.users, world.headers
    url = f"{TASKS}/{tasks['no_case']}"
    pg = h["prosecutor_general"]
    colleague = make_user("prosecutor", district="HYD")
    etag = client.get(url, headers=pg).headers["etag"]
    r = client.patch(url, json={"assignee_id": colleague.id}, headers={**pg, "If-Match": etag})
    assert r.status_code == 200, r.text
    assert r.json()["assignee_id"] == colleague.id and r.json()["district_id"] == colleague.district_id
    assert len(_notes(db, colleague.id)) == 1
    # back and forth: the first assignee was told already, and is not told twice
    r = client.patch(
        url,
        json={"assignee_id": u["prosecutor_unassigned"].id},
        headers={**pg, "If-Match": r.headers["etag"]},
    )
    r = client.patch(url, json={"assignee_id": colleague.id}, headers={**pg, "If-Match": r.headers["etag"]})
    assert r.status_code == 200
    assert len(_notes(db, colleague.id)) == 1 and len(_notes(db, u["prosecutor_unassigned"].id)) == 1
    # the former assignee no longer sees it (not theirs, not their creation)
    assert client.get(url, headers=h["prosecutor_unassigned"]).status_code == 404
    # a case task cannot go to someone who cannot read the case
    case_url = f"{TASKS}/{tasks['own_case']}"
    etag = client.get(case_url, headers=pg).headers["etag"]
    r = client.patch(case_url, json={"assignee_id": u["clerk_other"].id}, headers={**pg, "If-Match": etag})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "assignee_id"]
    # a due date in the past is refused when it changes, kept when it does not
    r = client.patch(
        case_url,
        json={"due_date": (today() - timedelta(days=2)).isoformat()},
        headers={**pg, "If-Match": etag},
    )
    assert r.status_code == 422
    stored = client.get(case_url, headers=pg).json()["due_date"]
    r = client.patch(
        case_url, json={"due_date": stored, "title": "Renamed"}, headers={**pg, "If-Match": etag}
    )
    assert r.status_code == 200 and r.json()["due_date"] == stored


def test_demo_seed_is_idempotent_and_has_an_overdue_task(db, make_user):
    from api.tasks import demo
    from tests.test_cases_support import assign, file_case

    users = {
        name: make_user(role, district=district, username=name)
        for name, role, district in (
            ("pp.south1", "prosecutor", "KHI-S"),
            ("pp.south2", "prosecutor", "KHI-S"),
            ("dp.south", "district_prosecutor", "KHI-S"),
            ("clerk.south", "clerk", "KHI-S"),
        )
    }
    case = file_case(db, users["clerk.south"])
    assign(db, case, users["pp.south1"])
    created = demo.seed(db)
    assert len(created) == 5  # the Hyderabad ones wait for their users
    assert demo.seed(db) == []
    overdue = db.scalars(select(Task).where(Task.status == "open", Task.due_date < today())).all()
    assert [t.assignee_id for t in overdue] == [users["pp.south1"].id]
    assert overdue[0].case_id == case.id and overdue[0].district_id == case.district_id
    assert len(_notes(db, users["pp.south1"].id)) == 2  # set by the district prosecutor
