"""Several workers on one database (of the pass's kind): two uvicorn processes, A and B, sharing
the database and the signing key, as two workers behind a load balancer; and two `cmms jobs run`
at once. Nothing that matters lives in a worker's memory, so they behave as one: the login lockout
counts failures on both, a logout on one is refused on the other, one Idempotency-Key sent to both
at once has one effect and one answer, and each reminder goes out once."""

from __future__ import annotations

import json
import secrets
import subprocess
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import select

from api.auth.models import LoginThrottle
from api.cases.models import Case
from api.notifications.models import Notification
from api.users.models import User
from tests import live

LOCKOUT_THRESHOLD = 6
HEARINGS = 3
#: the service's time zone (the settings' default): "tomorrow" of the hearing reminders
ZONE = ZoneInfo("Asia/Karachi")


@pytest.fixture(scope="module")
def site(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("workers")
    with live.live_database(database_url, tmp, CMMS_LOCKOUT_THRESHOLD=str(LOCKOUT_THRESHOLD)) as db:
        a, b = db.server(start=False), db.server(start=False)
        started = live.at_once([a.start, b.start])
        assert started == [a, b], started
        assert a.proc is not None and b.proc is not None and a.proc.pid != b.proc.pid
        with db.engine.connect() as conn:
            users = dict(conn.execute(select(User.username, User.id)).all())
        yield {"db": db, "a": a, "b": b, "refs": db.refs(), "users": users}


def _login(base: str, username: str, password: str = live.DEMO_PASSWORD) -> httpx.Response:
    return httpx.post(
        f"{base}/api/v1/auth/token", data={"username": username, "password": password}, timeout=60
    )


def test_failed_logins_on_both_workers_count_toward_one_lockout(site: dict[str, Any]) -> None:
    a, b = site["a"].base, site["b"].base
    answers = live.at_once(
        [lambda i=i: _login(a if i % 2 else b, "pp.south2", f"wrong-{i}") for i in range(LOCKOUT_THRESHOLD)]
    )
    assert [r.status_code for r in answers] == [401] * LOCKOUT_THRESHOLD, [r.text for r in answers]
    # the threshold was reached by failures on both workers: the right password is refused on both
    for base in (a, b):
        locked = _login(base, "pp.south2")
        assert locked.status_code == 429, locked.text
        assert int(locked.headers["Retry-After"]) > 0
    with site["db"].engine.connect() as conn:
        row = conn.execute(select(LoginThrottle).where(LoginThrottle.username == "pp.south2")).one()
    assert row.locked_until is not None
    # one failure short of the threshold on each worker in turn does not lock
    for i in range(LOCKOUT_THRESHOLD - 1):
        assert _login(a if i % 2 else b, "pp.south1", "wrong").status_code == 401
    assert _login(b, "pp.south1").status_code == 200


def test_logout_on_one_worker_ends_the_session_on_the_other(site: dict[str, Any]) -> None:
    a, b = site["a"].base, site["b"].base
    pair = _login(a, "clerk.south").json()
    auth = {"Authorization": f"Bearer {pair['access_token']}"}
    assert httpx.get(f"{b}/api/v1/users/me", headers=auth).status_code == 200
    assert httpx.post(f"{a}/api/v1/auth/logout", headers=auth).status_code == 204
    for base in (b, a):
        refused = httpx.get(f"{base}/api/v1/users/me", headers=auth)
        assert refused.status_code == 401, refused.text
    refreshed = httpx.post(f"{b}/api/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})
    assert refreshed.status_code == 401, refreshed.text


def test_one_idempotency_key_on_both_workers_at_once_has_one_effect(site: dict[str, Any]) -> None:
    a, b, refs = site["a"], site["b"], site["refs"]
    auth = a.sign_in("clerk.south")
    for round_ in range(4):
        key = f"both-{round_}-{secrets.token_hex(6)}"
        body = live.filing(refs, f"W-IDEM-{round_}")

        def post(base: str, body: dict[str, Any] = body, key: str = key) -> httpx.Response:
            headers = {**auth, "Idempotency-Key": key}
            return httpx.post(f"{base}/api/v1/cases", json=body, headers=headers, timeout=60)

        first, second = live.at_once([lambda: post(a.base), lambda: post(b.base)])
        assert (first.status_code, second.status_code) == (201, 201), (first.text, second.text)
        assert first.json() == second.json()
        replayed = sorted(r.headers.get("Idempotent-Replayed", "") for r in (first, second))
        assert replayed == ["", "true"]
        with site["db"].engine.connect() as conn:
            ids = conn.execute(select(Case.id).where(Case.fir_number == f"W-IDEM-{round_}")).scalars().all()
        assert ids == [first.json()["id"]]


def _two_runners(db: live.LiveDatabase, *args: str) -> dict[str, list[dict[str, Any]]]:
    """Two `cmms jobs run` started together, both exiting 0; per job, the results of the runs that
    ran it (the other runner reports it skipped)."""
    procs = [
        subprocess.Popen(
            [str(live.BIN / "cmms"), "jobs", "run", *args],
            env=db.env,
            cwd=live.ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    ran: dict[str, list[dict[str, Any]]] = {}
    skipped: Counter[str] = Counter()
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, (out, err)
        for line in out.splitlines():
            name, _, rest = line.partition(": ")
            state, _, result = rest.partition(" ")
            if state == "ran":
                ran.setdefault(name, []).append(json.loads(result))
            else:
                assert state == "skipped", line
                skipped[name] += 1
    assert {n: len(r) + skipped[n] for n, r in ran.items()} == dict.fromkeys(ran, 2)
    return ran


def test_two_job_runners_at_once_send_each_reminder_once(site: dict[str, Any]) -> None:
    a, refs, users, db = site["a"], site["refs"], site["users"], site["db"]
    auth = a.sign_in("clerk.south")
    district_id = refs["districts"]["KHI-S"]
    tomorrow = datetime.now(ZONE).date() + timedelta(days=1)
    hearings = {}
    for i in range(HEARINGS):
        case = httpx.post(f"{a.base}/api/v1/cases", json=live.filing(refs, f"W-JOB-{i}"), headers=auth)
        assert case.status_code == 201, case.text
        prosecutor = users["pp.south1" if i % 2 else "pp.south2"]
        hearing = httpx.post(
            f"{a.base}/api/v1/hearings",
            json={
                "case_id": case.json()["id"],
                "court_id": refs["courts"][district_id],
                "starts_at": datetime.combine(tomorrow, time(9 + i), tzinfo=ZONE).isoformat(),
                "purpose": "charge",
                "prosecutor_id": prosecutor,
            },
            headers=auth,
        )
        assert hearing.status_code == 201, hearing.text
        hearings[hearing.json()["id"]] = prosecutor

    first = _two_runners(db)
    # of two runners at once, one ran each job (the lease) and the other skipped it
    assert {name: len(runs) for name, runs in first.items()} == {
        "deadline_reminders": 1,
        "hearing_reminders": 1,
    }, first
    assert "error" not in first["deadline_reminders"][0] and "error" not in first["hearing_reminders"][0]

    with db.engine.connect() as conn:
        sent = conn.execute(select(Notification.user_id, Notification.kind, Notification.dedupe_key)).all()
    reminders = {(uid, key) for uid, kind, key in sent if kind == "hearing_reminder"}
    assert reminders == {(uid, f"hearing:{hid}:{tomorrow.isoformat()}") for hid, uid in hearings.items()}
    overdue = [row for row in sent if row.kind == "deadline_overdue"]
    assert overdue, "the filings' FIRs are 20 days old: their 14-day investigation deadline is overdue"
    assert first["deadline_reminders"][0]["overdue"] == len(overdue)
    assert first["hearing_reminders"][0]["reminded"] == HEARINGS

    # forced runs, again two at once: the leases and the de-duplication send nothing twice
    again = _two_runners(db, "--force")
    runs = [r for results in again.values() for r in results]
    assert runs and all("error" not in r for r in runs), again
    with db.engine.connect() as conn:
        after = conn.execute(select(Notification.user_id, Notification.kind, Notification.dedupe_key)).all()
    assert sorted(after) == sorted(sent)
    assert sum(r.get("overdue", 0) + r.get("approaching", 0) + r.get("reminded", 0) for r in runs) == 0
