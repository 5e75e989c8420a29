"""Alembic driven from code: the CLI, /ready and the tests use the same configuration."""

from __future__ import annotations

from functools import lru_cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from api.config import ROOT

#: tables the migrations manage outside the ORM metadata (the full-text index and, on SQLite, its
#: FTS5 shadow tables); autogenerate and the drift check leave them alone
UNMANAGED_PREFIXES = ("case_search",)


def include_object(obj: object, name: str | None, type_: str, reflected: bool, compare_to: object) -> bool:
    if type_ == "table" and name and name.startswith(UNMANAGED_PREFIXES):
        return False
    table = getattr(obj, "table", None)
    return not (table is not None and str(table.name).startswith(UNMANAGED_PREFIXES))


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    if url:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str | None = None, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str | None = None, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


@lru_cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()
