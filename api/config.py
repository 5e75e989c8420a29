"""Settings: one pydantic-settings class read from the environment (``CMMS_*`` and ``DATABASE_URL``)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SECRET = "change-me-this-is-not-a-secret-change-me"


class Settings(BaseSettings):
    """Every setting of the service. The README's configuration table mirrors this class."""

    model_config = SettingsConfigDict(env_prefix="CMMS_", extra="ignore")

    env: Literal["development", "test", "production"] = Field(
        "production", description="development relaxes the secret check; production is the default"
    )
    database_url: str = Field(
        f"sqlite:///{ROOT / 'var' / 'cmms.db'}",
        validation_alias=AliasChoices("DATABASE_URL", "CMMS_DATABASE_URL"),
        description="SQLAlchemy URL: sqlite:///path or postgresql+psycopg://user:pw@host/db",
    )
    jwt_secret: str = Field(DEFAULT_SECRET, description="HS256 signing key, 32+ bytes")
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    access_token_minutes: int = Field(15, ge=1, le=24 * 60)
    refresh_token_days: int = Field(14, ge=1, le=365)
    lockout_threshold: int = Field(5, ge=1, description="failed logins in a row before a lock")
    lockout_minutes: int = Field(15, ge=1)
    files_dir: Path = Field(ROOT / "var" / "files", description="private document storage")
    max_upload_mb: int = Field(50, ge=1)
    max_body_kb: int = Field(
        1024, ge=1, description="largest request body other than a multipart upload, in KiB (413 beyond)"
    )
    spa_dir: Path = Field(ROOT / "frontend" / "dist", description="built SPA served at /")
    cors_origins: list[str] = Field(default_factory=list, description="origins allowed to call the API")
    timezone: str = "Asia/Karachi"
    log_level: str = "INFO"
    log_json: bool = True
    admin_password: str | None = Field(None, description="creates user admin on an empty database")
    demo: bool = Field(True, description="make run seeds the demo unless CMMS_DEMO=0")
    hearing_minutes: int = Field(60, ge=5, le=24 * 60, description="a hearing's length when none is given")
    workload_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "ordinary": 1.0,
            "special": 1.5,
            "ata": 2.0,
            "complex": 1.5,
            "restricted": 1.2,
        },
        description="workload weight per category, multiplied by the complex/restricted factors (JSON)",
    )
    deadline_alert_days: int = Field(3, ge=0, le=60, description="days before a due date when alerts go out")
    audit_read_flush_ms: int = Field(
        200,
        ge=0,
        le=10_000,
        description="how soon the audit entries of ordinary (not restricted) case reads are written, "
        "in batches off the request path; 0 writes each in its request",
    )
    max_requests_inside: int | None = Field(
        None,
        ge=1,
        le=1000,
        description="requests working inside the app at once (the rest wait, holding nothing); "
        "default: on SQLite the number of CPUs (at least 2), on PostgreSQL twice that (at least 4); "
        "never more than the thread pool's size less a margin, nor on PostgreSQL than the "
        "connections the pool keeps for requests (api/db.py)",
    )
    jobs_enabled: bool = Field(
        True, description="run the periodic jobs in-process (one worker wins a DB lease)"
    )
    jobs_interval_seconds: int = Field(
        300, ge=10, description="how often the in-process scheduler runs the jobs"
    )
    public_url: str = Field(
        "http://127.0.0.1:8000", description="base of links sent out (calendar feeds, e-mail)"
    )
    smtp_host: str | None = Field(None, description="send e-mail through this SMTP server (else: log only)")
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "cmms@localhost"
    smtp_starttls: bool = True

    @model_validator(mode="after")
    def _refuse_unsafe_secret(self) -> Settings:
        if self.env != "development" and (
            self.jwt_secret == DEFAULT_SECRET or len(self.jwt_secret.encode()) < 32
        ):
            raise ValueError(
                "CMMS_JWT_SECRET must be set to a random value of at least 32 bytes "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`); "
                "the built-in default is accepted only with CMMS_ENV=development"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


@lru_cache
def get_settings() -> Settings:
    return Settings()
