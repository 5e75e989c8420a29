"""Engine, declarative Base, and the request's unit of work.

SQLite runs in WAL mode with foreign keys and a busy timeout; a session opened for writing starts
its transaction with ``BEGIN IMMEDIATE`` so concurrent writers queue instead of failing half-way.
PostgreSQL runs through psycopg 3.
"""

from __future__ import annotations

import select
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from pydantic import AfterValidator, AwareDatetime
from pydantic_core import from_json
from sqlalchemy import (
    Boolean,
    ColumnElement,
    DateTime,
    Engine,
    Integer,
    MetaData,
    any_,
    bindparam,
    create_engine,
    event,
    exc,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, declared_attr, mapped_column, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.sql import coercions, roles
from sqlalchemy.sql.visitors import InternalTraversal
from sqlalchemy.types import TypeDecorator

from api.config import get_settings

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

WRITE_OPTION = "cmms_write"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Versioned:
    """Optimistic concurrency: ``version`` grows on every UPDATE and is the resource's ETag."""

    version: Mapped[int] = mapped_column(Integer, default=1, nullable=False)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes stored in UTC on both databases (SQLite keeps no offset)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        if dialect.name == "postgresql":  # a session in UTC (``make_engine``): already UTC values
            return None
        return super().result_processor(dialect, coltype)


def _as_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59-12:00 has no UTC equivalent
        raise ValueError("date-time out of range") from None


#: an input date-time that must carry an offset; converted to UTC (out-of-range values are a 422)
AwareUTC = Annotated[AwareDatetime, AfterValidator(_as_utc)]


def columns_of(entity: Any) -> dict[str, Any]:
    """An entity's column values by name: what a Core row of its table holds, for code that
    presents both (a page of rows and a single entity) the same way."""
    return {c.key: getattr(entity, c.key) for c in entity.__table__.columns}


class OneOf(ColumnElement[bool]):
    """``column`` is one of the values of the list parameter ``name`` (``one_of``)."""

    inherit_cache = True
    _is_implicitly_boolean = True  # a condition as it is (SQLite would otherwise add "= 1")
    _traverse_internals = [  # SQLAlchemy's cache key: the statement is cached by column and name
        ("column", InternalTraversal.dp_clauseelement),
        ("name", InternalTraversal.dp_string),
    ]
    type = Boolean()

    def __init__(self, column: ColumnElement[Any], name: str) -> None:
        self.column = column
        self.name = name


def one_of(column: Any, name: str) -> OneOf:
    """A kept statement's ``column IN (:name)`` for a list given at execution. SQLite: an expanding
    ``IN (?, ?, …)``. PostgreSQL: ``= ANY(:name)`` with the list as one array parameter, so the SQL
    text is the same whatever the list's length: psycopg parses it once and the server prepares
    it, where an expanding IN made a new statement of each length (1.2 ms of CPU on a page of 50
    hearings' labels, measured)."""
    return OneOf(coercions.expect(roles.ExpressionElementRole, column), name)


@compiles(OneOf)
def _one_of_in(element: OneOf, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.column.in_(bindparam(element.name, expanding=True)), **kw)


@compiles(OneOf, "postgresql")
def _one_of_any(element: OneOf, compiler: Any, **kw: Any) -> str:
    values = bindparam(element.name, type_=postgresql.ARRAY(element.column.type))
    return compiler.process(element.column == any_(values), **kw)


def utcnow() -> datetime:
    return datetime.now(UTC)


def local_zone() -> ZoneInfo:
    """The service's time zone (settings.timezone): court times, "today", due dates."""
    return ZoneInfo(get_settings().timezone)


def local_date(at: datetime | None = None) -> date:
    """The local date at ``at`` (default: now, from ``utcnow``, which tests pin)."""
    return (at or utcnow()).astimezone(local_zone()).date()


#: one write lock per SQLite database file in this process (engines to the same file share it)
_WRITE_LOCKS: dict[str, threading.Lock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()
_HOLDS_LOCK = "cmms_write_lock"
#: how long a writer waits for the in-process write lock (the same as SQLite's busy_timeout)
WRITE_LOCK_TIMEOUT = 30.0


def _write_lock_for(path: str, engine: Engine) -> threading.Lock:
    key = str(Path(path).resolve()) if path and path != ":memory:" else f"memory:{id(engine)}"
    with _WRITE_LOCKS_GUARD:
        return _WRITE_LOCKS.setdefault(key, threading.Lock())


def _configure_sqlite(engine: Engine, path: str = "") -> None:
    """WAL, foreign keys, a busy timeout, and BEGIN IMMEDIATE for writing sessions.

    SQLite has one writer at a time. A second ``BEGIN IMMEDIATE`` waits in SQLite's busy handler,
    which sleeps in growing steps (up to 100 ms) and is not fair: under concurrent audited reads
    that produced p99s of seconds. So writers of this process first take an in-process lock
    (FIFO-ish, no sleeping), acquired just before ``BEGIN IMMEDIATE`` and released when the
    connection goes back to the pool (after its commit or rollback) or is invalidated. The busy
    timeout still covers writers in other processes (workers, the CLI)."""
    lock = _write_lock_for(path, engine)

    def _release(record: Any) -> None:
        if record is not None and record.info.pop(_HOLDS_LOCK, False):
            lock.release()

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if not conn.get_execution_options().get(WRITE_OPTION, False):
            conn.exec_driver_sql("BEGIN")
            return
        record = conn.connection._connection_record
        if record is not None and not record.info.get(_HOLDS_LOCK):
            if not lock.acquire(timeout=WRITE_LOCK_TIMEOUT):
                raise sqlite3.OperationalError("database is locked (waited for this process's writers)")
            record.info[_HOLDS_LOCK] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _release(record)
            raise

    @event.listens_for(engine, "reset")
    def _on_reset(dbapi_conn: Any, record: Any, state: Any) -> None:
        # back to the pool: end any open transaction *before* letting the next writer in
        if record is not None and record.info.get(_HOLDS_LOCK):
            try:
                if not state.transaction_was_reset:
                    dbapi_conn.rollback()
            finally:
                _release(record)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn: Any, record: Any) -> None:
        _release(record)

    @event.listens_for(engine, "invalidate")
    def _on_invalidate(_dbapi_conn: Any, record: Any, _exc: Any) -> None:
        _release(record)

    @event.listens_for(engine, "close")
    def _on_close(_dbapi_conn: Any, record: Any) -> None:
        _release(record)


#: PostgreSQL connections a process keeps open: one for each request inside (api/routing.py) and
#: the background writers'. One opened beyond them is closed after use, and each new connection
#: costs PostgreSQL a process and its caches (with 10 kept for 16 busy connections, one request
#: in eight opened one: 144 in 1,236 case details)
POOL_SIZE = 20
#: pooled connections not held by requests: the read audit log's writer, the job scheduler
BACKGROUND_CONNECTIONS = 2


def make_engine(url: str, *, pooled: bool = True) -> Engine:
    """``pooled=False`` for one-shot tools (migrations, CLI) that must leave no connection behind.

    JSON columns are parsed by pydantic-core's parser rather than the standard library's: a
    hearings page (50 rows, each with its witnesses examined) read 0.36 ms faster (1.31 -> 0.96)."""
    extra: dict[str, Any] = {"json_deserializer": from_json}
    if not pooled:
        extra["poolclass"] = NullPool
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        if pooled:  # as many connections as concurrent requests: a checkout never waits
            extra |= {"pool_size": 20, "max_overflow": 20}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **extra)
        _configure_sqlite(engine, path)
        return engine
    if pooled:
        extra |= {"pool_size": POOL_SIZE, "max_overflow": 10}
    engine = create_engine(url, **extra)
    event.listen(engine, "connect", _in_utc)
    if pooled:
        event.listen(engine, "checkout", _check_alive)
    return engine


