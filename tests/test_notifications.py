"""In-app notifications: the caller's list, unread count, mark read; isolation between users;
hidden when the case is no longer readable; the event handlers (assignment, hearings) that never
tell the actor about their own action; the e-mail/SMS senders (SMTP against a local fake)."""

from __future__ import annotations

import base64
import logging
import socketserver
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

import api.notifications.handlers  # noqa: F401  (registers the handlers, as api.registry does)
from api.cases import service as cases_service
from api.config import get_settings
from api.notifications import senders
from api.notifications import service as notifications
from api.notifications.models import Notification
from tests.test_cases_support import assign, file_case

URL = "/api/v1/notifications"
_KEYS = {"id", "kind", "message", "case_id", "link", "created_at", "read_at", "read"}


def _notify(
    db: Any, user: Any, text: str, *, case: Any = None, kind: str = "note", key: str | None = None
) -> int:
    rows = notifications.notify(
        db,
        user_ids=[user.id],
        kind=kind,
        message=text,
        case_id=case.id if case is not None else None,
        link=f"/cases/{case.id}" if case is not None else None,
        dedupe_key=key,
    )
    db.flush()
    return rows[0].id if rows else 0


def _unread(client: Any, headers: dict[str, str]) -> int:
    r = client.get(f"{URL}/unread-count", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["unread"]


def _rows(db: Any, user: Any) -> list[Notification]:
    return list(
        db.scalars(select(Notification).where(Notification.user_id == user.id).order_by(Notification.id))
    )


# --- the caller's notifications ------------------------------------------------------------------


def test_list_unread_read_and_read_all(client, db, make_user, login):
    alice, bob = make_user("prosecutor"), make_user("prosecutor")
    ha, hb = login(alice.username), login(bob.username)
    first = _notify(db, alice, "first")
    second = _notify(db, alice, "second")
    third = _notify(db, alice, "third")
    bobs = _notify(db, bob, "for bob")

    r = client.get(URL, headers=ha)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["total"] == 3 and [n["id"] for n in body["items"]] == [third, second, first]
    assert set(body["items"][0]) == _KEYS
    assert body["items"][0]["message"] == "third" and body["items"][0]["read"] is False
    assert _unread(client, ha) == 3 and _unread(client, hb) == 1

    r = client.post(f"{URL}/{second}/read", headers=ha)
    assert r.status_code == 200, r.text
    assert r.json()["read"] is True and r.json()["read_at"] is not None and r.json()["id"] == second
    again = client.post(f"{URL}/{second}/read", headers=ha)
    assert again.status_code == 200 and again.json()["read_at"] == r.json()["read_at"]
    assert _unread(client, ha) == 2

    unread = client.get(URL, params={"unread": "true"}, headers=ha).json()
    assert [n["id"] for n in unread["items"]] == [third, first] and unread["total"] == 2
    read = client.get(URL, params={"unread": "false"}, headers=ha).json()
    assert [n["id"] for n in read["items"]] == [second]
    oldest_first = client.get(URL, params={"sort": "created_at"}, headers=ha).json()
    assert [n["id"] for n in oldest_first["items"]] == [first, second, third]
    paged = client.get(URL, params={"limit": 1, "offset": 1}, headers=ha).json()
    assert [n["id"] for n in paged["items"]] == [second] and paged["total"] == 3

    r = client.post(f"{URL}/read-all", headers=ha)
    assert r.status_code == 200, r.text
    assert r.json() == {"marked": 2, "unread": 0}
    assert _unread(client, ha) == 0
    assert client.post(f"{URL}/read-all", headers=ha).json() == {"marked": 0, "unread": 0}
    # bob's are untouched by alice's read-all
    assert _unread(client, hb) == 1
    assert [n["id"] for n in client.get(URL, headers=hb).json()["items"]] == [bobs]


def test_another_users_notification_is_404(client, db, make_user, login):
    alice, bob = make_user("prosecutor"), make_user("clerk", district="KHI-S")
    mine = _notify(db, alice, "for alice")
    hb = login(bob.username)
    r = client.post(f"{URL}/{mine}/read", headers=hb)
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert client.post(f"{URL}/999999/read", headers=hb).status_code == 404
    assert client.get(URL, headers=hb).json()["total"] == 0
    assert _rows(db, alice)[0].read_at is None  # nothing changed


def test_every_role_has_its_own_bell(client, db, make_user, login):
    for role, district in (
        ("prosecutor_general", None),
        ("district_prosecutor", "KHI-S"),
        ("prosecutor", None),
        ("clerk", "KHI-S"),
        ("admin", None),
        ("auditor", None),
        ("monitor", None),
        ("trainer", None),
    ):
        user = make_user(role, district=district)
        _notify(db, user, f"hello {role}")
        headers = login(user.username)
        listed = client.get(URL, headers=headers)
        assert listed.status_code == 200, role
        assert [n["message"] for n in listed.json()["items"]] == [f"hello {role}"], role
        assert _unread(client, headers) == 1
        assert client.post(f"{URL}/read-all", headers=headers).json() == {"marked": 1, "unread": 0}
    for method, path in (
        ("GET", URL),
        ("GET", f"{URL}/unread-count"),
        ("POST", f"{URL}/read-all"),
        ("POST", f"{URL}/1/read"),
    ):
        assert client.request(method, path).status_code == 401


def test_bad_input_is_422(client, db, make_user, login):
    user = make_user("prosecutor")
    _notify(db, user, "x")
    headers = login(user.username)
    for params in ({"unread": "maybe"}, {"sort": "message"}, {"limit": 500}, {"offset": -1}):
        r = client.get(URL, params=params, headers=headers)
        assert r.status_code == 422, params
        assert r.headers["content-type"].startswith("application/problem+json")
    for bad in ("0", "99999999999"):
        assert client.post(f"{URL}/{bad}/read", headers=headers).status_code == 422
    assert client.post(f"{URL}/abc/read", headers=headers).status_code == 404  # an id is digits
    assert _rows(db, user)[0].read_at is None


def test_notifications_about_a_case_no_longer_readable_are_hidden(client, db, make_user, login):
    """A clerk moved to another district stops seeing the old district's case: its notification
    (whose message names the case) disappears from the list, the count and read-all alike."""
    clerk = make_user("clerk", district="KHI-S")
    case = file_case(db, clerk)
    restricted = file_case(db, make_user("district_prosecutor", district="KHI-S"), restricted=True)
    about_case = _notify(db, clerk, f"about {case.number}", case=case)
    about_restricted = _notify(db, clerk, f"about {restricted.number}", case=restricted)
    general = _notify(db, clerk, "no case")
    headers = login(clerk.username)
    listed = client.get(URL, headers=headers).json()
    assert [n["id"] for n in listed["items"]] == [general, about_case]  # restricted: never readable
    assert listed["items"][1]["link"] == f"/cases/{case.id}" and listed["items"][1]["case_id"] == case.id
    assert _unread(client, headers) == 2

    from api.reference.models import District

    clerk.district_id = db.scalar(select(District.id).where(District.code == "KHI-E"))
    db.flush()
    headers = login(clerk.username)
    assert [n["id"] for n in client.get(URL, headers=headers).json()["items"]] == [general]
    assert _unread(client, headers) == 1
    assert client.post(f"{URL}/{about_case}/read", headers=headers).status_code == 404
    assert client.post(f"{URL}/read-all", headers=headers).json() == {"marked": 1, "unread": 0}
    db.expire_all()
    states = {n.id: n.read_at is not None for n in _rows(db, clerk)}
    assert states == {about_case: False, about_restricted: False, general: True}


def test_dedupe_key_tells_a_user_once(db, make_user):
    alice, bob = make_user("prosecutor"), make_user("prosecutor")
    first = notifications.notify(
        db, user_ids=[alice.id, None, alice.id], kind="x", message="m", dedupe_key="k:1"
    )
    db.flush()
    again = notifications.notify(db, user_ids=[alice.id, bob.id], kind="x", message="m", dedupe_key="k:1")
    db.flush()
    assert [n.user_id for n in first] == [alice.id]
    assert [n.user_id for n in again] == [bob.id]
    many = notifications.notify_many(
        db,
        [
            notifications.Message(user_id=alice.id, kind="x", message="m", dedupe_key="k:1"),
            notifications.Message(user_id=alice.id, kind="x", message="m", dedupe_key="k:2"),
            notifications.Message(user_id=alice.id, kind="x", message="m", dedupe_key="k:2"),
            notifications.Message(user_id=alice.id, kind="x", message="no key"),
        ],
    )
    db.flush()
    assert [(n.dedupe_key, n.message) for n in many] == [("k:2", "m"), (None, "no key")]
    assert len(_rows(db, alice)) == 3 and len(_rows(db, bob)) == 1


# --- handlers ------------------------------------------------------------------------------------


def test_assignment_notifies_the_assigned_prosecutor_not_the_actor(client, db, make_user, login):
    dp = make_user("district_prosecutor", district="KHI-S")
    lead = make_user("prosecutor")
    case = file_case(db, dp)
    r = client.post(
        f"/api/v1/cases/{case.id}/assignments",
        json={"prosecutor_id": lead.id, "role": "lead", "reason": "new intake"},
        headers=login(dp.username),
    )
    assert r.status_code == 201, r.text
    got = _rows(db, lead)
    assert len(got) == 1
    assert got[0].kind == "assignment" and got[0].case_id == case.id and got[0].link == f"/cases/{case.id}"
    assert got[0].message == f"You were assigned as lead on {case.number} ({case.title}): new intake"
    assert _rows(db, dp) == []
    # the prosecutor sees it through the API
    headers = login(lead.username)
    assert client.get(URL, headers=headers).json()["items"][0]["message"].startswith("You were assigned")
    assert _unread(client, headers) == 1


def test_assignment_by_oneself_tells_no_one(db, make_user):
    dp = make_user("district_prosecutor", district="KHI-S")
    case = file_case(db, dp)
    cases_service.record_event(
        db,
        case=case,
        actor_id=dp.id,
        kind="assignment",
        summary="self",
        details={"prosecutor_id": dp.id, "role": "associate", "reason": None},
    )
    db.flush()
    assert _rows(db, dp) == []


def test_hearing_events_notify_the_hearing_prosecutor_and_the_lead(db, make_user):
    clerk = make_user("clerk", district="KHI-S")
    lead, attending = make_user("prosecutor"), make_user("prosecutor")
    case = file_case(db, clerk)
    assign(db, case, lead, "lead")
    starts = datetime(2026, 12, 3, 5, 0, tzinfo=UTC)  # 10:00 in Karachi
    cases_service.record_event(
        db,
        case=case,
        actor_id=clerk.id,
        kind="hearing_scheduled",
        summary="Hearing scheduled",
        details={"hearing_id": None, "prosecutor_id": attending.id, "starts_at": starts.isoformat()},
    )
    db.flush()
    expected = f"Hearing on 3 Dec 2026, 10:00 in {case.number} ({case.title})"
    for user in (lead, attending):
        rows = _rows(db, user)
        assert [(n.kind, n.message, n.case_id) for n in rows] == [("hearing_scheduled", expected, case.id)]
    assert _rows(db, clerk) == []

    # the lead moves the hearing: the attending prosecutor is told, the lead (the actor) is not
    cases_service.record_event(
        db,
        case=case,
        actor_id=lead.id,
        kind="hearing_changed",
        summary="Hearing moved",
        details={
            "hearing_id": None,
            "prosecutor_id": attending.id,
            "starts_at": (starts + timedelta(days=1)).isoformat(),
        },
    )
    db.flush()
    assert [n.kind for n in _rows(db, lead)] == ["hearing_scheduled"]
    changed = _rows(db, attending)[-1]
    assert changed.kind == "hearing_changed"
    assert changed.message == f"Hearing changed: now on 4 Dec 2026, 10:00 in {case.number} ({case.title})"

    # another prosecutor takes it over: the new one and the one taken off are told
    other = make_user("prosecutor")
    cases_service.record_event(
        db,
        case=case,
        actor_id=clerk.id,
        kind="hearing_changed",
        summary="Prosecutor changed",
        details={
            "hearing_id": None,
            "prosecutor_id": other.id,
            "previous_prosecutor_id": attending.id,
            "starts_at": (starts + timedelta(days=1)).isoformat(),
        },
    )
    db.flush()
    assert [n.kind for n in _rows(db, other)] == ["hearing_changed"]
    assert [n.kind for n in _rows(db, attending)] == [
        "hearing_scheduled",
        "hearing_changed",
        "hearing_changed",
    ]
    assert [n.kind for n in _rows(db, lead)] == ["hearing_scheduled", "hearing_changed"]


def test_hearing_event_reads_the_time_from_the_hearing_when_details_lack_it(db, make_user, district_ids):
    from api.hearings.models import Hearing
    from tests.test_cases_support import court_id

    clerk = make_user("clerk", district="KHI-S")
    attending = make_user("prosecutor")
    case = file_case(db, clerk)
    hearing = Hearing(
        case_id=case.id,
        district_id=district_ids["KHI-S"],
        court_id=court_id(db, "KHI-S"),
        starts_at=datetime(2026, 12, 3, 4, 30, tzinfo=UTC),
        purpose="charge",
        prosecutor_id=attending.id,
    )
    db.add(hearing)
    db.flush()
    cases_service.record_event(
        db,
        case=case,
        actor_id=clerk.id,
        kind="hearing_scheduled",
        summary="Hearing scheduled",
        details={"hearing_id": hearing.id, "prosecutor_id": attending.id},
    )
    db.flush()
    assert _rows(db, attending)[0].message.startswith("Hearing on 3 Dec 2026, 09:30 in ")


def test_events_of_other_kinds_notify_nobody(db, make_user):
    clerk = make_user("clerk", district="KHI-S")
    case = file_case(db, clerk)
    before = db.scalar(select(func.count()).select_from(Notification))
    cases_service.record_event(db, case=case, actor_id=clerk.id, kind="note", summary="a note", details={})
    db.flush()
    assert db.scalar(select(func.count()).select_from(Notification)) == before


# --- senders -------------------------------------------------------------------------------------


class _FakeSmtp(socketserver.StreamRequestHandler):
    """Just enough SMTP (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, QUIT) to receive one message."""

    def _say(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        store = self.server.received  # type: ignore[attr-defined]
        self._say("220 fake ESMTP")
        while True:
            raw = self.rfile.readline()
            if not raw:
                return
            line = raw.decode().rstrip("\r\n")
            verb = line.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self._say("250-fake")
                self._say("250 AUTH PLAIN")
            elif verb == "AUTH":
                store["auth"] = base64.b64decode(line.split()[2]).split(b"\0")[1:]
                self._say("235 ok")
            elif verb == "MAIL":
                store["from"] = line
                self._say("250 ok")
            elif verb == "RCPT":
                store.setdefault("rcpt", []).append(line)
                self._say("250 ok")
            elif verb == "DATA":
                self._say("354 go on")
                lines = []
                while (data := self.rfile.readline().decode().rstrip("\r\n")) != ".":
                    lines.append(data)
                store["data"] = "\n".join(lines)
                self._say("250 queued")
            elif verb == "QUIT":
                self._say("221 bye")
                return
            else:
                self._say("502 no")


@pytest.fixture
def fake_smtp() -> Iterator[tuple[int, dict[str, Any]]]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _FakeSmtp)
    server.daemon_threads = True
    server.received = {}  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], server.received  # type: ignore[attr-defined]
    finally:
        server.shutdown()
        server.server_close()


