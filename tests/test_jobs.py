"""Periodic jobs: the lease (of concurrent runners exactly one runs a job per interval, on a real
second connection), the reminder jobs (who is told, never twice, capped, batched), the in-process
scheduler and the app's lifespan, and ``cmms jobs run``."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, event, select
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

import api.db
from api.config import get_settings
from api.db import WRITE_OPTION, make_engine
from api.deadlines.models import CaseDeadline
from api.hearings.models import Hearing
from api.jobs import reminders
from api.jobs import service as jobs
from api.jobs.models import JobLease
from api.notifications.models import Notification
from api.reference.models import DeadlineRule
from tests.test_cases_support import assign, court_id, file_case
from tests.test_notifications import sender_log_fixture  # noqa: F401  (the sender_log fixture)

INTERVAL = get_settings().jobs_interval_seconds
NOW = datetime(2026, 11, 20, 6, 0, tzinfo=UTC)  # 11:00 in Karachi


# --- the lease, on its own database with real connections ------------------------------------------


@pytest.fixture
def lease_db(fresh_database_url: str) -> Iterator[Callable[..., Session]]:
    """A session factory on a fresh database holding only job_leases (as the service's: writers
    begin with BEGIN IMMEDIATE on SQLite), each session its own connection."""
    engine = make_engine(fresh_database_url)
    JobLease.__table__.create(engine)
    reader = sessionmaker(bind=engine, expire_on_commit=False)
    writer = sessionmaker(bind=engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False)

    def factory(*, write: bool = True) -> Session:
        return (writer if write else reader)()

    try:
        yield factory
    finally:
        engine.dispose()


def _probe(calls: list[str], pause: float = 0.0) -> jobs.Job:
    def run(session_factory: Any, now: datetime, state: dict[str, Any]) -> dict[str, Any]:
        calls.append(threading.current_thread().name)
        time.sleep(pause)
        return {"runs": int(state.get("runs", 0)) + 1}

    return jobs.Job(name="probe", run=run)


def _race(factory: Callable[..., Session], probe: jobs.Job, now: datetime, owners: list[str]) -> list[bool]:
    """Every owner runs ``run_due`` at once in its own thread; returns who ran."""
    barrier = threading.Barrier(len(owners))
    ran: dict[str, bool] = {}
    errors: list[BaseException] = []

    def worker(owner: str) -> None:
        try:
            barrier.wait()
            (outcome,) = jobs.run_due(factory, now, owner=owner, jobs={"probe": probe})
            ran[owner] = outcome.ran
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(o,), name=o) for o in owners]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    return [ran[o] for o in owners]


def test_concurrent_runners_exactly_one_runs(lease_db):
    calls: list[str] = []
    probe = _probe(calls, pause=0.3)
    # the first run ever: both try to INSERT the lease row
    assert sorted(_race(lease_db, probe, NOW, ["w1", "w2", "w3"])) == [False, False, True]
    assert len(calls) == 1
    # within the interval nobody runs it, whoever asks
    assert _race(lease_db, probe, NOW + timedelta(seconds=INTERVAL // 2), ["w1", "w2", "w3"]) == [False] * 3
    # the next interval: again exactly one (now an UPDATE of the existing row)
    assert sorted(_race(lease_db, probe, NOW + timedelta(seconds=INTERVAL), ["w1", "w2", "w3"])) == [
        False,
        False,
        True,
    ]
    assert len(calls) == 2
    with lease_db(write=False) as session:
        lease = session.get(JobLease, "probe")
        assert lease.locked_until is None and lease.last_result == {"runs": 2}  # the state carried on
        assert lease.owner in {"w1", "w2", "w3"}


def test_second_run_within_the_interval_does_nothing(lease_db):
    calls: list[str] = []
    probe = _probe(calls)
    (first,) = jobs.run_due(lease_db, NOW, owner="me", jobs={"probe": probe})
    (second,) = jobs.run_due(lease_db, NOW + timedelta(seconds=30), owner="me", jobs={"probe": probe})
    assert first.ran and first.result == {"runs": 1}
    assert not second.ran and "skipped" in second.result
    # --force runs it within the interval
    (forced,) = jobs.run_due(
        lease_db, NOW + timedelta(seconds=31), owner="me", jobs={"probe": probe}, force=True
    )
    assert forced.ran and forced.result == {"runs": 2}
    assert len(calls) == 2


def test_a_held_lease_blocks_others_until_it_expires(lease_db):
    """A worker that died mid-run keeps the lock until locked_until; then another takes over."""
    calls: list[str] = []
    probe = _probe(calls)
    claimed, _ = jobs.claim(lease_db, "probe", now=NOW, owner="dead", interval_seconds=INTERVAL)
    assert claimed
    later = NOW + timedelta(seconds=INTERVAL + 1)  # due again, but "dead" still holds the lock
    (blocked,) = jobs.run_due(lease_db, later, owner="alive", jobs={"probe": probe}, force=True)
    assert not blocked.ran and calls == []
    expired = NOW + timedelta(seconds=max(jobs.LOCK_SECONDS, INTERVAL) + 1)
    (taken,) = jobs.run_due(lease_db, expired, owner="alive", jobs={"probe": probe})
    assert taken.ran and calls == ["MainThread"]


def test_a_failing_job_is_recorded_and_released(lease_db):
    def boom(session_factory: Any, now: datetime, state: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("disk full")

    failing = jobs.Job(name="boom", run=boom)
    (outcome,) = jobs.run_due(lease_db, NOW, owner="me", jobs={"boom": failing})
    assert outcome.ran and outcome.result == {"error": "RuntimeError: disk full"}
    with lease_db(write=False) as session:
        lease = session.get(JobLease, "boom")
        assert lease.locked_until is None and lease.last_result == outcome.result
    # not retried in a hot loop: the next try waits for the interval
    (again,) = jobs.run_due(lease_db, NOW + timedelta(seconds=5), owner="other", jobs={"boom": failing})
    assert not again.ran


def test_unknown_job_names_are_refused(lease_db):
    with pytest.raises(KeyError, match="nope"):
        jobs.run_due(lease_db, NOW, only=["nope"], jobs={"probe": _probe([])})
    assert set(jobs.registry()) == {"deadline_reminders", "hearing_reminders"}


# --- the reminder jobs ------------------------------------------------------------------------------


def _factory(*, write: bool = True) -> Session:
    """The service's own session factory (the suite points it at the test's transaction)."""
    return api.db.new_session(write=write)


def _today(now: datetime = NOW) -> date:
    return now.astimezone(ZoneInfo(get_settings().timezone)).date()


def _rule(
    db: Any,
    code: str = "CRPC_173_INVESTIGATION",
    *,
    alert_days: int | None = None,
    alert_roles: str | None = None,
) -> DeadlineRule:
    """A seeded rule, with its alert settings as given (None: the defaults, lead and team)."""
    rule = db.scalar(select(DeadlineRule).where(DeadlineRule.code == code))
    rule.alert_days, rule.alert_roles = alert_days, alert_roles
    db.flush()
    return rule


def _file(db: Any, user: Any) -> Any:
    """A case with only the deadlines a test writes (filing starts the statutory clocks)."""
    case = file_case(db, user)
    db.execute(delete(CaseDeadline).where(CaseDeadline.case_id == case.id))
    return case


def _deadline(
    db: Any, case: Any, rule: DeadlineRule, due: date, *, status: str = "open", source: str = "case"
) -> CaseDeadline:
    row = CaseDeadline(
        case_id=case.id,
        district_id=case.district_id,
        rule_id=rule.id,
        source=source,
        triggered_on=due - timedelta(days=14),
        due_date=due,
        status=status,
    )
    db.add(row)
    db.flush()
    return row


def _sent(db: Any, kind: str | None = None) -> list[tuple[int, str, int | None]]:
    stmt = select(Notification.user_id, Notification.kind, Notification.case_id).order_by(Notification.id)
    if kind:
        stmt = stmt.where(Notification.kind == kind)
    return [tuple(r) for r in db.execute(stmt)]


def _run(name: str, now: datetime = NOW, *, force: bool = True) -> jobs.Outcome:
    (outcome,) = jobs.run_due(_factory, now, owner="test", only=[name], force=force)
    assert outcome.ran and "error" not in outcome.result, outcome.result
    return outcome


@pytest.fixture
def team(db, make_user):
    users = {
        "dp": make_user("district_prosecutor", district="KHI-S"),
        "dp_other": make_user("district_prosecutor", district="KHI-E"),
        "clerk": make_user("clerk", district="KHI-S"),
        "lead": make_user("prosecutor"),
        "associate": make_user("prosecutor"),
        "former": make_user("prosecutor"),
    }
    case = _file(db, users["clerk"])
    assign(db, case, users["former"], "lead")
    from api.cases.models import CaseAssignment

    db.execute(
        CaseAssignment.__table__.update()
        .where(CaseAssignment.case_id == case.id)
        .values(ended_at=NOW - timedelta(days=3))
    )
    assign(db, case, users["lead"], "lead")
    assign(db, case, users["associate"], "associate")
    return users, case


def test_deadline_reminders_tell_the_team_and_the_district_prosecutor_once(db, team, sender_log):
    users, case = team
    rule = _rule(db)
    today = _today()
    approaching = _deadline(db, case, rule, today + timedelta(days=2), source="a")
    overdue = _deadline(db, case, rule, today - timedelta(days=1), source="b")
    _deadline(db, case, rule, today + timedelta(days=10), source="c")  # not yet
    _deadline(db, case, rule, today - timedelta(days=2), status="met", source="d")  # met
    _deadline(
        db, case, rule, today - timedelta(days=reminders.OVERDUE_LOOKBACK_DAYS + 1), source="e"
    )  # backlog

    outcome = _run("deadline_reminders")
    assert outcome.result["approaching"] == 2 and outcome.result["overdue"] == 3
    assert outcome.result["cursor"] is None and outcome.result["day"] == today.isoformat()
    lead, assoc, dp = users["lead"].id, users["associate"].id, users["dp"].id
    assert sorted(_sent(db, "deadline_approaching")) == sorted(
        [(lead, "deadline_approaching", case.id), (assoc, "deadline_approaching", case.id)]
    )
    assert sorted(_sent(db, "deadline_overdue")) == sorted(
        [
            (lead, "deadline_overdue", case.id),
            (assoc, "deadline_overdue", case.id),
            (dp, "deadline_overdue", case.id),
        ]
    )
    overdue_text = db.scalar(
        select(Notification.message).where(Notification.kind == "deadline_overdue").limit(1)
    )
    assert (
        case.number in overdue_text
        and rule.legal_reference in overdue_text
        and "1 day(s) ago" in overdue_text
    )
    # e-mail copies of the overdue ones: users have no address, so logged under their usernames
    mailed = [r.getMessage().split("\n")[0] for r in sender_log if r.getMessage().startswith("email to ")]
    assert sorted(mailed) == sorted(
        f"email to user:{users[k].username} (no email address): CMMS: deadline overdue"
        for k in ("lead", "associate", "dp")
    )
    body = next(r.getMessage() for r in sender_log if r.getMessage().startswith("email to "))
    assert body.endswith(f"{get_settings().public_url}/cases/{case.id}") and case.number in body

    # again, and the next day: nothing repeats
    before = len(_sent(db))
    _run("deadline_reminders", NOW + timedelta(minutes=10))
    _run("deadline_reminders", NOW + timedelta(days=1))
    assert len(_sent(db)) == before
    # three days on, the approaching one is overdue: told once more, as overdue
    _run("deadline_reminders", NOW + timedelta(days=3))
    new = _sent(db)[before:]
    assert sorted(new) == sorted(
        [
            (lead, "deadline_overdue", case.id),
            (assoc, "deadline_overdue", case.id),
            (dp, "deadline_overdue", case.id),
        ]
    )
    keys = set(db.scalars(select(Notification.dedupe_key).where(Notification.user_id == dp)))
    assert keys == {
        f"deadline:{overdue.id}:{overdue.due_date.isoformat()}:overdue",
        f"deadline:{approaching.id}:{approaching.due_date.isoformat()}:overdue",
    }
    assert users["former"].id not in {u for u, _, _ in _sent(db)}
    assert users["dp_other"].id not in {u for u, _, _ in _sent(db)}


def test_a_rules_alert_days_and_roles_are_used(db, team):
    users, case = team
    rule = _rule(db, alert_days=10, alert_roles="lead,district_prosecutor")
    _deadline(db, case, rule, _today() + timedelta(days=9))
    _run("deadline_reminders")
    assert sorted(u for u, _, _ in _sent(db, "deadline_approaching")) == sorted(
        [users["lead"].id, users["dp"].id]
    )


def test_deadline_reminders_are_capped_per_run_and_continue(db, team, monkeypatch):
    _, case = team
    rule = _rule(db)
    for i in range(5):
        _deadline(db, case, rule, _today() + timedelta(days=1), source=f"s{i}")
    monkeypatch.setattr(reminders, "BATCH", 2)
    monkeypatch.setattr(reminders, "MAX_ROWS_PER_RUN", 3)
    first = _run("deadline_reminders")
    assert first.result["scanned"] == 3 and first.result["cursor"] is not None
    assert len(_sent(db)) == 3 * 2  # lead and associate
    second = _run("deadline_reminders", NOW + timedelta(minutes=5))
    assert second.result["scanned"] == 2 and second.result["cursor"] is None
    assert len(_sent(db)) == 5 * 2
    third = _run("deadline_reminders", NOW + timedelta(minutes=10))  # a new walk: nothing new
    assert third.result["scanned"] == 3 and len(_sent(db)) == 5 * 2


@contextmanager
def _statements(db: Any) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    engine = db.get_bind().engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_reminder_queries_do_not_grow_with_the_rows(db, make_user):
    """Batched: a run costs as many statements for 2 deadlines and hearings as for 12."""
    dp = make_user("district_prosecutor", district="KHI-S")
    rule = _rule(db)

    cases: list[int] = []

    def statements_for(n: int) -> int:
        for _ in range(n):
            case = _file(db, dp)
            lead = make_user("prosecutor")
            assign(db, case, lead, "lead")
            _deadline(db, case, rule, _today() + timedelta(days=1))
            _deadline(db, case, rule, _today() - timedelta(days=1), source="late")
            _hearing(db, case, _tomorrow_at(10), prosecutor=lead)
            cases.append(case.id)
        db.execute(Notification.__table__.delete())
        with _statements(db) as seen:
            _run("deadline_reminders")
            _run("hearing_reminders")
        assert len(_sent(db)) == 4 * len(cases)  # overdue: lead and DP; approaching: lead; hearing: lead
        return len(seen)

    _run("deadline_reminders")  # the first runs ever create the lease rows: not counted
    _run("hearing_reminders")
    assert statements_for(2) == statements_for(10)


def _tomorrow_at(hour: int, now: datetime = NOW) -> datetime:
    tz = ZoneInfo(get_settings().timezone)
    day = _today(now) + timedelta(days=1)
    return datetime(day.year, day.month, day.day, hour, tzinfo=tz).astimezone(UTC)


def _hearing(
    db: Any, case: Any, starts: datetime, *, prosecutor: Any = None, outcome: str | None = None
) -> Hearing:
    row = Hearing(
        case_id=case.id,
        district_id=case.district_id,
        court_id=court_id(db, "KHI-S"),
        starts_at=starts,
        purpose="prosecution_evidence",
        prosecutor_id=prosecutor.id if prosecutor is not None else None,
        outcome=outcome,
    )
    db.add(row)
    db.flush()
    return row


def test_hearing_reminders_tell_the_prosecutor_once(db, team):
    users, case = team
    lead, associate = users["lead"], users["associate"]
    tomorrow = _hearing(db, case, _tomorrow_at(10), prosecutor=lead)
    _hearing(db, case, _tomorrow_at(0), prosecutor=associate)  # local midnight: tomorrow
    _hearing(db, case, _tomorrow_at(10) + timedelta(days=1), prosecutor=lead)  # the day after
    _hearing(db, case, _tomorrow_at(10) - timedelta(days=1), prosecutor=lead)  # today
    _hearing(db, case, _tomorrow_at(11))  # nobody to tell
    _hearing(db, case, _tomorrow_at(12), prosecutor=lead, outcome="adjourned")  # already decided
    outcome = _run("hearing_reminders")
    assert outcome.result["reminded"] == 2 and outcome.result["scanned"] == 2
    got = sorted(_sent(db, "hearing_reminder"))
    assert got == sorted(
        [(lead.id, "hearing_reminder", case.id), (associate.id, "hearing_reminder", case.id)]
    )
    text = db.scalar(
        select(Notification.message).where(
            Notification.user_id == lead.id, Notification.kind == "hearing_reminder"
        )
    )
    assert text.startswith(
        f"Tomorrow: hearing on {_tomorrow_at(10).astimezone(ZoneInfo('Asia/Karachi')).day} "
    )
    assert ", 10:00 in " in text and case.number in text
    key = db.scalar(select(Notification.dedupe_key).where(Notification.user_id == lead.id))
    assert key == f"hearing:{tomorrow.id}:{(_today() + timedelta(days=1)).isoformat()}"
    # again: nothing new
    again = _run("hearing_reminders", NOW + timedelta(hours=2))
    assert again.result["reminded"] == 0 and len(_sent(db, "hearing_reminder")) == 2


def test_jobs_run_through_run_due_respect_the_interval(db, team):
    _, case = team
    _deadline(db, case, _rule(db), _today() + timedelta(days=1))
    outcomes = jobs.run_due(_factory, NOW, owner="a")
    assert [(o.name, o.ran) for o in outcomes] == [("deadline_reminders", True), ("hearing_reminders", True)]
    later = jobs.run_due(_factory, NOW + timedelta(seconds=10), owner="b")
    assert [o.ran for o in later] == [False, False]
    leases = {lease.name: lease for lease in jobs.leases(db)}
    assert leases["deadline_reminders"].last_result["approaching"] == 2


# --- the scheduler and the app's lifespan ----------------------------------------------------------


def test_scheduler_ticks_until_stopped():
    ticks: list[float] = []

    def tick() -> None:
        ticks.append(time.monotonic())
        if len(ticks) == 2:
            raise RuntimeError("a failing tick does not stop the scheduler")

    scheduler = jobs.Scheduler(tick, interval=0.02, first_delay=0).start()
    deadline = time.monotonic() + 10
    while len(ticks) < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    scheduler.stop()
    assert len(ticks) >= 4 and not scheduler.running
    settled = len(ticks)
    time.sleep(0.1)
    assert len(ticks) == settled


def test_scheduler_runs_only_when_enabled_and_not_under_tests():
    settings = get_settings()
    assert settings.env == "test" and not jobs.scheduler_wanted(settings)
    assert jobs.scheduler_wanted(settings.model_copy(update={"env": "production"}))
    assert not jobs.scheduler_wanted(settings.model_copy(update={"env": "production", "jobs_enabled": False}))


def test_the_app_starts_and_stops_its_scheduler(db, monkeypatch):
    from fastapi.testclient import TestClient

    from api.main import create_app

    ticks: list[int] = []
    wanted = jobs.scheduler_wanted
    monkeypatch.setattr(jobs, "run_due", lambda *a, **kw: ticks.append(1) or [])
    monkeypatch.setattr(jobs, "scheduler_wanted", lambda settings: True)
    monkeypatch.setattr(jobs, "FIRST_DELAY_SECONDS", 0.0)
    app = create_app()
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        scheduler = app.state.scheduler
        assert scheduler is not None and scheduler.running
        deadline = time.monotonic() + 10
        while not ticks and time.monotonic() < deadline:
            time.sleep(0.01)
    assert ticks and not scheduler.running
    monkeypatch.setattr(jobs, "scheduler_wanted", wanted)
    app = create_app()
    with TestClient(app):  # under tests, by default: none
        assert app.state.scheduler is None


# --- cmms jobs run -----------------------------------------------------------------------------------


@pytest.fixture
def cmms(fresh_database_url, use_database, monkeypatch):
    monkeypatch.setenv("CMMS_ENV", "development")
    if not fresh_database_url.startswith("sqlite"):
        from tests.pg import bindir

        monkeypatch.setenv("PATH", f"{bindir()}{os.pathsep}{os.environ.get('PATH', '')}")
    use_database(fresh_database_url)
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str]:
        from api.cli import app

        result = runner.invoke(app, list(args), catch_exceptions=False)
        return result.exit_code, result.output

    return run


def test_cmms_jobs_run(cmms):
    assert cmms("migrate")[0] == 0
    code, out = cmms("jobs", "run")
    assert code == 0, out
    assert "deadline_reminders: ran" in out and "hearing_reminders: ran" in out
    code, out = cmms("jobs", "run", "--job", "hearing_reminders")
    assert code == 0 and out.startswith("hearing_reminders: skipped")
    code, out = cmms("jobs", "run", "--job", "hearing_reminders", "--force")
    assert code == 0 and out.startswith("hearing_reminders: ran")
    code, out = cmms("jobs", "run", "--job", "nope")
    assert code == 2 and "no such job: nope" in out
    code, out = cmms("jobs", "list")
    assert code == 0 and "deadline_reminders: last run 20" in out and "hearing_reminders: last run 20" in out
