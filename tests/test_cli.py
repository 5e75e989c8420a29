"""The `cmms` command, run in-process against a fresh database of the suite's kind."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from api.cli import app
from api.db import make_engine

GOOD = "Operator-Passphrase-2026"


@pytest.fixture
def cmms(fresh_database_url, use_database, monkeypatch):
    """Run `cmms ...` with DATABASE_URL pointing at a fresh database; returns (exit code, output)."""
    monkeypatch.setenv("CMMS_ENV", "development")
    monkeypatch.delenv("CMMS_ADMIN_PASSWORD", raising=False)
    if not fresh_database_url.startswith("sqlite"):
        from tests.pg import bindir

        monkeypatch.setenv("PATH", f"{bindir()}{os.pathsep}{os.environ.get('PATH', '')}")
    use_database(fresh_database_url)
    runner = CliRunner()

    def run(*args: str, input: str | None = None) -> tuple[int, str]:
        result = runner.invoke(app, list(args), input=input, catch_exceptions=False)
        return result.exit_code, result.output  # stdout and stderr, as a terminal shows them

    run.url = fresh_database_url  # type: ignore[attr-defined]
    return run


def _query(url: str, sql: str, **params):
    engine = make_engine(url, pooled=False)
    try:
        with engine.begin() as conn:
            return conn.execute(text(sql), params).fetchall()
    finally:
        engine.dispose()


def _execute(url: str, *statements: str) -> None:
    engine = make_engine(url, pooled=False)
    try:
        with engine.begin() as conn:
            for sql in statements:
                conn.execute(text(sql))
    finally:
        engine.dispose()


def _drop_audit_trigger(url: str) -> None:
    if url.startswith("sqlite"):
        _execute(url, "DROP TRIGGER audit_entries_no_update")
    else:
        _execute(url, "DROP TRIGGER audit_entries_no_change ON audit_entries")


def test_migrate_and_create_users(cmms):
    code, out = cmms("migrate")
    assert code == 0, out
    assert "schema at" in out and "districts 70" in out
    code, out = cmms("migrate")  # idempotent
    assert code == 0 and "districts 0" in out, out

    code, out = cmms(
        "users",
        "create",
        "--username",
        "u.one",
        "--role",
        "prosecutor",
        "--district",
        "KHI-S",
        "--password-stdin",
        input=GOOD + "\n",
    )
    assert code == 0, out
    rows = _query(
        cmms.url,
        "SELECT u.username, d.code, r.role FROM users u JOIN districts d ON d.id = u.district_id "
        "JOIN user_roles r ON r.user_id = u.id",
    )
    assert rows == [("u.one", "KHI-S", "prosecutor")]

    code, out = cmms(
        "users",
        "create",
        "--username",
        "weak",
        "--role",
        "clerk",
        "--district",
        "HYD",
        "--password-stdin",
        input="password1234\n",
    )
    assert code != 0
    assert "password" in out.lower() and "common" in out.lower(), out
    code, out = cmms(
        "users",
        "create",
        "--username",
        "short",
        "--role",
        "clerk",
        "--district",
        "HYD",
        "--password-stdin",
        input="short\n",
    )
    assert code != 0 and "12 characters" in out, out
    code, out = cmms(
        "users",
        "create",
        "--username",
        "u.one",
        "--role",
        "prosecutor",
        "--password-stdin",
        input=GOOD + "\n",
    )
    assert code != 0 and "taken" in out, out
    code, out = cmms(
        "users",
        "create",
        "--username",
        "xx1",
        "--role",
        "clerk",
        "--district",
        "NOWHERE",
        "--password-stdin",
        input=GOOD + "\n",
    )
    assert code != 0 and "district" in out.lower(), out
    code, out = cmms(
        "users", "create", "--username", "xx2", "--role", "wizard", "--password-stdin", input=GOOD + "\n"
    )
    assert code != 0 and "role" in out.lower(), out
    code, out = cmms(
        "users", "create", "--username", "xx3", "--role", "clerk", "--password-stdin", input=GOOD + "\n"
    )
    assert code != 0 and "district" in out.lower(), out
    code, out = cmms("users", "create", "--username", "xx4", "--role", "clerk", "--district", "HYD")
    assert code != 0 and "password-stdin" in out, out
    assert [r[0] for r in _query(cmms.url, "SELECT username FROM users")] == ["u.one"]


def test_admin_password_creates_admin_on_an_empty_database(cmms, monkeypatch):
    from api.config import get_settings

    monkeypatch.setenv("CMMS_ADMIN_PASSWORD", GOOD)
    get_settings.cache_clear()
    code, out = cmms("migrate")
    assert code == 0 and "created user 'admin'" in out, out
    rows = _query(cmms.url, "SELECT u.username, r.role FROM users u JOIN user_roles r ON r.user_id = u.id")
    assert rows == [("admin", "admin")]
    code, out = cmms("migrate")
    assert code == 0 and "created user 'admin'" not in out
    from api import security

    (hashed,) = _query(cmms.url, "SELECT password_hash FROM users")[0]
    assert security.verify_password(GOOD, hashed)[0]


def test_audit_verify(cmms):
    assert cmms("migrate")[0] == 0
    for name in ("aa1", "aa2", "aa3"):
        code, out = cmms(
            "users", "create", "--username", name, "--role", "auditor", "--password-stdin", input=GOOD + "\n"
        )
        assert code == 0, out
    code, out = cmms("audit", "verify")
    assert code == 0 and "intact: 3 entries" in out, out
    _drop_audit_trigger(cmms.url)
    _execute(cmms.url, "UPDATE audit_entries SET entity_id = '999' WHERE id = 2")
    code, out = cmms("audit", "verify")
    assert code == 1, out
    assert "entry 2" in out and "BROKEN" in out, out


def test_backup_and_restore(cmms, tmp_path):
    assert cmms("migrate")[0] == 0
    code, out = cmms(
        "users",
        "create",
        "--username",
        "keeper",
        "--role",
        "prosecutor",
        "--district",
        "HYD",
        "--password-stdin",
        input=GOOD + "\n",
    )
    assert code == 0, out
    backup = tmp_path / "backups" / "cmms.backup"
    code, out = cmms("backup", str(backup))
    assert code == 0 and backup.is_file() and backup.stat().st_size > 0, out

    code, out = cmms(
        "users",
        "create",
        "--username",
        "later",
        "--role",
        "clerk",
        "--district",
        "HYD",
        "--password-stdin",
        input=GOOD + "\n",
    )
    assert code == 0
    _execute(
        cmms.url,
        "DELETE FROM user_roles WHERE user_id = (SELECT id FROM users WHERE username = 'keeper')",
        "DELETE FROM users WHERE username = 'keeper'",
        "UPDATE districts SET name = 'Changed' WHERE code = 'HYD'",
    )
    assert [r[0] for r in _query(cmms.url, "SELECT username FROM users")] == ["later"]

    code, out = cmms("restore", str(backup), "--yes")
    assert code == 0, out
    assert [r[0] for r in _query(cmms.url, "SELECT username FROM users")] == ["keeper"]
    assert _query(cmms.url, "SELECT name FROM districts WHERE code = 'HYD'") == [("Hyderabad",)]
    code, out = cmms("audit", "verify")
    assert code == 0 and "intact: 1 entries" in out, out
    # the restored database still refuses changes to the audit log
    with pytest.raises(Exception, match="append-only"):
        _execute(cmms.url, "DELETE FROM audit_entries")
    code, out = cmms("restore", str(tmp_path / "missing.backup"), "--yes")
    assert code != 0 and "no such file" in out


def test_seed_demo(cmms):
    from api.demo import DEMO_PASSWORD
    from api.permissions import Role

    assert cmms("migrate")[0] == 0
    code, out = cmms("seed-demo")
    assert code == 0, out
    assert DEMO_PASSWORD in out
    rows = _query(
        cmms.url,
        "SELECT u.username, r.role, d.code FROM users u JOIN user_roles r ON r.user_id = u.id "
        "LEFT JOIN districts d ON d.id = u.district_id",
    )
    assert {r[1] for r in rows} == {r.value for r in Role}
    assert len({r[2] for r in rows if r[2]}) >= 2
    for username, _, _ in rows:
        assert username in out
    stages = {r[0] for r in _query(cmms.url, "SELECT stage FROM cases")}
    assert {"intake", "scrutiny", "returned", "evidence", "judgment", "closed", "dormant"} <= stages
    counts = {t: _query(cmms.url, f"SELECT count(*) FROM {t}")[0][0] for t in ("cases", "hearings", "tasks")}
    assert all(counts.values()), counts
    code, out = cmms("seed-demo")  # idempotent
    assert code == 0 and len(_query(cmms.url, "SELECT id FROM users")) == len({r[0] for r in rows})
    assert counts == {t: _query(cmms.url, f"SELECT count(*) FROM {t}")[0][0] for t in counts}


def test_deadlines_backfill_and_recompute(cmms):
    """After a load that bypassed the services (deleted clocks here), the backfill recomputes
    them; an unknown rule is a clear error and exit code 2."""
    assert cmms("migrate")[0] == 0
    assert cmms("seed-demo")[0] == 0
    before = _query(
        cmms.url, "SELECT case_id, rule_id, due_date, status FROM case_deadlines ORDER BY 1, 2, 3"
    )
    assert before
    _execute(cmms.url, "DELETE FROM case_deadlines")
    code, out = cmms("deadlines", "backfill", "--batch", "5")
    n_cases = _query(cmms.url, "SELECT count(*) FROM cases")[0][0]
    assert code == 0 and f"for {n_cases:,} cases" in out, out
    after = _query(cmms.url, "SELECT case_id, rule_id, due_date, status FROM case_deadlines ORDER BY 1, 2, 3")
    assert [tuple(r) for r in after] == [tuple(r) for r in before]
    code, out = cmms("deadlines", "recompute", "CPS_SCRUTINY_TARGET")
    assert code == 0 and "cases recomputed" in out
    code, out = cmms("deadlines", "recompute", "NO_SUCH_RULE")
    assert code == 2 and "No deadline rule" in out


def test_openapi_command(cmms, tmp_path):
    out_file = tmp_path / "openapi.json"
    code, out = cmms("openapi", "--out", str(out_file))
    assert code == 0, out
    import json

    from api.main import create_app

    assert json.loads(out_file.read_text(encoding="utf-8")) == json.loads(json.dumps(create_app().openapi()))


def test_demo_users_can_sign_in_through_the_api(cmms):
    from fastapi.testclient import TestClient

    from api.demo import DEMO_PASSWORD, DEMO_USERS
    from api.main import create_app

    assert cmms("migrate")[0] == 0
    assert cmms("seed-demo")[0] == 0
    with TestClient(create_app()) as client:
        for username, *_ in DEMO_USERS[:3]:
            r = client.post("/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
            assert r.status_code == 200, (username, r.text)


def test_migrate_fills_the_workload_tables_of_an_installation_with_cases(cmms):
    assert cmms("migrate")[0] == 0
    assert cmms("seed-demo")[0] == 0
    expected = _query(cmms.url, "SELECT * FROM prosecutor_loads ORDER BY district_id, prosecutor_id")
    assert expected
    _execute(cmms.url, "DELETE FROM prosecutor_loads", "DELETE FROM district_loads")
    code, out = cmms("migrate")
    assert code == 0 and "workload tables filled" in out, out
    again = _query(cmms.url, "SELECT * FROM prosecutor_loads ORDER BY district_id, prosecutor_id")
    assert [r[:-1] for r in again] == [r[:-1] for r in expected]  # all but updated_at
    assert "workload tables filled" not in cmms("migrate")[1]