def test_smtp_sender_delivers_through_the_server(fake_smtp):
    port, received = fake_smtp
    sender = senders.SmtpSender(
        host="127.0.0.1", port=port, user="cmms", password="s3cret", sender="cmms@example.org", starttls=False
    )
    assert isinstance(sender, senders.Sender)
    sender.send("lead@example.org", "CMMS: deadline overdue", "Overdue: the deadline under CrPC s.173 …")
    assert received["auth"] == [b"cmms", b"s3cret"]
    assert "cmms@example.org" in received["from"] and "lead@example.org" in received["rcpt"][0]
    assert "Subject: CMMS: deadline overdue" in received["data"]
    assert "To: lead@example.org" in received["data"]


def test_senders_are_chosen_by_settings(fake_smtp):
    port, received = fake_smtp
    assert isinstance(senders.email_sender(get_settings()), senders.LoggingSender)
    assert isinstance(senders.sms_sender(get_settings()), senders.LoggingSender)
    configured = get_settings().model_copy(
        update={"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False, "smtp_from": "x@y.org"}
    )
    sender = senders.email_sender(configured)
    assert isinstance(sender, senders.SmtpSender) and sender.port == port
    # a user with an address gets the copy; one without is logged under their username
    assert senders.deliver(
        sender, user=SimpleNamespace(username="u1", email="u1@y.org"), subject="s", body="b"
    )
    assert "u1@y.org" in received["rcpt"][0]


@pytest.fixture(name="sender_log")
def sender_log_fixture() -> Iterator[list[logging.LogRecord]]:
    """The log lines of the senders (the cmms logger does not propagate to caplog)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    logger = logging.getLogger("cmms.senders")
    handler, level = Keep(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield records
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_without_an_address_the_copy_is_logged_and_a_failing_server_is_not_raised(sender_log):
    logging_sender = senders.LoggingSender("sms")
    assert (
        senders.deliver(logging_sender, user=SimpleNamespace(username="imran"), subject="Hearing", body="b")
        is False
    )
    assert sender_log[-1].getMessage() == "sms to user:imran (no sms address): Hearing\nb"

    class Broken:
        channel = "email"

        def send(self, to: str, subject: str, body: str) -> None:
            raise OSError("connection refused")

    user = SimpleNamespace(username="sana", email="sana@example.org")
    assert senders.deliver(Broken(), user=user, subject="s", body="b") is False
    assert "failed: connection refused" in sender_log[-1].getMessage()
    assert sender_log[-1].levelno == logging.WARNING
