"""The platform answers: health, readiness, sign-in, and the problem shape of errors."""

from __future__ import annotations


def test_health_and_ready(client):
    assert client.get("/health").json() == {"status": "ok"}
    ready = client.get("/ready")
    assert ready.status_code == 200, ready.text
    assert ready.json()["migration"] == ready.json()["head"]


def test_sign_in_and_me(client, make_user, login):
    user = make_user("prosecutor", district="KHI-S")
    headers = login(user.username)
    me = client.get("/api/v1/users/me", headers=headers)
    assert me.status_code == 200
    assert me.json()["username"] == user.username
    assert me.json()["roles"] == ["prosecutor"]
    assert me.headers["etag"]


def test_unknown_route_is_problem_json(client):
    r = client.get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    body = r.json()
    assert body["status"] == 404 and body["type"].endswith("/not-found") and body["request_id"]
