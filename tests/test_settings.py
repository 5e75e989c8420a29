"""Settings refuse unsafe secrets outside development and read the environment."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from api.config import DEFAULT_SECRET, Settings


@pytest.fixture
def env(monkeypatch):
    for name in ("CMMS_ENV", "CMMS_JWT_SECRET", "DATABASE_URL", "CMMS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_production_with_default_secret_refuses_to_start(env):
    env.setenv("CMMS_ENV", "production")
    with pytest.raises(ValidationError, match="CMMS_JWT_SECRET"):
        Settings()


def test_production_is_the_default_env(env):
    with pytest.raises(ValidationError, match="CMMS_JWT_SECRET"):
        Settings()


def test_short_secret_refused(env):
    env.setenv("CMMS_ENV", "production")
    env.setenv("CMMS_JWT_SECRET", "x" * 20)
    with pytest.raises(ValidationError, match="at least 32 bytes"):
        Settings()
    env.setenv("CMMS_ENV", "test")
    with pytest.raises(ValidationError):
        Settings()


def test_good_secret_accepted(env):
    env.setenv("CMMS_ENV", "production")
    env.setenv("CMMS_JWT_SECRET", "k" * 40)
    s = Settings()
    assert s.env == "production" and s.jwt_secret == "k" * 40


def test_development_accepts_the_default(env):
    env.setenv("CMMS_ENV", "development")
    s = Settings()
    assert s.jwt_secret == DEFAULT_SECRET
    assert s.jwt_algorithm == "HS256"
    assert s.lockout_threshold == 5
    assert s.database_url.startswith("sqlite:///") and s.database_url.endswith("var/cmms.db")


def test_database_url_is_read(env):
    env.setenv("CMMS_ENV", "development")
    env.setenv("DATABASE_URL", "postgresql+psycopg://u:p@db.example:5432/cmms")
    s = Settings()
    assert s.database_url == "postgresql+psycopg://u:p@db.example:5432/cmms"
    assert not s.is_sqlite


def test_bad_values_are_refused(env):
    env.setenv("CMMS_ENV", "staging")
    with pytest.raises(ValidationError):
        Settings()
    env.setenv("CMMS_ENV", "development")
    env.setenv("CMMS_JWT_ALGORITHM", "none")
    with pytest.raises(ValidationError):
        Settings()
