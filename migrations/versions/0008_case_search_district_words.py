"""case search on PostgreSQL: every word also as its district's word

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 22:00:00

PostgreSQL only (SQLite's FTS5 intersects the district word of 0006 with a query's words cheaply).
GIN intersected the district word's posting list (175,000 cases for Karachi South at 1M) with the
query's words: 25-60 ms for a district's "ali 324". Each document now also holds every word
prefixed by the district's word (``cmmsd3zali``), so a district-scoped search reads posting lists
of that district only (``api.search.service.search_cases``). ``case_search_tsv(body, district_word)``
builds a document's tsvector for ``index_case`` and the bench generator alike. Existing documents
are rebuilt from their words (about 3 minutes for 1M cases on two cores).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: must match api.search.service.district_token
TOKEN_SQL = "'cmmsd' || c.district_id || 'z'"


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # the body is normalised (words separated by spaces): each word, and each word after the
    # district's word, parsed by the same parser as a query's words
    op.execute(
        "CREATE FUNCTION case_search_tsv(body text, district_word text) RETURNS tsvector "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ "
        "SELECT to_tsvector('simple', body) "
        "|| to_tsvector('simple', regexp_replace(body, '(\\S+)', district_word || '\\1', 'g')) $$"
    )
    # rebuilt without the index, then the index built once (updating it row by row is slower)
    op.execute("DROP INDEX case_search_tsv")
    op.execute(
        "UPDATE case_search AS s SET tsv = "
        f"case_search_tsv(array_to_string(tsvector_to_array(s.tsv), ' '), {TOKEN_SQL}) "
        "FROM cases AS c WHERE c.id = s.case_id"
    )
    op.execute("SET LOCAL maintenance_work_mem = '256MB'")  # GIN builds in memory chunks of it
    op.execute("CREATE INDEX case_search_tsv ON case_search USING gin (tsv)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "UPDATE case_search SET tsv = ts_delete(tsv, ARRAY("
        "SELECT w FROM unnest(tsvector_to_array(tsv)) AS w WHERE w ~ '^cmmsd[0-9]+z.'))"
    )
    op.execute("DROP FUNCTION case_search_tsv(text, text)")
