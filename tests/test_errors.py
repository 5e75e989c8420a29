"""Every error is application/problem+json with the request id; bad input never gives a 500."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

PROBLEM = "application/problem+json"


def _problem(r, status):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status and body["type"] and body["title"]
    assert body["request_id"] and body["request_id"] == r.headers["x-request-id"]
    return body


def test_unknown_route_and_wrong_method(client):
    _problem(client.get("/api/v1/nope"), 404)
    body = _problem(client.delete("/api/v1/users/me"), 405)
    assert body["type"].endswith("/method-not-allowed")
    _problem(client.put("/health"), 405)


def test_malformed_json(client, as_role):
    headers = {**as_role("admin"), "Content-Type": "application/json"}
    body = _problem(client.post("/api/v1/users", content=b'{"username": ', headers=headers), 422)
    assert body["errors"] and body["errors"][0]["loc"][0] == "body"
    body = _problem(client.post("/api/v1/auth/refresh", content=b"[1, 2", headers=headers), 422)
    assert body["errors"]


def test_wrong_type_has_loc(client, as_role):
    headers = as_role("admin")
    r = client.post(
        "/api/v1/users",
        json={"username": "ab.cd", "password": 5, "full_name": ["x"], "roles": "admin"},
        headers=headers,
    )
    body = _problem(r, 422)
    locs = {tuple(e["loc"]) for e in body["errors"]}
    assert {("body", "password"), ("body", "full_name"), ("body", "roles")} <= locs
    assert all(isinstance(e["msg"], str) and e["msg"] for e in body["errors"])
    body = _problem(client.get("/api/v1/users/0", headers=headers), 422)
    assert body["errors"][0]["loc"] == ["path", "user_id"]
    _problem(client.get("/api/v1/users/abc", headers=headers), 404)  # an id is digits: no such path
    body = _problem(client.post("/api/v1/users", json=[1, 2], headers=headers), 422)
    body = _problem(client.post("/api/v1/users", json="text", headers=headers), 422)


@pytest.mark.parametrize(
    "payload",
    [
        b"\xff\xfe\xfa",
        b'{"refresh_token": "\xff\xfe\xfa\xff\xfe\xfa\xff\xfe\xfa\xff\xfe\xfa\xff\xfe\xfa"}',
        b'{"refresh_token": "\\ud800\\ud800\\ud800\\ud800\\ud800\\ud800"}',
        b'{"refresh_token": "' + b"\x00" * 32 + b'"}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
        b'{"refresh_token": "' + b"x" * 2_000_000 + b'"}',
        b"1e999999",
        b"NaN",
        b"",
    ],
    ids=[
        "invalid-utf8",
        "invalid-utf8-in-string",
        "lone-surrogates",
        "nul-bytes",
        "deep-array",
        "deep-object",
        "huge-string",
        "huge-number",
        "nan",
        "empty",
    ],
)
def test_hostile_bodies_are_4xx(client, payload):
    r = client.post("/api/v1/auth/refresh", content=payload, headers={"Content-Type": "application/json"})
    assert 400 <= r.status_code < 500, (r.status_code, r.text[:300])
    assert r.headers["content-type"].startswith(PROBLEM)


@pytest.mark.parametrize(
    "form",
    [
        {"username": "\x00admin", "password": "x"},
        {"username": "é" * 500, "password": "x"},
        {"username": "admin"},
        {},
    ],
)
def test_hostile_forms_are_4xx(client, form):
    r = client.post("/api/v1/auth/token", data=form)
    assert 400 <= r.status_code < 500, r.text
    assert r.headers["content-type"].startswith(PROBLEM)


def test_hostile_token_form_bytes(client):
    r = client.post(
        "/api/v1/auth/token",
        content=b"username=\xff\xfe&password=\xff",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert 400 <= r.status_code < 500, r.text
    r = client.post(
        "/api/v1/auth/token", content=b"--x\r\nbroken", headers={"Content-Type": "multipart/form-data"}
    )
    assert 400 <= r.status_code < 500, r.text


def test_hostile_query_strings(client, as_role):
    headers = as_role("admin")
    for qs in (
        "limit=1e3",
        "limit=%00",
        "offset=99999999999999999999999",
        "q=%ff%fe",
        "district_id=-1",
        "is_active=maybe",
        "sort=" + "x" * 500,
    ):
        r = client.get(f"/api/v1/users?{qs}", headers=headers)
        assert 400 <= r.status_code < 500 or r.status_code == 200, (qs, r.status_code, r.text)
        assert r.status_code != 500
    r = client.get("/api/v1/users/99999999999999999999999999", headers=headers)
    assert 400 <= r.status_code < 500, r.text
    r = client.get("/api/v1/reference/courts/9223372036854775808", headers=headers)
    assert 400 <= r.status_code < 500, r.text


def test_request_id(client):
    r = client.get("/api/v1/nope", headers={"X-Request-ID": "abc-123.x_y"})
    assert r.headers["x-request-id"] == "abc-123.x_y"
    assert r.json()["request_id"] == "abc-123.x_y"
    # an unsafe id is replaced, never echoed
    for bad in ("a b", "x" * 200, "<script>", "id\twith\ttabs"):
        r = client.get("/api/v1/nope", headers={"X-Request-ID": bad})
        assert r.headers["x-request-id"] != bad
        assert r.json()["request_id"] == r.headers["x-request-id"]
    assert client.get("/health").headers["x-request-id"]


def test_401_has_www_authenticate(client):
    r = client.get("/api/v1/users/me")
    _problem(r, 401)
    assert r.headers["www-authenticate"] == "Bearer"


def test_500_is_problem_without_trace(db, caplog):
    from api.main import create_app
    from api.routing import UnitOfWorkRoute

    app = create_app()

    def explode() -> None:
        raise RuntimeError("secret internal detail /srv/cmms/api/boom.py")

    app.router.add_api_route("/boom", explode, methods=["GET"], route_class_override=UnitOfWorkRoute)
    with TestClient(app, raise_server_exceptions=False) as c:
        r = c.get("/boom", headers={"X-Request-ID": "req-500"})
    body = _problem(r, 500)
    assert body["request_id"] == "req-500"
    text = json.dumps(body)
    assert "Traceback" not in text and "secret internal detail" not in text and "RuntimeError" not in text
