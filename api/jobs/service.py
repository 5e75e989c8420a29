"""Periodic jobs: a registry of named jobs, a lease per job in ``job_leases`` so that of several
workers and processes exactly one runs a job per interval, the in-process scheduler, and
``run_due`` (what the scheduler and ``cmms jobs run`` call).

The lease. A job is *due* when its last run started at least one interval ago (a 10% slack
absorbs the scheduler's drift), and *free* when no one holds its lock (``locked_until`` past or
empty) or the caller holds it. One atomic statement claims it::

    UPDATE job_leases SET owner = :me, locked_until = :now + lock, last_run_at = :now
     WHERE name = :job AND (locked_until IS NULL OR locked_until <= :now OR owner = :me)
       AND (last_run_at IS NULL OR last_run_at <= :now - interval)

and a first run INSERTs the row instead (a second inserter hits the primary key and backs off).
SQLite serialises the claims (``BEGIN IMMEDIATE``); on PostgreSQL the second UPDATE waits for the
first's row lock and then re-checks the WHERE, so it finds the lease taken. The claim commits
before the job runs; the job runs in its own short transactions and the lease is released with
the run's result (``last_result``, which the next run receives as its ``state``, e.g. a cursor).
A worker that dies mid-run holds the lock until ``locked_until`` (at least ``LOCK_SECONDS``).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.config import Settings, get_settings
from api.db import utcnow
from api.jobs.models import JobLease

log = logging.getLogger("cmms.jobs")

#: ``factory(write=...)`` → a new session (``api.db.new_session`` in the service)
SessionFactory = Callable[..., Session]
#: ``job(session_factory, now, state) -> result`` (a JSON-able dict, kept as the next run's state)
JobFunction = Callable[[SessionFactory, datetime, dict[str, Any]], dict[str, Any]]

#: a claimed job stays locked at least this long (a crashed worker's lock expires after it)
LOCK_SECONDS = 15 * 60
#: a job is due a little before its interval is over, so a scheduler's drift never skips a run
DUE_SLACK = 0.1

#: the in-process scheduler's first run comes this long after the start (not during it)
FIRST_DELAY_SECONDS = 10.0

#: this process: host, pid and a random part (a restarted worker is a new owner)
OWNER = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"[:128]


@dataclass(frozen=True)
class Job:
    name: str
    run: JobFunction
    #: None: the settings' ``jobs_interval_seconds``
    interval_seconds: int | None = None
    description: str = ""


_REGISTRY: dict[str, Job] = {}


def register(
    name: str, *, interval_seconds: int | None = None, description: str = ""
) -> Callable[[JobFunction], JobFunction]:
    def add(fn: JobFunction) -> JobFunction:
        _REGISTRY[name] = Job(
            name=name,
            run=fn,
            interval_seconds=interval_seconds,
            description=description or (fn.__doc__ or "").strip().splitlines()[0],
        )
        return fn

    return add


def registry() -> dict[str, Job]:
    """Every registered job, by name (the job modules are imported here)."""
    from api.jobs import reminders  # noqa: F401  (registers deadline_reminders, hearing_reminders)

    return dict(sorted(_REGISTRY.items()))


@dataclass(frozen=True)
class Outcome:
    name: str
    ran: bool
    #: the job's result, or why it did not run
    result: dict[str, Any]


# --- the lease ---------------------------------------------------------------------------------


def claim(
    session_factory: SessionFactory,
    name: str,
    *,
    now: datetime,
    owner: str,
    interval_seconds: int,
    force: bool = False,
) -> tuple[bool, dict[str, Any]]:
    """(claimed, the previous run's result). ``force`` ignores the interval, never another's lock."""
    until = now + timedelta(seconds=max(LOCK_SECONDS, interval_seconds))
    due_before = now - timedelta(seconds=interval_seconds * (1 - DUE_SLACK))
    conditions = [
        JobLease.name == name,
        or_(JobLease.locked_until.is_(None), JobLease.locked_until <= now, JobLease.owner == owner),
    ]
    if not force:
        conditions.append(or_(JobLease.last_run_at.is_(None), JobLease.last_run_at <= due_before))
    session = session_factory(write=True)
    try:
        taken = session.execute(
            update(JobLease)
            .where(*conditions)
            .values(owner=owner, locked_until=until, last_run_at=now)
            .execution_options(synchronize_session=False)
        )
        claimed = taken.rowcount == 1  # type: ignore[attr-defined]
        state: dict[str, Any] = {}
        if claimed:
            state = session.scalar(select(JobLease.last_result).where(JobLease.name == name)) or {}
        elif session.scalar(select(JobLease.name).where(JobLease.name == name)) is None:
            try:
                with session.begin_nested():
                    session.add(JobLease(name=name, owner=owner, locked_until=until, last_run_at=now))
                claimed = True
            except IntegrityError:  # another worker inserted it first: theirs
                claimed = False
        session.commit()
        return claimed, state
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def release(session_factory: SessionFactory, name: str, *, owner: str, result: dict[str, Any]) -> None:
    """Unlock the job (only if still ours) and keep the run's result."""
    session = session_factory(write=True)
    try:
        session.execute(
            update(JobLease)
            .where(JobLease.name == name, JobLease.owner == owner)
            .values(locked_until=None, last_result=result)
            .execution_options(synchronize_session=False)
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def leases(session: Session) -> list[JobLease]:
    return list(session.scalars(select(JobLease).order_by(JobLease.name)))


# --- running -----------------------------------------------------------------------------------


def run_due(
    session_factory: SessionFactory | None = None,
    now: datetime | None = None,
    *,
    owner: str | None = None,
    only: list[str] | None = None,
    jobs: Mapping[str, Job] | None = None,
    force: bool = False,
) -> list[Outcome]:
    """Run every due job whose lease this caller wins; returns what ran and what did not.
    ``only`` limits to the named jobs (unknown names raise ``KeyError``)."""
    if session_factory is None:
        from api.db import new_session

        session_factory = new_session
    now = now or utcnow()
    owner = owner or OWNER
    available = dict(jobs) if jobs is not None else registry()
    if only:
        unknown = [n for n in only if n not in available]
        if unknown:
            raise KeyError(", ".join(unknown))
        available = {n: available[n] for n in only}
    default_interval = get_settings().jobs_interval_seconds
    outcomes: list[Outcome] = []
    for name, job in available.items():
        interval = job.interval_seconds or default_interval
        claimed, state = claim(
            session_factory, name, now=now, owner=owner, interval_seconds=interval, force=force
        )
        if not claimed:
            outcomes.append(Outcome(name, False, {"skipped": "not due, or another worker holds it"}))
            continue
        try:
            result = job.run(session_factory, now, state)
        except Exception as exc:
            log.exception("job %s failed", name)
            result = {"error": f"{type(exc).__name__}: {exc}"[:500]}
        release(session_factory, name, owner=owner, result=result)
        log.info("job %s ran", name, extra={"job": name, "result": result})
        outcomes.append(Outcome(name, True, result))
    return outcomes


# --- the in-process scheduler ------------------------------------------------------------------


class Scheduler:
    """A daemon thread calling ``tick`` every ``interval`` seconds (the first time after
    ``first_delay``) until ``stop``. Every worker runs one; the leases pick who does the work."""

    def __init__(self, tick: Callable[[], Any], *, interval: float, first_delay: float = 5.0) -> None:
        self.tick = tick
        self.interval = interval
        self.first_delay = first_delay
        self.ticks = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="cmms-jobs", daemon=True)

    def start(self) -> Scheduler:
        self._thread.start()
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _loop(self) -> None:
        delay = self.first_delay
        while not self._stop.wait(delay):
            try:
                self.tick()
            except Exception:
                log.exception("periodic jobs failed")
            self.ticks += 1
            delay = self.interval

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)


def scheduler_wanted(settings: Settings) -> bool:
    """In-process jobs run when enabled, except under the test suite (CMMS_ENV=test), whose tests
    start a scheduler themselves when they need one."""
    return settings.jobs_enabled and settings.env != "test"


def start_scheduler(settings: Settings) -> Scheduler:
    return Scheduler(
        lambda: run_due(), interval=settings.jobs_interval_seconds, first_delay=FIRST_DELAY_SECONDS
    ).start()
