"""User management (admin), the password policy, ETags/If-Match, and the signed-in user."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from api.permissions import Role
from api.users.models import User
from tests.conftest import PASSWORD

USERS = "/api/v1/users"
ROLES = [r.value for r in Role]
DISTRICT_OF = {"district_prosecutor": "KHI-S", "clerk": "KHI-S", "prosecutor": "HYD", "monitor": "HYD"}


@pytest.fixture
def admin(make_user, login):
    user = make_user("admin")
    return user, login(user.username)


def _new(district_ids, **over):
    body = {
        "username": "new.user",
        "password": "Long-Enough-Passphrase-7",
        "full_name": "Naya Sarif",
        "roles": ["prosecutor"],
        "district_id": district_ids["KHI-S"],
    }
    body.update(over)
    return body


def _errors(r):
    assert r.headers["content-type"].startswith("application/problem+json")
    return r.json()["errors"]


def test_admin_creates_a_user(client, admin, district_ids, login):
    _, headers = admin
    r = client.post(USERS, json=_new(district_ids, full_name="عائشہ میمن"), headers=headers)
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/api/v1/users/{body['id']}"
    assert r.headers["etag"]
    assert body["username"] == "new.user" and body["roles"] == ["prosecutor"]
    assert body["full_name"] == "عائشہ میمن"
    assert body["is_active"] is True
    assert "password" not in body and "password_hash" not in body
    got = client.get(r.headers["location"], headers=headers)
    assert got.status_code == 200 and got.headers["etag"] == r.headers["etag"]
    assert got.json() == body
    # the new user can sign in
    assert login("new.user", "Long-Enough-Passphrase-7")


@pytest.mark.parametrize(
    ("password", "why"),
    [
        ("Short-pw1", "at least 12"),
        ("new.user", "at least 12"),
        ("new.user-and-more-1", "username"),
        ("NEW.USER.NEW.USER", "username"),
        ("password1234", "common"),
        ("aaaaaaaaaaaaaaaa", "common"),
    ],
)
def test_password_policy(client, admin, district_ids, db, password, why):
    _, headers = admin
    r = client.post(USERS, json=_new(district_ids, password=password), headers=headers)
    assert r.status_code == 422, r.text
    errors = _errors(r)
    assert errors and all(e["loc"] == ["body", "password"] for e in errors)
    assert any(why in e["msg"] for e in errors), errors
    assert db.scalar(select(User).where(User.username == "new.user")) is None


def test_duplicate_username(client, admin, district_ids):
    _, headers = admin
    assert client.post(USERS, json=_new(district_ids), headers=headers).status_code == 201
    r = client.post(USERS, json=_new(district_ids, full_name="Someone Else"), headers=headers)
    assert r.status_code == 409, r.text
    assert r.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "extra",
    [{"id": 5}, {"is_admin": True}, {"created_at": "2026-01-01T00:00:00Z"}, {"password_hash": "x"}],
)
def test_unknown_or_read_only_fields_are_refused(client, admin, district_ids, db, extra):
    _, headers = admin
    r = client.post(USERS, json=_new(district_ids, **extra), headers=headers)
    assert r.status_code == 422, r.text
    assert any(e["loc"] == ["body", next(iter(extra))] for e in _errors(r))
    assert db.scalar(select(User).where(User.username == "new.user")) is None


@pytest.mark.parametrize(
    ("over", "loc"),
    [
        ({"roles": ["clerk"], "district_id": None}, ["body", "district_id"]),
        ({"roles": ["district_prosecutor"], "district_id": None}, ["body", "district_id"]),
        ({"district_id": 999999}, ["body", "district_id"]),
        ({"roles": []}, ["body", "roles"]),
        ({"roles": ["wizard"]}, ["body", "roles", 0]),
        ({"roles": ["clerk", "clerk"]}, ["body", "roles"]),
        ({"username": "Has Spaces"}, ["body", "username"]),
        ({"full_name": "   "}, ["body", "full_name"]),
        ({"district_id": "KHI-S"}, ["body", "district_id"]),
    ],
)
def test_invalid_user_bodies(client, admin, district_ids, over, loc):
    _, headers = admin
    r = client.post(USERS, json=_new(district_ids, **over), headers=headers)
    assert r.status_code == 422, r.text
    assert any(e["loc"] == loc for e in _errors(r)), _errors(r)


def test_roles_without_district_are_fine_for_province_roles(client, admin):
    _, headers = admin
    body = {
        "username": "pg.user",
        "password": "Long-Enough-Passphrase-7",
        "full_name": "PG",
        "roles": ["prosecutor_general"],
    }
    assert client.post(USERS, json=body, headers=headers).status_code == 201


def test_list_filters_and_pagination(client, admin, make_user, district_ids, db):
    _, headers = admin
    a = make_user("clerk", district="KHI-S", username="alpha.clerk")
    b = make_user("prosecutor", district="HYD", username="beta.pros")
    c = make_user("prosecutor", district="KHI-S", username="gamma.pros")
    c.is_active = False
    db.flush()

    def names(**params):
        r = client.get(USERS, params=params, headers=headers)
        assert r.status_code == 200, r.text
        return [u["username"] for u in r.json()["items"]]

    body = client.get(USERS, headers=headers).json()
    assert set(body) == {"items", "total", "limit", "offset", "total_capped"}
    assert body["limit"] == 50 and body["offset"] == 0 and body["total"] >= 4
    assert names(q="pros") == ["beta.pros", "gamma.pros"]
    assert names(q="ALPHA") == ["alpha.clerk"]
    assert names(role="clerk") == ["alpha.clerk"]
    assert set(names(district_id=district_ids["KHI-S"])) == {"alpha.clerk", "gamma.pros"}
    assert names(q="pros", is_active="false") == ["gamma.pros"]
    assert names(q="pros", is_active="true") == ["beta.pros"]
    assert names(q="pros", sort="-username") == ["gamma.pros", "beta.pros"]
    page = client.get(USERS, params={"limit": 1, "offset": 1, "sort": "username"}, headers=headers).json()
    assert page["limit"] == 1 and page["offset"] == 1 and len(page["items"]) == 1
    assert page["items"][0]["username"] == sorted(names(limit=200))[1]
    for params in ({"limit": 201}, {"limit": 0}, {"offset": -1}, {"sort": "password_hash"}, {"role": "x"}):
        r = client.get(USERS, params=params, headers=headers)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["errors"], params
    assert {a.id, b.id} <= {
        u["id"] for u in client.get(USERS, params={"limit": 200}, headers=headers).json()["items"]
    }


def test_patch_if_match(client, admin, make_user, db):
    _, headers = admin
    user = make_user("prosecutor", district="HYD")
    url = f"{USERS}/{user.id}"
    etag = client.get(url, headers=headers).headers["etag"]

    r = client.patch(url, json={"full_name": "Changed"}, headers=headers)
    assert r.status_code == 428, r.text
    r = client.patch(url, json={"full_name": "Changed"}, headers={**headers, "If-Match": '"user-1-v999"'})
    assert r.status_code == 412, r.text
    assert client.get(url, headers=headers).json()["full_name"] == user.full_name

    r = client.patch(url, json={"full_name": "Changed"}, headers={**headers, "If-Match": etag})
    assert r.status_code == 200, r.text
    assert r.json()["full_name"] == "Changed"
    etag2 = r.headers["etag"]
    assert etag2 != etag
    assert client.get(url, headers=headers).headers["etag"] == etag2
    # the old ETag is now stale
    r = client.patch(url, json={"full_name": "Again"}, headers={**headers, "If-Match": etag})
    assert r.status_code == 412
    # only the roles change: still a new ETag
    r = client.patch(url, json={"roles": ["prosecutor", "monitor"]}, headers={**headers, "If-Match": etag2})
    assert r.status_code == 200, r.text
    assert r.json()["roles"] == ["monitor", "prosecutor"]
    assert r.headers["etag"] not in (etag, etag2)
    # invalid changes are 422 and change nothing
    etag3 = r.headers["etag"]
    r = client.patch(
        url, json={"roles": ["clerk"], "district_id": None}, headers={**headers, "If-Match": etag3}
    )
    assert r.status_code == 422
    r = client.patch(url, json={"username": "renamed"}, headers={**headers, "If-Match": etag3})
    assert r.status_code == 422
    for field in ("full_name", "roles", "is_active"):
        r = client.patch(url, json={field: None}, headers={**headers, "If-Match": etag3})
        assert r.status_code == 422, (field, r.text)
        assert r.json()["errors"][0]["loc"] == ["body", field]
    r = client.patch(url, json={"full_name": "  "}, headers={**headers, "If-Match": etag3})
    assert r.status_code == 422
    assert client.get(url, headers=headers).headers["etag"] == etag3
    assert client.patch(f"{USERS}/999999", json={}, headers={**headers, "If-Match": "*"}).status_code == 404
    assert client.get(f"{USERS}/999999", headers=headers).status_code == 404


def test_deactivate_ends_sessions_at_once(client, admin, make_user, login):
    _, headers = admin
    user = make_user("prosecutor", district="HYD")
    theirs = login(user.username)
    assert client.get("/api/v1/users/me", headers=theirs).status_code == 200
    url = f"{USERS}/{user.id}"
    etag = client.get(url, headers=headers).headers["etag"]
    r = client.patch(url, json={"is_active": False}, headers={**headers, "If-Match": etag})
    assert r.status_code == 200 and r.json()["is_active"] is False
    assert client.get("/api/v1/users/me", headers=theirs).status_code == 401
    r = client.post("/api/v1/auth/token", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 401


def test_admin_cannot_deactivate_or_demote_themselves(client, admin):
    me, headers = admin
    url = f"{USERS}/{me.id}"
    etag = client.get(url, headers=headers).headers["etag"]
    r = client.patch(url, json={"is_active": False}, headers={**headers, "If-Match": etag})
    assert r.status_code == 409, r.text
    r = client.patch(url, json={"roles": ["auditor"]}, headers={**headers, "If-Match": etag})
    assert r.status_code == 409, r.text
    assert client.get(url, headers=headers).headers["etag"] == etag


def test_reset_password(client, admin, make_user, login):
    _, headers = admin
    user = make_user("clerk", district="KHI-S")
    theirs = login(user.username)
    url = f"{USERS}/{user.id}/password"
    r = client.post(url, json={"password": "short"}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "password"]
    r = client.post(url, json={"password": "Brand-New-Passphrase-42"}, headers=headers)
    assert r.status_code == 204, r.text
    assert client.get("/api/v1/users/me", headers=theirs).status_code == 401
    r = client.post("/api/v1/auth/token", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 401
    assert login(user.username, "Brand-New-Passphrase-42")
    assert (
        client.post(
            f"{USERS}/999999/password", json={"password": "Brand-New-Passphrase-42"}, headers=headers
        ).status_code
        == 404
    )


def test_non_admins_are_forbidden_everywhere(client, make_user, login, admin):
    target = admin[0]
    user = make_user(*[r for r in ROLES if r != "admin"], district="KHI-S")
    headers = login(user.username)
    calls = [
        ("GET", USERS, None),
        (
            "POST",
            USERS,
            {
                "username": "x.y.z",
                "password": "Long-Enough-Passphrase-7",
                "full_name": "X",
                "roles": ["trainer"],
            },
        ),
        ("GET", f"{USERS}/{target.id}", None),
        ("PATCH", f"{USERS}/{target.id}", {"full_name": "Hacked"}),
        ("POST", f"{USERS}/{target.id}/password", {"password": "Long-Enough-Passphrase-7"}),
    ]
    for method, url, body in calls:
        r = client.request(method, url, json=body, headers={**headers, "If-Match": "*"})
        assert r.status_code == 403, (method, url, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        r = client.request(method, url, json=body)
        assert r.status_code == 401, (method, url, r.text)
        assert r.headers["www-authenticate"] == "Bearer"


def test_every_role_reads_itself(client, make_user, login):
    for role in ROLES:
        user = make_user(role, district=DISTRICT_OF.get(role))
        r = client.get("/api/v1/users/me", headers=login(user.username))
        assert r.status_code == 200, (role, r.text)
        body = r.json()
        assert body["roles"] == [role] and body["id"] == user.id
        assert {"id", "username", "full_name", "roles", "district_id"} <= set(body)
        assert r.headers["etag"] == f'"user-{user.id}-v{user.version}"'
        assert r.headers["content-type"] == "application/json"
    assert client.get("/api/v1/users/me").status_code == 401


def test_change_own_password(client, make_user, login):
    user = make_user("prosecutor", district="HYD")
    headers = login(user.username)
    url = "/api/v1/users/me/password"
    r = client.post(
        url,
        json={"current_password": "Wrong-current-pw-1", "new_password": "Another-Passphrase-88"},
        headers=headers,
    )
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = client.post(url, json={"current_password": PASSWORD, "new_password": "password1234"}, headers=headers)
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "new_password"]
    r = client.post(url, json={"current_password": PASSWORD}, headers=headers)
    assert r.status_code == 422
    assert client.get("/api/v1/users/me", headers=headers).status_code == 200  # nothing changed yet
    r = client.post(
        url, json={"current_password": PASSWORD, "new_password": "Another-Passphrase-88"}, headers=headers
    )
    assert r.status_code == 204, r.text
    assert client.get("/api/v1/users/me", headers=headers).status_code == 401
    assert login(user.username, "Another-Passphrase-88")
    r = client.post("/api/v1/auth/token", data={"username": user.username, "password": PASSWORD})
    assert r.status_code == 401
