"""Idempotency-Key on POST: a retry replays the first answer and creates nothing new."""

from __future__ import annotations

from sqlalchemy import func, select

from api.users.models import User


def _body(username: str) -> dict:
    return {
        "username": username,
        "password": "Long-Enough-Passw0rd",
        "full_name": "Retry Person",
        "roles": ["prosecutor"],
    }


def test_retry_with_same_key_replays_first_answer(client, db, as_role):
    admin = as_role("admin")
    headers = {**admin, "Idempotency-Key": "create-retry-1"}
    first = client.post("/api/v1/users", json=_body("retry.one"), headers=headers)
    assert first.status_code == 201, first.text
    again = client.post("/api/v1/users", json=_body("retry.one"), headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["location"] == first.headers["location"]
    assert again.headers["idempotent-replayed"] == "true"
    assert db.scalar(select(func.count()).select_from(User).where(User.username == "retry.one")) == 1


def test_same_key_different_body_is_refused(client, db, as_role):
    admin = as_role("admin")
    headers = {**admin, "Idempotency-Key": "create-retry-2"}
    assert client.post("/api/v1/users", json=_body("retry.two"), headers=headers).status_code == 201
    other = client.post("/api/v1/users", json=_body("retry.three"), headers=headers)
    assert other.status_code == 422
    assert other.headers["content-type"].startswith("application/problem+json")
    assert other.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
    assert db.scalar(select(func.count()).select_from(User).where(User.username == "retry.three")) == 0


def test_failed_request_is_not_remembered(client, as_role):
    admin = as_role("admin")
    headers = {**admin, "Idempotency-Key": "create-retry-3"}
    weak = {**_body("retry.four"), "password": "short"}
    assert client.post("/api/v1/users", json=weak, headers=headers).status_code == 422
    # the same key may now carry the corrected request
    assert client.post("/api/v1/users", json=_body("retry.four"), headers=headers).status_code == 201


def test_keys_are_per_user(client, as_role):
    first_admin, second_admin = as_role("admin"), as_role("admin")
    key = {"Idempotency-Key": "shared-key"}
    assert (
        client.post("/api/v1/users", json=_body("retry.five"), headers={**first_admin, **key}).status_code
        == 201
    )
    r = client.post("/api/v1/users", json=_body("retry.six"), headers={**second_admin, **key})
    assert r.status_code == 201 and r.json()["username"] == "retry.six"


def test_malformed_key_is_422(client, as_role):
    admin = as_role("admin")
    r = client.post(
        "/api/v1/users", json=_body("retry.seven"), headers={**admin, "Idempotency-Key": "x" * 201}
    )
    assert r.status_code == 422