def _in_utc(dbapi_conn: Any, _record: Any) -> None:
    """A PostgreSQL session in UTC whatever the server's setting: psycopg then gives every
    ``timestamptz`` as a ``datetime.UTC`` value, so ``UTCDateTime`` has nothing to convert."""
    dbapi_conn.execute("SET TIME ZONE 'UTC'")
    dbapi_conn.commit()


def _check_alive(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """A pooled PostgreSQL connection is idle between requests: the server sends it nothing unless
    it is going away (a restart, a failover, an idle timeout: its last words, then EOF). So a
    zero-timeout poll of the socket tells a dead one on checkout, where ``pool_pre_ping`` would
    spend a round trip of every request (~0.2 ms of CPU); SQLAlchemy then connects anew."""
    if dbapi_conn.closed or dbapi_conn.broken:
        raise exc.DisconnectionError("the connection is closed")
    poll = select.poll()
    poll.register(dbapi_conn.fileno(), select.POLLIN)
    if poll.poll(0):
        raise exc.DisconnectionError("the server has closed the connection")


@lru_cache
def get_engine() -> Engine:
    return make_engine(get_settings().database_url)


@lru_cache
def _sessionmakers() -> tuple[sessionmaker[Session], sessionmaker[Session]]:
    engine = get_engine()
    read = sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)
    write = sessionmaker(
        bind=engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False, autoflush=True
    )
    return read, write


