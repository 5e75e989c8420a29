"""hearings: a district's index holds the list's whole order (starts_at, then id)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 03:50:00

A district's hearings are listed by ``starts_at`` then ``id`` (the tiebreak that keeps pages
stable). Many hearings share a start (a court day's 09:00 list), and with the index on
(district_id, starts_at) PostgreSQL read every hearing of the first start and sorted them before
it could return a page: 462 rows for Karachi South's month at 1M cases, 1.5 ms of the server's
time, where the index in the list's order returns the page's 50 (0.3 ms). SQLite already reads
its indexes in rowid order after their columns; it gets the same definition.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index("ix_hearings_district_starts", table_name="hearings")
    op.create_index("ix_hearings_district_starts", "hearings", ["district_id", "starts_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_hearings_district_starts", table_name="hearings")
    op.create_index("ix_hearings_district_starts", "hearings", ["district_id", "starts_at"])
