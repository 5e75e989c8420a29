"""The migrations build exactly the models' schema, and they reverse cleanly."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

import api.registry  # noqa: F401  (every model on Base.metadata)
from api import migrate
from api.db import Base, make_engine
from api.migrate import include_object


def _diffs(engine):
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        return compare_metadata(ctx, Base.metadata)


def test_no_drift_between_models_and_migrations(engine):
    """`alembic check`: autogenerate finds nothing to do on the migrated test database."""
    diffs = _diffs(engine)
    assert diffs == [], f"models and migrations differ; write a migration: {diffs}"


def test_at_head(engine):
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_downgrade_to_base_then_upgrade(fresh_database_url):
    engine = make_engine(fresh_database_url, pooled=False)
    try:
        migrate.upgrade(fresh_database_url)
        tables = set(inspect(engine).get_table_names())
        assert {"users", "audit_entries", "districts", "auth_sessions", "login_throttle"} <= tables
        migrate.downgrade(fresh_database_url, "base")
        engine.dispose()
        left = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert left == set(), left
        assert migrate.current_revision(engine) is None
        migrate.upgrade(fresh_database_url)
        engine.dispose()
        assert migrate.current_revision(engine) == migrate.head_revision()
        assert _diffs(engine) == []
        # the append-only triggers come back with the schema
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO audit_entries (id, at, action, entity_type, details, prev_hash, hash) "
                    "VALUES (1, CURRENT_TIMESTAMP, 'create', 'x', '{}', :p, :h)"
                ),
                {"p": "0" * 64, "h": "1" * 64},
            )
        try:
            with engine.begin() as conn:
                conn.execute(text("DELETE FROM audit_entries"))
        except Exception as exc:
            assert "append-only" in str(exc)
        else:
            raise AssertionError("audit_entries accepted a DELETE after downgrade/upgrade")
    finally:
        engine.dispose()


def test_each_step_reverses(fresh_database_url):
    from alembic.script import ScriptDirectory

    revisions = [s.revision for s in ScriptDirectory.from_config(migrate.alembic_config()).walk_revisions()]
    revisions.reverse()
    for rev in revisions:
        migrate.upgrade(fresh_database_url, rev)
        migrate.downgrade(fresh_database_url, "-1")
        migrate.upgrade(fresh_database_url, rev)
    engine = make_engine(fresh_database_url, pooled=False)
    try:
        assert migrate.current_revision(engine) == migrate.head_revision()
    finally:
        engine.dispose()
