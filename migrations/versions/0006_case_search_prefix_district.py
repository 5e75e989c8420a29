"""case search at scale: FTS5 prefix indexes and a district word in every document

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 07:00:00

SQLite: ``case_search`` is rebuilt with ``prefix='2 3 4'`` (a query word is a prefix, and without a
prefix index FTS5 merges the doclists of every word starting with it before the first match; with
it, words of 2-4 letters are read like whole words and the page stops early). Both databases: each
document gets its district's word (``api.search.service.district_token``), so a district-scoped
search intersects inside the index. Existing documents are carried over (SQLite copies the stored
text; PostgreSQL appends the word to the tsvector).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'"
#: must match api.search.service.district_token
TOKEN_SQL = "'cmmsd' || c.district_id || 'z'"


def _rebuild_sqlite(options: str, body: str) -> None:
    op.execute(f"CREATE VIRTUAL TABLE case_search_new USING fts5(body, {TOKENIZE}{options})")
    op.execute(
        f"INSERT INTO case_search_new (rowid, body) SELECT s.rowid, {body} "
        "FROM case_search AS s JOIN cases AS c ON c.id = s.rowid"
    )
    op.execute("DROP TABLE case_search")
    op.execute("ALTER TABLE case_search_new RENAME TO case_search")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"UPDATE case_search AS s SET tsv = s.tsv || to_tsvector('simple', {TOKEN_SQL}) "
            "FROM cases AS c WHERE c.id = s.case_id"
        )
        return
    _rebuild_sqlite(", prefix = '2 3 4'", f"s.body || ' ' || {TOKEN_SQL}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"UPDATE case_search AS s SET tsv = ts_delete(s.tsv, {TOKEN_SQL}) FROM cases AS c WHERE c.id = s.case_id"
        )
        return
    suffix = f"length(' ' || {TOKEN_SQL})"
    _rebuild_sqlite(
        "",
        f"CASE WHEN s.body LIKE '%' || {TOKEN_SQL} THEN substr(s.body, 1, length(s.body) - {suffix}) ELSE s.body END",
    )
