"""api.db's statement helpers, on the pass's database."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest
from sqlalchemy import exc, literal, select
from sqlalchemy.dialects import postgresql, sqlite

from api.db import UTCDateTime, _check_alive, make_engine, one_of
from api.reference.models import District

BY_CODE = select(District.code).where(one_of(District.code, "codes")).order_by(District.code)
BY_ID = select(District.id).where(one_of(District.id, "ids")).order_by(District.id)


def test_one_of_takes_lists_of_any_length(db) -> None:
    codes = list(db.scalars(select(District.code).order_by(District.code)))
    ids = list(db.scalars(select(District.id).order_by(District.id)))
    assert len(codes) >= 3
    conn = db.connection()
    for n in (0, 1, 2, len(codes)):
        assert list(conn.execute(BY_CODE, {"codes": codes[:n]}).scalars()) == codes[:n]
        assert list(conn.execute(BY_ID, {"ids": ids[:n]}).scalars()) == ids[:n]
    assert list(conn.execute(BY_ID, {"ids": [ids[0], ids[0], -1]}).scalars()) == [ids[0]]


def test_one_of_is_one_statement_text_on_postgresql_whatever_the_length() -> None:
    """The point of it: PostgreSQL gets one array parameter (its SQL never changes with the list);
    SQLite an expanding IN."""
    assert "= ANY (%(ids)s::INTEGER[])" in str(BY_ID.compile(dialect=postgresql.psycopg.dialect()))
    assert "IN (__[POSTCOMPILE_ids])" in str(BY_ID.compile(dialect=sqlite.dialect()))


class _Idle:
    """A pooled DBAPI connection's face to ``_check_alive``: its socket and its flags."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.closed, self.broken = sock, False, False

    def fileno(self) -> int:
        return self.sock.fileno()


def test_a_checkout_tells_a_connection_the_server_has_left(database_url: str) -> None:
    """A backend that ended under the pool (a restart, an idle timeout) costs no request: the next
    checkout connects anew. The check on a socket pair, then (PostgreSQL) on a real backend."""
    ours, server = socket.socketpair()
    with ours, server:
        idle = _Idle(ours)
        _check_alive(idle, None, None)  # quiet: alive
        server.sendall(b"E")  # PostgreSQL's last words (FATAL 57P01) before it closes
        with pytest.raises(exc.DisconnectionError):
            _check_alive(idle, None, None)
        ours.recv(1)
        server.close()  # EOF
        with pytest.raises(exc.DisconnectionError):
            _check_alive(idle, None, None)
    for flag in ("closed", "broken"):
        ours, server = socket.socketpair()
        with ours, server:
            idle = _Idle(ours)
            setattr(idle, flag, True)
            with pytest.raises(exc.DisconnectionError):
                _check_alive(idle, None, None)
    if not database_url.startswith("postgresql"):
        return  # SQLite's connections live in the process: no server to leave them
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            first = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
            conn.rollback()
        with make_engine(database_url, pooled=False).connect() as admin:  # ends it, waits 10 s at most
            assert admin.exec_driver_sql(f"SELECT pg_terminate_backend({int(first)}, 10000)").scalar_one()
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one() != first
    finally:
        engine.dispose()


def test_a_date_time_comes_back_in_utc_whatever_the_server_zone(database_url: str) -> None:
    """PostgreSQL sessions run in UTC (a server set to Karachi time included), so a ``timestamptz``
    needs no conversion; SQLite's naive text is marked UTC."""
    url = database_url
    if url.startswith("postgresql"):
        url += ("&" if "?" in url else "?") + "options=-c%20TimeZone%3DAsia/Karachi"
    engine = make_engine(url, pooled=False)
    at = datetime(2026, 11, 29, 6, 30, tzinfo=UTC)
    try:
        with engine.connect() as conn:
            got = conn.execute(select(literal(at, UTCDateTime()))).scalar_one()
    finally:
        engine.dispose()
    assert got == at
    assert got.tzinfo is UTC, got.tzinfo