def new_session(*, write: bool) -> Session:
    read, writer = _sessionmakers()
    return (writer if write else read)()


@contextmanager
def unit_of_work(*, write: bool = True) -> Iterator[Session]:
    """A session for scripts and the CLI: commits at the end, rolls back on error."""
    session = new_session(write=write)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


READ_METHODS = {"GET", "HEAD", "OPTIONS"}


def request_session(request: Request) -> Session:
    """The request's session. The router's UnitOfWorkRoute commits it once before the response."""
    session = getattr(request.state, "db", None)
    if session is None:
        session = new_session(write=request.method not in READ_METHODS)
        request.state.db = session
    return session


# The dependencies are coroutines although they do no I/O (a Session connects on first use, in
# the endpoint's thread): a plain ``def`` dependency costs every request a trip through the
# thread pool.


async def get_db(request: Request) -> Session:
    return request_session(request)


DbSession = Annotated[Session, Depends(get_db)]


async def get_write_db(request: Request) -> Session:
    """For the few reads that write (audited reads of sensitive records): a writing transaction."""
    session = getattr(request.state, "db", None)
    if session is None:
        session = new_session(write=True)
        session.info[AUDITED_READ] = True
        request.state.db = session
    return session


WriteDbSession = Annotated[Session, Depends(get_write_db)]

#: set on the sessions of :func:`get_write_db`: nothing is written before the audited read's entry
AUDITED_READ = "cmms_audited_read"


def _restart(session: Session, *, write: bool) -> None:
    """End the session's (read-only) transaction and begin the next one as a reader or a writer."""
    if session.in_transaction():
        session.commit()
    session.connection(execution_options={WRITE_OPTION: write})


@contextmanager
def audited_read(session: Session) -> Iterator[None]:
    """Reads of an audited read (its access checks and the record itself) outside the write lock,
    then the audit entry in its own short write transaction, committed before the response is
    built; the rest of the request reads in a new read transaction.

    Only for the sessions of :func:`get_write_db` (which hold no changes before this point); in any
    other session (a CLI's unit of work, a larger write) the block just runs in the caller's
    transaction. Without this, the writer's lock (SQLite) or the audit chain's advisory lock
    (PostgreSQL) is held for the whole request, from authentication to serialisation."""
    if not session.info.get(AUDITED_READ) or session.new or session.dirty or session.deleted:
        yield
        return
    session.info[AUDITED_READ] = False  # once per request
    _restart(session, write=True)
    yield
    session.commit()
    session.connection(execution_options={WRITE_OPTION: False})


def begin_reading(session: Session) -> None:
    """Start an audited read's session as a reader, so its checks run outside the write lock."""
    if session.info.get(AUDITED_READ) and not session.in_transaction():
        session.connection(execution_options={WRITE_OPTION: False})
