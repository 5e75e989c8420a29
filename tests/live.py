"""A live CMMS server for tests that need real processes (browser tests, the benchmark, fuzzing,
crashes, several workers): an environment over a fresh database, `cmms` commands against it, and
uvicorn started on a free loopback port, waited for, and always stopped."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "Demo-Passw0rd-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(tmp: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """The server's environment: test settings, a fresh key, files under ``tmp``; SQLite in ``tmp``
    unless ``database_url`` is given."""
    return {
        **os.environ,
        "CMMS_ENV": "test",
        "CMMS_JWT_SECRET": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url or f"sqlite:///{tmp / 'live.db'}",
        "CMMS_FILES_DIR": str(tmp / "files"),
        "CMMS_LOG_LEVEL": "WARNING",
        **extra,
    }


def cmms(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``cmms ARGS`` against the environment's database; a failure raises with its output."""
    done = subprocess.run([str(BIN / "cmms"), *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"cmms {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


@contextlib.contextmanager
def server(
    env: dict[str, str],
    logfile: Path,
    *,
    workers: int = 1,
    ready: str = "/ready",
    timeout: float = 60,
    port: int | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """uvicorn on ``port`` (a free one by default); yields the base URL and the process. The process
    is stopped (terminated, killed after 15 s) on the way out, unless the caller already did."""
    port = port or free_port()
    cmd = [str(BIN / "uvicorn"), "api.main:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    with logfile.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc, logfile, ready=ready, timeout=timeout)
        yield base, proc
    finally:
        stop(proc)


def wait_ready(
    base: str, proc: subprocess.Popen[bytes], logfile: Path, *, ready: str, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}{ready}", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start; see {logfile}:\n{logfile.read_text()[-2000:]}")
        time.sleep(0.2)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def sign_in(base: str, username: str, password: str = DEMO_PASSWORD) -> str:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": password}, timeout=30)
    r.raise_for_status()
    return r.json()["access_token"]


# --- a live server on a fresh database of the test pass's kind (races, crashes, several workers) ---

#: users of a fresh live database: username, roles, district code (password DEMO_PASSWORD)
LIVE_USERS: tuple[tuple[str, tuple[str, ...], str | None], ...] = (
    ("clerk.south", ("clerk",), "KHI-S"),
    ("dp.south", ("district_prosecutor",), "KHI-S"),
    ("pp.south1", ("prosecutor",), "KHI-S"),
    ("pp.south2", ("prosecutor",), "KHI-S"),
    ("clerk.hyd", ("clerk",), "HYD"),
    ("auditor", ("auditor",), None),
)


@contextlib.contextmanager
def fresh_database(like: str, tmp: Path, *, template: str | None = None) -> Iterator[str]:
    """An empty database of the same kind as the URL ``like`` (or a copy of ``template``, a
    database of that kind): a new SQLite file under ``tmp``, or a new database in the same
    PostgreSQL cluster (created over an autocommit connection and dropped, with whatever is still
    connected, on the way out)."""
    if like.startswith("sqlite"):
        path = tmp / "live.db"
        if template:
            source = template.split("///", 1)[1]
            with (
                contextlib.closing(sqlite3.connect(source)) as src,
                contextlib.closing(sqlite3.connect(path)) as dst,
            ):
                src.backup(dst)
        yield f"sqlite:///{path}"
        return
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.pool import NullPool

    name = f"cmms_live_{secrets.token_hex(6)}"
    admin = create_engine(like, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with admin.connect() as conn:
        copy = f' TEMPLATE "{make_url(template).database}"' if template else ""
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    try:
        yield make_url(like).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def prepare(url: str, users: Iterable[tuple[str, Iterable[str], str | None]] = LIVE_USERS) -> None:
    """Migrate ``url``, load the reference data and create ``users`` (password DEMO_PASSWORD), in
    this process and without touching its settings (the hashes use this process's password
    context: the test suite's cheap argon2; the server re-hashes at the shipped cost on a login)."""
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from api import migrate
    from api.audit.service import Origin
    from api.db import make_engine
    from api.reference.loader import load_reference
    from api.reference.models import District
    from api.users import service as users_service
    from api.users.schemas import UserCreate

    migrate.upgrade(url)
    engine = make_engine(url, pooled=False)
    try:
        with Session(engine) as session:
            load_reference(session)
            districts = {d.code: d.id for d in session.scalars(select(District))}
            for username, roles, district in users:
                data = UserCreate(
                    username=username,
                    password=DEMO_PASSWORD,
                    full_name=username,
                    roles=list(roles),
                    district_id=districts[district] if district else None,
                )
                users_service.create_user(session, data=data, origin=Origin())
            session.commit()
    finally:
        engine.dispose()


#: the pass's database URL → a database prepared with LIVE_USERS, copied for each live database
#: (migrating once per test run, not once per test module); it goes with the run's temporary
#: folder or throwaway cluster
_TEMPLATES: dict[str, str] = {}


def _template(like: str) -> str:
    if like not in _TEMPLATES:
        tmp = Path(tempfile.mkdtemp(prefix="cmms-live-template-"))
        if like.startswith("sqlite"):
            url = f"sqlite:///{tmp / 'template.db'}"
        else:
            from sqlalchemy import create_engine, text
            from sqlalchemy.engine import make_url
            from sqlalchemy.pool import NullPool

            name = f"cmms_live_template_{secrets.token_hex(6)}"
            admin = create_engine(like, isolation_level="AUTOCOMMIT", poolclass=NullPool)
            with admin.connect() as conn:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            url = make_url(like).set(database=name).render_as_string(hide_password=False)
        prepare(url)
        _TEMPLATES[like] = url
    return _TEMPLATES[like]


class LiveServer:
    """uvicorn over a live database: ``start`` (on a new free port each time), ``kill`` (SIGKILL:
    no shutdown, no cleanup, in-flight requests cut off), ``stop`` (graceful), ``restart``."""

    def __init__(self, env: dict[str, str], logfile: Path, *, workers: int = 1) -> None:
        self.env, self.logfile, self.workers = env, logfile, workers
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = ""

    def start(self, timeout: float = 60) -> LiveServer:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        port = free_port()
        cmd = [str(BIN / "uvicorn"), "api.main:create_app", "--factory", "--host", "127.0.0.1",
               "--port", str(port), "--workers", str(self.workers), "--no-access-log",
               "--log-level", "warning"]  # fmt: skip
        with self.logfile.open("ab") as out:
            self.proc = subprocess.Popen(cmd, env=self.env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        self.base = f"http://127.0.0.1:{port}"
        try:
            wait_ready(self.base, self.proc, self.logfile, ready="/ready", timeout=timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def kill(self) -> None:
        """SIGKILL (a single process: use it with ``workers=1``)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc)

    def restart(self, timeout: float = 60) -> LiveServer:
        self.stop()
        return self.start(timeout)

    def sign_in(self, username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
        """The Authorization header of a fresh login."""
        return {"Authorization": f"Bearer {sign_in(self.base, username, password)}"}


class LiveDatabase:
    """A prepared database, the environment its servers and ``cmms`` commands share (one JWT
    secret, one files folder), the servers started over it, and an engine for the test's own
    checks (no pool: it holds no connection between them)."""

    def __init__(self, url: str, tmp: Path, env: dict[str, str]) -> None:
        from sqlalchemy import create_engine
        from sqlalchemy.pool import NullPool

        self.url, self.tmp, self.env = url, tmp, env
        self.servers: list[LiveServer] = []
        self.engine = create_engine(url, poolclass=NullPool)

    def server(self, *, workers: int = 1, start: bool = True) -> LiveServer:
        srv = LiveServer(self.env, self.tmp / f"server-{len(self.servers) + 1}.log", workers=workers)
        self.servers.append(srv)
        return srv.start() if start else srv

    def cmms(self, *args: str) -> subprocess.CompletedProcess[str]:
        return cmms(self.env, *args)

    def refs(self) -> dict[str, Any]:
        """Reference ids a filing needs: districts, and per district code a police station and a
        court; offences by (statute, section)."""
        from sqlalchemy import select

        from api.reference.models import Court, District, Offence, PoliceStation

        with self.engine.connect() as conn:
            districts = dict(conn.execute(select(District.code, District.id)).all())
            stations: dict[int, int] = {}
            for sid, did in conn.execute(
                select(PoliceStation.id, PoliceStation.district_id).order_by(PoliceStation.id)
            ):
                stations.setdefault(did, sid)
            courts: dict[int, int] = {}
            for cid, did in conn.execute(select(Court.id, Court.district_id).order_by(Court.id)):
                if did is not None:
                    courts.setdefault(did, cid)
            offences = {
                (s, n): i for i, s, n in conn.execute(select(Offence.id, Offence.statute, Offence.section))
            }
        return {"districts": districts, "stations": stations, "courts": courts, "offences": offences}

    def close(self) -> None:
        for srv in self.servers:
            srv.stop()
        self.engine.dispose()


@contextlib.contextmanager
def live_database(
    like: str,
    tmp: Path,
    *,
    users: Iterable[tuple[str, Iterable[str], str | None]] = LIVE_USERS,
    **extra_env: str,
) -> Iterator[LiveDatabase]:
    """A fresh, prepared database of the kind of ``like`` (the pass's DATABASE_URL), ready for
    ``.server()``; every server started over it is stopped and the database dropped afterwards."""
    users = tuple((name, tuple(roles), district) for name, roles, district in users)
    template = _template(like) if users == LIVE_USERS else None
    with fresh_database(like, tmp, template=template) as url:
        if template is None:
            prepare(url, users)
        db = LiveDatabase(url, tmp, environment(tmp, url, **extra_env))
        try:
            yield db
        finally:
            db.close()


def filing(
    refs: dict[str, Any], fir_number: str, *, district: str = "KHI-S", **fields: Any
) -> dict[str, Any]:
    """The body of POST /api/v1/cases: a small, valid filing with FIR ``fir_number``."""
    from datetime import date, timedelta

    district_id = refs["districts"][district]
    return {
        "district_id": district_id,
        "category": "ordinary",
        "fir": {
            "number": fir_number,
            "date": (date.today() - timedelta(days=20)).isoformat(),
            "police_station_id": refs["stations"][district_id],
            "brief_facts": "Fired upon the complainant's brother near the market.",
        },
        "offences": [{"offence_id": refs["offences"][("PPC", "302(b)")], "accused_index": 0}],
        "accused": [{"name": f"Accused {fir_number}"}],
        "complainant": {"name": "Sajid Ali"},
        **fields,
    }


def at_once(calls: Iterable[Callable[[], Any]], *, timeout: float = 120) -> list[Any]:
    """Run the callables in threads released together (a barrier), so their requests reach the
    server at the same moment; returns each one's result, or the exception it raised, in order."""
    calls = list(calls)
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            start.wait(timeout)
            results[i] = call()
        except BaseException as exc:  # returned to the caller, who decides
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    if any(t.is_alive() for t in threads):
        raise TimeoutError(f"concurrent calls still running after {timeout} s")
    return results
