"""case list indexes: the filtered, sorted list (district + stage, by FIR date) at scale

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 06:30:00
"""
from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # district + stage filters with the FIR-date sort (and the id tiebreak): the page of 50 is read
    # in index order and the page's COUNT(*) is a range count over the same index
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(
            'ix_cases_district_stage_fir', ['district_id', 'stage', 'fir_date', 'id'], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_district_stage_fir')
