"""cases: the digital case file

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28 06:06:12.419812
"""
from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create_search_index() -> None:
    """The full-text index of cases (see api/search/service.py): FTS5 on SQLite, tsvector + GIN on
    PostgreSQL. Kept outside the ORM metadata."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE TABLE case_search (case_id integer PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE, "
                   "tsv tsvector NOT NULL)")
        op.execute("CREATE INDEX case_search_tsv ON case_search USING gin (tsv)")
    else:
        op.execute("CREATE VIRTUAL TABLE case_search USING fts5(body, tokenize = 'unicode61 remove_diacritics 2')")


def upgrade() -> None:
    op.create_table('persons',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('name_ur', sa.String(length=200), nullable=True),
    sa.Column('father_name', sa.String(length=200), nullable=True),
    sa.Column('cnic', sa.String(length=15), nullable=True),
    sa.Column('gender', sa.String(length=16), nullable=True),
    sa.Column('birth_year', sa.Integer(), nullable=True),
    sa.Column('address', sa.String(length=400), nullable=True),
    sa.Column('phone', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_persons'))
    )
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_persons_cnic'), ['cnic'], unique=False)
        batch_op.create_index(batch_op.f('ix_persons_name'), ['name'], unique=False)

    op.create_table('case_number_sequences',
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('last', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_case_number_sequences_district_id_districts')),
    sa.PrimaryKeyConstraint('district_id', 'year', name=op.f('pk_case_number_sequences'))
    )
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=32), nullable=False),
    sa.Column('district_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('stage', sa.String(length=16), nullable=False),
    sa.Column('stage_changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('dormant_from', sa.String(length=16), nullable=True),
    sa.Column('returns_count', sa.Integer(), nullable=False),
    sa.Column('restricted', sa.Boolean(), nullable=False),
    sa.Column('complex', sa.Boolean(), nullable=False),
    sa.Column('juvenile', sa.Boolean(), nullable=False),
    sa.Column('gender_based_violence', sa.Boolean(), nullable=False),
    sa.Column('court_id', sa.Integer(), nullable=True),
    sa.Column('ctd_number', sa.String(length=64), nullable=True),
    sa.Column('court_case_number', sa.String(length=64), nullable=True),
    sa.Column('fir_number', sa.String(length=32), nullable=False),
    sa.Column('fir_year', sa.Integer(), nullable=False),
    sa.Column('fir_date', sa.Date(), nullable=False),
    sa.Column('police_station_id', sa.Integer(), nullable=False),
    sa.Column('occurrence_date', sa.Date(), nullable=True),
    sa.Column('occurrence_place', sa.String(length=300), nullable=True),
    sa.Column('brief_facts', sa.Text(), nullable=True),
    sa.Column('judgment_date', sa.Date(), nullable=True),
    sa.Column('closed_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['court_id'], ['courts.id'], name=op.f('fk_cases_court_id_courts')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_cases_created_by_users')),
    sa.ForeignKeyConstraint(['district_id'], ['districts.id'], name=op.f('fk_cases_district_id_districts')),
    sa.ForeignKeyConstraint(['police_station_id'], ['police_stations.id'], name=op.f('fk_cases_police_station_id_police_stations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('district_id', 'year', 'seq', name=op.f('uq_cases_district_id_year_seq')),
    sa.UniqueConstraint('number', name=op.f('uq_cases_number')),
    sa.UniqueConstraint('police_station_id', 'fir_year', 'fir_number', name=op.f('uq_cases_police_station_id_fir_year_fir_number'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_court_id'), ['court_id'], unique=False)
        batch_op.create_index('ix_cases_district_created', ['district_id', 'created_at'], unique=False)
        batch_op.create_index('ix_cases_fir_date', ['fir_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_police_station_id'), ['police_station_id'], unique=False)
        batch_op.create_index('ix_cases_stage_created', ['stage', 'created_at'], unique=False)

    op.create_table('case_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('prosecutor_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('assigned_by', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['assigned_by'], ['users.id'], name=op.f('fk_case_assignments_assigned_by_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_assignments_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['prosecutor_id'], ['users.id'], name=op.f('fk_case_assignments_prosecutor_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_assignments'))
    )
    with op.batch_alter_table('case_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_assignments_case_id'), ['case_id'], unique=False)
        batch_op.create_index('ix_case_assignments_prosecutor_case', ['prosecutor_id', 'case_id'], unique=False)

    op.create_table('case_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('summary', sa.String(length=500), nullable=False),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_case_events_actor_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_events_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_events'))
    )
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.create_index('ix_case_events_case_at', ['case_id', 'at'], unique=False)

    op.create_table('case_notes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_case_notes_author_id_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_notes_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_notes'))
    )
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_notes_case_id'), ['case_id'], unique=False)

    op.create_table('case_parties',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('custody_status', sa.String(length=32), nullable=True),
    sa.Column('age', sa.Integer(), nullable=True),
    sa.Column('witness_type', sa.String(length=32), nullable=True),
    sa.Column('witness_status', sa.String(length=16), nullable=True),
    sa.Column('protected', sa.Boolean(), nullable=False),
    sa.Column('rank', sa.String(length=64), nullable=True),
    sa.Column('unit', sa.String(length=128), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_parties_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_case_parties_person_id_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_parties'))
    )
    with op.batch_alter_table('case_parties', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_parties_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_parties_person_id'), ['person_id'], unique=False)

    op.create_table('police_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_police_reports_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_police_reports_created_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_police_reports'))
    )
    with op.batch_alter_table('police_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_police_reports_case_id'), ['case_id'], unique=False)

    op.create_table('case_charges',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('offence_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=True),
    sa.Column('stage_added', sa.String(length=16), nullable=False),
    sa.Column('added_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('added_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['added_by'], ['users.id'], name=op.f('fk_case_charges_added_by_users')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_charges_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['offence_id'], ['offences.id'], name=op.f('fk_case_charges_offence_id_offences')),
    sa.ForeignKeyConstraint(['party_id'], ['case_parties.id'], name=op.f('fk_case_charges_party_id_case_parties'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_charges'))
    )
    with op.batch_alter_table('case_charges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_charges_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_case_charges_offence_id'), ['offence_id'], unique=False)

    op.create_table('scrutiny_reviews',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('police_report_id', sa.Integer(), nullable=True),
    sa.Column('decision', sa.String(length=32), nullable=False),
    sa.Column('defects', sa.JSON(), nullable=False),
    sa.Column('returned_on', sa.Date(), nullable=True),
    sa.Column('resubmitted_on', sa.Date(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('reviewed_by', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_scrutiny_reviews_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['police_report_id'], ['police_reports.id'], name=op.f('fk_scrutiny_reviews_police_report_id_police_reports')),
    sa.ForeignKeyConstraint(['reviewed_by'], ['users.id'], name=op.f('fk_scrutiny_reviews_reviewed_by_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scrutiny_reviews'))
    )
    with op.batch_alter_table('scrutiny_reviews', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_scrutiny_reviews_case_id'), ['case_id'], unique=False)

    op.create_table('dispositions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('party_id', sa.Integer(), nullable=False),
    sa.Column('charge_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.String(length=16), nullable=False),
    sa.Column('sentence', sa.Text(), nullable=True),
    sa.Column('reason', sa.String(length=64), nullable=True),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_dispositions_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['charge_id'], ['case_charges.id'], name=op.f('fk_dispositions_charge_id_case_charges'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_dispositions_created_by_users')),
    sa.ForeignKeyConstraint(['party_id'], ['case_parties.id'], name=op.f('fk_dispositions_party_id_case_parties'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispositions'))
    )
    with op.batch_alter_table('dispositions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dispositions_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dispositions_party_id'), ['party_id'], unique=False)

    _create_search_index()


def downgrade() -> None:
    op.execute("DROP TABLE IF EXISTS case_search")
    with op.batch_alter_table('dispositions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dispositions_party_id'))
        batch_op.drop_index(batch_op.f('ix_dispositions_case_id'))

    op.drop_table('dispositions')
    with op.batch_alter_table('scrutiny_reviews', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_scrutiny_reviews_case_id'))

    op.drop_table('scrutiny_reviews')
    with op.batch_alter_table('case_charges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_charges_offence_id'))
        batch_op.drop_index(batch_op.f('ix_case_charges_case_id'))

    op.drop_table('case_charges')
    with op.batch_alter_table('police_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_police_reports_case_id'))

    op.drop_table('police_reports')
    with op.batch_alter_table('case_parties', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_parties_person_id'))
        batch_op.drop_index(batch_op.f('ix_case_parties_case_id'))

    op.drop_table('case_parties')
    with op.batch_alter_table('case_notes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_notes_case_id'))

    op.drop_table('case_notes')
    with op.batch_alter_table('case_events', schema=None) as batch_op:
        batch_op.drop_index('ix_case_events_case_at')

    op.drop_table('case_events')
    with op.batch_alter_table('case_assignments', schema=None) as batch_op:
        batch_op.drop_index('ix_case_assignments_prosecutor_case')
        batch_op.drop_index(batch_op.f('ix_case_assignments_case_id'))

    op.drop_table('case_assignments')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_stage_created')
        batch_op.drop_index(batch_op.f('ix_cases_police_station_id'))
        batch_op.drop_index('ix_cases_fir_date')
        batch_op.drop_index('ix_cases_district_created')
        batch_op.drop_index(batch_op.f('ix_cases_court_id'))

    op.drop_table('cases')
    op.drop_table('case_number_sequences')
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_persons_name'))
        batch_op.drop_index(batch_op.f('ix_persons_cnic'))

    op.drop_table('persons')
