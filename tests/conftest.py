"""Test harness: the schema is built by the real migrations once per run, on SQLite (default) or
PostgreSQL (``--db postgresql``: a throwaway cluster started and stopped here). Each test runs
inside one outer transaction that is rolled back at the end; the app's sessions join it through
savepoints, so a request's commit is real to the app and invisible to the next test."""

from __future__ import annotations

import os
import secrets
import tempfile
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

_STACK = ExitStack()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", choices=["sqlite", "postgresql"], default="sqlite", help="database to test on")


def pytest_configure(config: pytest.Config) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="cmms-test-"))
    if config.getoption("--db") == "postgresql":
        from tests.pg import cluster

        url = _STACK.enter_context(cluster())
    else:
        url = f"sqlite:///{tmp / 'test.db'}"
    os.environ.update(
        {
            "CMMS_ENV": "test",
            "CMMS_JWT_SECRET": secrets.token_urlsafe(48),
            "DATABASE_URL": url,
            "CMMS_FILES_DIR": str(tmp / "files"),
            "CMMS_LOG_JSON": "true",
            "CMMS_LOG_LEVEL": "WARNING",
            # every read's audit entry in its request (tests/test_audit.py drives the read log)
            "CMMS_AUDIT_READ_FLUSH_MS": "0",
        }
    )
    os.environ.pop("CMMS_ADMIN_PASSWORD", None)
    config.cmms_tmp = tmp  # type: ignore[attr-defined]


def pytest_unconfigure(config: pytest.Config) -> None:
    _STACK.close()


def pytest_report_header(config: pytest.Config) -> str:
    return f"cmms database: {os.environ.get('DATABASE_URL')}"


@pytest.fixture(scope="session")
def database_url() -> str:
    return os.environ["DATABASE_URL"]


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Any]:
    from api import migrate
    from api.db import get_engine, unit_of_work
    from api.reference.loader import load_reference

    migrate.upgrade(database_url)
    with unit_of_work() as session:
        load_reference(session)
    yield get_engine()
    get_engine().dispose()


@pytest.fixture
def db(engine: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """The test's session; the app's sessions share its connection and outer transaction."""
    from sqlalchemy.orm import Session

    import api.db

    connection = engine.connect()
    outer = connection.begin()

    def make_session(*, write: bool = True) -> Session:
        return Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)

    monkeypatch.setattr(api.db, "new_session", make_session)
    session = make_session()
    try:
        yield session
    finally:
        session.close()
        outer.rollback()
        connection.close()


@pytest.fixture
def app(db: Any) -> Any:
    from api.main import create_app

    return create_app()


@pytest.fixture
def client(app: Any) -> Iterator[Any]:
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


PASSWORD = "Correct-Horse-Battery-9"


@pytest.fixture
def district_ids(db: Any) -> dict[str, int]:
    from sqlalchemy import select

    from api.reference.models import District

    return {d.code: d.id for d in db.scalars(select(District))}


@pytest.fixture
def make_user(db: Any, district_ids: dict[str, int]) -> Callable[..., Any]:
    """Create a user through the users service (flushed, never committed)."""
    from api.audit.service import Origin
    from api.users import service
    from api.users.schemas import UserCreate

    counter = iter(range(1, 10_000))

    def make(
        *roles: str, district: str | None = None, username: str | None = None, password: str = PASSWORD
    ) -> Any:
        name = username or f"{(roles or ('user',))[0].replace('_', '')}{next(counter)}"
        data = UserCreate(
            username=name,
            password=password,
            full_name=f"Test {name}",
            roles=list(roles),
            district_id=district_ids[district] if district else None,
        )
        return service.create_user(db, data=data, origin=Origin())

    return make


@pytest.fixture
def login(client: Any) -> Callable[..., dict[str, str]]:
    """Sign a user in through the API; returns the Authorization header."""

    def do(username: str, password: str = PASSWORD) -> dict[str, str]:
        r = client.post("/api/v1/auth/token", data={"username": username, "password": password})
        assert r.status_code == 200, r.text
        return {"Authorization": f"Bearer {r.json()['access_token']}"}

    return do


@pytest.fixture
def as_role(
    make_user: Callable[..., Any], login: Callable[..., dict[str, str]]
) -> Callable[..., dict[str, str]]:
    """Headers of a fresh user holding the given roles."""

    def do(*roles: str, district: str | None = None) -> dict[str, str]:
        user = make_user(*roles, district=district)
        return login(user.username)

    return do


#: api.security's own password context, as shipped (the suite swaps in a cheaper one)
SHIPPED_PASSWORD_CONTEXT: list[Any] = []


@pytest.fixture(scope="session", autouse=True)
def _fast_password_hashing() -> Iterator[None]:
    """argon2 with the production cost takes ~0.3 s a hash; the suite uses a cheap argon2 (same
    scheme, same code paths) so it stays fast. test_auth checks the production context separately."""
    from passlib.context import CryptContext

    from api import security

    original = security.pwd_context
    SHIPPED_PASSWORD_CONTEXT.append(original)
    security.pwd_context = CryptContext(
        schemes=["argon2", "bcrypt"],
        deprecated=["bcrypt"],
        argon2__memory_cost=1024,
        argon2__rounds=1,
        argon2__parallelism=1,
    )
    security._DUMMY_HASH = security.pwd_context.hash(secrets.token_urlsafe(16))
    try:
        yield
    finally:
        security.pwd_context = original


@pytest.fixture(autouse=True)
def _no_remembered_totals() -> None:
    """Capped totals are remembered for a while (api/pagination.py): tests roll their rows back, so
    a total one test counted must not answer another's. Kept list statements go too (a test may
    change a cap they carry)."""
    from api import pagination
    from api.cases import service as cases
    from api.hearings import service as hearings

    pagination._capped.clear()
    pagination._SHAPES.clear()
    cases._list_shape.cache_clear()
    hearings._hearings_shape.cache_clear()


@pytest.fixture
def fresh_database_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as the suite's (never the shared one), removed afterwards."""
    from tests.live import fresh_database

    with fresh_database(database_url, tmp_path) as url:
        yield url


@pytest.fixture
def use_database(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], None]]:
    """Point the process's settings and engine at another database for the rest of the test
    (CLI tests run in-process); the suite's own settings come back afterwards. The suite's engine
    object stays alive in the ``engine`` fixture, so nothing shared is disposed here."""
    from api import config, db

    def clear() -> None:
        config.get_settings.cache_clear()
        db._sessionmakers.cache_clear()
        db.get_engine.cache_clear()

    suite_engine = db.get_engine()
    switched = False

    def use(url: str) -> None:
        nonlocal switched
        if switched:
            db.get_engine().dispose()
        monkeypatch.setenv("DATABASE_URL", url)
        clear()
        switched = True

    yield use
    if switched:
        db.get_engine().dispose()
    monkeypatch.undo()
    clear()
    assert db.get_engine().url == suite_engine.url
