"""api.db's statement helpers, on the pass's database."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from api.db import one_of
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
