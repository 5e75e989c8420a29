"""Sign-in, lockout, password hashing and the sign-in audit trail. Tokens the service must refuse
(forged, expired, revoked: refresh reuse, logout) are tested in tests/test_tokens.py."""

from __future__ import annotations

import json

from sqlalchemy import select

from api.audit.models import AuditEntry
from api.auth.models import LoginThrottle
from api.config import get_settings
from tests.conftest import PASSWORD

TOKEN_URL = "/api/v1/auth/token"
ME = "/api/v1/users/me"


def _token(client, username, password=PASSWORD):
    return client.post(TOKEN_URL, data={"username": username, "password": password})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _assert_401(r):
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["www-authenticate"] == "Bearer"
    assert r.json()["status"] == 401


def test_production_hashing_is_argon2():
    from tests.conftest import SHIPPED_PASSWORD_CONTEXT

    shipped = SHIPPED_PASSWORD_CONTEXT[0]
    assert shipped.default_scheme() == "argon2"
    hashed = shipped.hash("a-long-enough-passphrase")
    assert hashed.startswith("$argon2id$")
    assert shipped.verify("a-long-enough-passphrase", hashed)


def test_unverifiable_stored_hash_is_a_401_not_a_500(client, db, make_user):
    """A bcrypt hash from an older system (no bcrypt backend installed) or a corrupt hash."""
    user = make_user("prosecutor", district="HYD")
    for stored in ("$2b$12$" + "a" * 21 + "e" + "a" * 31, "not-a-hash", ""):
        user.password_hash = stored
        db.flush()
        _assert_401(_token(client, user.username))


def test_token_flow(client, make_user):
    user = make_user("prosecutor", district="KHI-S")
    r = _token(client, user.username)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"access_token", "refresh_token", "token_type", "expires_in"}
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == get_settings().access_token_minutes * 60
    me = client.get(ME, headers=_bearer(body["access_token"]))
    assert me.status_code == 200 and me.json()["id"] == user.id
    # the username is matched case-insensitively
    assert _token(client, user.username.upper()).status_code == 200
    # JSON instead of form fields is invalid input, not a 500
    r = client.post(TOKEN_URL, json={"username": user.username, "password": PASSWORD})
    assert r.status_code == 422


def test_wrong_password_and_unknown_user_look_the_same(client, make_user):
    user = make_user("clerk", district="KHI-S")
    wrong = _token(client, user.username, "Not-The-Password-123")
    unknown = _token(client, "nobody.here", "Not-The-Password-123")
    _assert_401(wrong)
    _assert_401(unknown)
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.json()["type"] == unknown.json()["type"]


def test_lockout_after_threshold(client, db, make_user):
    user = make_user("prosecutor", district="HYD")
    threshold = get_settings().lockout_threshold
    assert threshold == 5
    for _ in range(threshold):
        _assert_401(_token(client, user.username, "Wrong-Password-xyz"))
    locked = _token(client, user.username)  # the right password is refused while locked
    assert locked.status_code == 429, locked.text
    assert locked.headers["content-type"].startswith("application/problem+json")
    assert int(locked.headers["retry-after"]) > 0
    # the lock lives in the database, where every worker sees it
    row = db.scalar(
        select(LoginThrottle)
        .where(LoginThrottle.username == user.username)
        .execution_options(populate_existing=True)
    )
    assert row is not None and row.locked_until is not None
    # a colleague is not affected
    other = make_user("prosecutor", district="HYD")
    assert _token(client, other.username).status_code == 200


def test_unknown_username_is_locked_too(client):
    for _ in range(get_settings().lockout_threshold):
        _assert_401(_token(client, "ghost.user", "Wrong-Password-xyz"))
    assert _token(client, "ghost.user", "Wrong-Password-xyz").status_code == 429


def test_success_resets_the_counter(client, db, make_user):
    user = make_user("prosecutor", district="HYD")
    threshold = get_settings().lockout_threshold
    for _ in range(threshold - 1):
        _assert_401(_token(client, user.username, "Wrong-Password-xyz"))
    row = db.get(LoginThrottle, user.username, populate_existing=True)
    assert row is not None and row.failures == threshold - 1
    assert _token(client, user.username).status_code == 200
    db.expire_all()
    assert db.scalar(select(LoginThrottle).where(LoginThrottle.username == user.username)) is None
    for _ in range(threshold - 1):
        _assert_401(_token(client, user.username, "Wrong-Password-xyz"))
    assert _token(client, user.username).status_code == 200


def test_inactive_user_cannot_sign_in(client, db, make_user):
    user = make_user("prosecutor", district="HYD")
    user.is_active = False
    db.flush()
    _assert_401(_token(client, user.username))


def test_audit_entries_for_login_failure_and_logout(client, db, make_user):
    user = make_user("prosecutor", district="KHI-S")
    _assert_401(_token(client, user.username, "Wrong-Password-xyz"))
    pair = _token(client, user.username).json()
    assert client.post("/api/v1/auth/logout", headers=_bearer(pair["access_token"])).status_code == 204
    db.expire_all()
    actions = {
        e.action: e
        for e in db.scalars(
            select(AuditEntry).where(AuditEntry.action.in_(["login", "login_failed", "logout"]))
        )
    }
    assert set(actions) == {"login", "login_failed", "logout"}
    assert actions["login"].actor_id == user.id and actions["login"].entity_id == str(user.id)
    assert actions["login_failed"].details["username"] == user.username
    assert "Wrong-Password" not in json.dumps(actions["login_failed"].details)
    assert actions["logout"].actor_id == user.id


def test_an_expired_lock_lets_the_user_in(client, db, make_user):
    from datetime import timedelta

    from api.db import utcnow

    user = make_user("prosecutor", district="HYD")
    for _ in range(get_settings().lockout_threshold):
        _assert_401(_token(client, user.username, "Wrong-Password-xyz"))
    assert _token(client, user.username).status_code == 429
    row = db.get(LoginThrottle, user.username, populate_existing=True)
    row.locked_until = utcnow() - timedelta(seconds=1)
    db.flush()
    assert _token(client, user.username).status_code == 200


def test_legacy_bcrypt_hash_signs_in_and_is_upgraded_to_argon2(client, db, make_user):
    from passlib.hash import bcrypt

    user = make_user("prosecutor", district="KHI-S")
    user.password_hash = bcrypt.hash("Legacy-Bcrypt-Pass-77")
    db.flush()
    r = client.post(
        "/api/v1/auth/token", data={"username": user.username, "password": "Legacy-Bcrypt-Pass-77"}
    )
    assert r.status_code == 200, r.text
    db.refresh(user)
    assert user.password_hash.startswith("$argon2id$")
    # and the upgraded hash still accepts the same password
    r = client.post(
        "/api/v1/auth/token", data={"username": user.username, "password": "Legacy-Bcrypt-Pass-77"}
    )
    assert r.status_code == 200
