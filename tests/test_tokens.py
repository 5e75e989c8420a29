"""Bearer tokens the service must refuse: forged (``alg: none``, algorithm confusion, another key,
tampered), expired or not yet valid, missing or wrong claims, the wrong type, and tokens whose
sign-in has ended (logout, refresh-token reuse, a password change, an expired session) or whose user
is deactivated or unknown. Every refusal is a 401 problem+json with ``WWW-Authenticate: Bearer``
and one generic detail: nothing tells an attacker which check failed."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwt
from sqlalchemy import select, update

from api.auth.models import AuthSession
from api.config import get_settings
from api.db import utcnow
from tests.conftest import PASSWORD

TOKEN_URL = "/api/v1/auth/token"
REFRESH_URL = "/api/v1/auth/refresh"
LOGOUT_URL = "/api/v1/auth/logout"
ME = "/api/v1/users/me"


def _token(client, username, password=PASSWORD):
    return client.post(TOKEN_URL, data={"username": username, "password": password})


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(part: str) -> dict[str, Any]:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def _claims(user_id: int, session_id: str, **over: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": str(user_id),
        "sid": session_id,
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 600,
        "typ": "access",
    }
    claims.update(over)
    return {k: v for k, v in claims.items() if v is not None}


def _sign(claims: dict[str, Any], key: Any = None, algorithm: str = "HS256", **headers: Any) -> str:
    return jwt.encode(
        claims,
        get_settings().jwt_secret if key is None else key,
        algorithm=algorithm,
        headers=headers or None,
    )


def _unsigned(header: dict[str, Any], claims: dict[str, Any], signature: str = "") -> str:
    return f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}.{signature}"


def _hmac(header: dict[str, Any], claims: dict[str, Any], key: bytes) -> str:
    """HS256 by hand: the library rightly refuses a PEM key as an HMAC secret; an attacker would not."""
    signing_input = _unsigned(header, claims).rstrip(".")
    digest = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(digest)}"


#: the one refusal every bad token gets (the detail of a missing header differs: it tells a client
#: to send one, which helps nobody forge anything)
_REFUSAL: dict[str, Any] = {}


def assert_refused(r: Any, *, secrets: tuple[str, ...] = ()) -> None:
    """401 problem+json, ``WWW-Authenticate: Bearer``, the same type/title/detail as every other bad
    token, and nothing of the token or its claims echoed back."""
    assert r.status_code == 401, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.headers["www-authenticate"] == "Bearer"
    body = r.json()
    assert body["status"] == 401
    shape = {k: body[k] for k in ("type", "title", "detail")}
    _REFUSAL.setdefault("shape", shape)
    assert shape == _REFUSAL["shape"], f"{shape} differs from {_REFUSAL['shape']}"
    assert set(body) <= {"type", "title", "status", "detail", "instance", "request_id"}, body
    for secret in secrets:
        assert secret not in r.text


@pytest.fixture
def signed_in(client, db, make_user):
    user = make_user("prosecutor", district="KHI-S")
    pair = _token(client, user.username).json()
    db.expire_all()
    sid = db.scalar(select(AuthSession.id).where(AuthSession.user_id == user.id))
    return user, sid, pair


@pytest.fixture(autouse=True)
def _reference_refusal(client):
    """The generic refusal, taken from a token that is plainly garbage."""
    r = client.get(ME, headers=_bearer("garbage"))
    assert r.status_code == 401
    _REFUSAL["shape"] = {k: r.json()[k] for k in ("type", "title", "detail")}


def test_a_well_formed_forged_token_with_the_right_key_works(client, signed_in):
    """Control: the forging helpers build tokens the service accepts, so the refusals below are real."""
    user, sid, _ = signed_in
    assert client.get(ME, headers=_bearer(_sign(_claims(user.id, sid)))).status_code == 200
    assert client.get(ME, headers=_bearer(_sign(_claims(user.id, sid), kid="whatever"))).status_code == 200


def _forgeries(user: Any, sid: str, pair: dict[str, str]) -> dict[str, str]:
    secret = get_settings().jwt_secret
    good = _claims(user.id, sid)
    access = pair["access_token"]
    head, payload, sig = access.split(".")
    now = int(time.time())

    def tampered(**change: Any) -> str:
        return f"{head}.{_b64(json.dumps({**_unb64(payload), **change}).encode())}.{sig}"

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    rsa_pem = rsa_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    rsa_public = rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public_numbers = rsa_key.public_key().public_numbers()
    jwk = {
        "kty": "RSA",
        "n": _b64(public_numbers.n.to_bytes(256, "big")),
        "e": _b64(public_numbers.e.to_bytes(3, "big")),
    }
    return {
        # alg none, in its spellings, with and without a signature
        "alg none": _unsigned({"alg": "none", "typ": "JWT"}, good),
        "alg None": _unsigned({"alg": "None", "typ": "JWT"}, good),
        "alg NONE": _unsigned({"alg": "NONE", "typ": "JWT"}, good),
        "alg nOnE": _unsigned({"alg": "nOnE", "typ": "JWT"}, good),
        "alg none with the real signature": _unsigned({"alg": "none", "typ": "JWT"}, good, sig),
        "no alg at all": _unsigned({"typ": "JWT"}, good, sig),
        "alg empty": _unsigned({"alg": "", "typ": "JWT"}, good),
        # algorithm confusion: another HMAC size with the right secret; asymmetric algorithms with
        # an attacker's key (in the header as a jwk, or its public half used as an HMAC secret)
        "HS384 with the right secret": _sign(good, secret, "HS384"),
        "HS512 with the right secret": _sign(good, secret, "HS512"),
        "RS256 with an attacker's key": _sign(good, rsa_pem, "RS256"),
        "RS256 with the key in the header (jwk)": _sign(good, rsa_pem, "RS256", jwk=jwk),
        "HS256 signed with an attacker's public key": _hmac({"alg": "HS256", "typ": "JWT"}, good, rsa_public),
        "ES256 with an attacker's key": _sign(good, ec_pem, "ES256"),
        "header says HS512, HS256 signature": f"{_b64(json.dumps({'alg': 'HS512', 'typ': 'JWT'}).encode())}"
        f".{payload}.{sig}",
        # the wrong key
        "another secret": _sign(good, "another-secret-" + "x" * 40),
        "the secret with one character changed": _sign(
            good, secret[:-1] + ("A" if secret[-1] != "A" else "B")
        ),
        "a prefix of the secret": _sign(good, secret[:16]),
        "an empty secret": _sign(good, ""),
        # time
        "expired": _sign(_claims(user.id, sid, iat=now - 7200, exp=now - 3600)),
        "expired a second ago": _sign(_claims(user.id, sid, iat=now - 600, exp=now - 1)),
        "not yet valid (nbf ahead)": _sign(_claims(user.id, sid, nbf=now + 3600)),
        "exp not a number": _sign(_claims(user.id, sid, exp="tomorrow")),
        "iat not a number": _sign(_claims(user.id, sid, iat="now")),
        # missing or wrong claims
        "missing exp": _sign(_claims(user.id, sid, exp=None)),
        "missing iat": _sign(_claims(user.id, sid, iat=None)),
        "missing sub": _sign(_claims(user.id, sid, sub=None)),
        "missing jti": _sign(_claims(user.id, sid, jti=None)),
        "missing sid": _sign(_claims(user.id, sid, sid=None)),
        "missing typ": _sign(_claims(user.id, sid, typ=None)),
        "sid not a string": _sign(_claims(user.id, sid, sid=12345)),
        "non-numeric sub": _sign(_claims(user.id, sid, sub="admin")),
        "sub of another user with this session": _sign(_claims(user.id + 1000, sid)),
        "an unknown user": _sign(_claims(987654321, uuid.uuid4().hex)),
        "an unknown session": _sign(_claims(user.id, uuid.uuid4().hex)),
        "empty claims": _sign({}),
        # the wrong type
        "typ refresh": _sign(_claims(user.id, sid, typ="refresh")),
        "the refresh token as a bearer": pair["refresh_token"],
        # tampered payload, the signature kept
        "tampered sub": tampered(sub=str(user.id + 1000)),
        "tampered exp": tampered(exp=now + 10 * 365 * 86400),
        "tampered sid": tampered(sid=uuid.uuid4().hex),
        "truncated signature": access[:-4],
        "signature of another token": f"{head}.{payload}.{_sign(good).split('.')[2]}",
        # not a token at all
        "garbage": "garbage",
        "three dots": "a.b.c",
        "empty parts": "..",
        "two parts": f"{head}.{payload}",
        "four parts": f"{access}.{sig}",
        "non-ascii": "é.ü.ß",
        "huge": "A" * 20000,
        "a JSON header that is not an object": f"{_b64(b'[1]')}.{payload}.{sig}",
    }


def test_forged_tokens_are_refused(client, signed_in):
    user, sid, pair = signed_in
    forged = _forgeries(user, sid, pair)
    assert len(forged) > 40
    for name, token in forged.items():
        value = f"Bearer {token}".encode()  # bytes: non-ASCII goes out as raw UTF-8
        r = client.get(ME, headers={"Authorization": value})
        try:
            assert_refused(r, secrets=(user.username, sid))
        except AssertionError as error:
            raise AssertionError(f"{name}: {error}") from None
    # the real token still works after all that
    assert client.get(ME, headers=_bearer(pair["access_token"])).status_code == 200


def test_a_forged_token_is_refused_on_writes_too(client, signed_in):
    user, sid, _ = signed_in
    forged = _unsigned({"alg": "none", "typ": "JWT"}, _claims(user.id, sid))
    for method, path in (("POST", LOGOUT_URL), ("POST", "/api/v1/cases"), ("PATCH", "/api/v1/cases/1")):
        assert_refused(client.request(method, path, headers=_bearer(forged), json={}))


def test_authorization_header_shapes(client, signed_in):
    _, _, pair = signed_in
    for header in ("", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", f"Token {pair['access_token']}"):
        r = client.get(ME, headers={"Authorization": header})
        assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer", header
        assert r.headers["content-type"].startswith("application/problem+json")
    r = client.get(ME)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    # only the header carries a token: not the query string, not a cookie
    assert client.get(ME, params={"access_token": pair["access_token"]}).status_code == 401
    client.cookies.set("access_token", pair["access_token"])
    try:
        assert client.get(ME).status_code == 401
    finally:
        client.cookies.clear()


# --- sign-ins that have ended -------------------------------------------------------------------


def test_refresh_rotation_and_reuse_kills_the_family(client, make_user):
    user = make_user("prosecutor", district="KHI-S")
    first = _token(client, user.username).json()
    r = client.post(REFRESH_URL, json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["token_type"] == "bearer"
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert client.get(ME, headers=_bearer(second["access_token"])).status_code == 200
    # the used refresh token comes back: refused, and the whole login ends
    r = client.post(REFRESH_URL, json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert_refused(client.get(ME, headers=_bearer(second["access_token"])))
    assert_refused(client.get(ME, headers=_bearer(first["access_token"])))
    r = client.post(REFRESH_URL, json={"refresh_token": second["refresh_token"]})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    # a new sign-in works
    assert _token(client, user.username).status_code == 200


def test_refresh_bad_input(client):
    r = client.post(REFRESH_URL, json={"refresh_token": "x" * 40})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert r.headers["content-type"].startswith("application/problem+json")
    assert client.post(REFRESH_URL, json={}).status_code == 422
    assert client.post(REFRESH_URL, json={"refresh_token": "x" * 40, "extra": 1}).status_code == 422


def test_an_access_token_is_not_a_refresh_token(client, signed_in):
    _, _, pair = signed_in
    r = client.post(REFRESH_URL, json={"refresh_token": pair["access_token"]})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert client.get(ME, headers=_bearer(pair["access_token"])).status_code == 200


def test_logout(client, make_user):
    user = make_user("prosecutor", district="KHI-S")
    pair = _token(client, user.username).json()
    other = _token(client, user.username).json()  # a second sign-in (another device)
    assert client.post(LOGOUT_URL, headers=_bearer(pair["access_token"])).status_code == 204
    assert_refused(client.get(ME, headers=_bearer(pair["access_token"])))
    r = client.post(REFRESH_URL, json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    assert_refused(client.post(LOGOUT_URL, headers=_bearer(pair["access_token"])))
    # the other device's sign-in lives on
    assert client.get(ME, headers=_bearer(other["access_token"])).status_code == 200
    r = client.post(LOGOUT_URL)
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"


def test_a_password_change_ends_every_sign_in(client, make_user):
    user = make_user("clerk", district="KHI-S")
    one, two = _token(client, user.username).json(), _token(client, user.username).json()
    r = client.post(
        "/api/v1/users/me/password",
        json={"current_password": PASSWORD, "new_password": "Another-Horse-Battery-42"},
        headers=_bearer(one["access_token"]),
    )
    assert r.status_code == 204, r.text
    for pair in (one, two):
        assert_refused(client.get(ME, headers=_bearer(pair["access_token"])))
    assert client.post(REFRESH_URL, json={"refresh_token": two["refresh_token"]}).status_code == 401
    assert _token(client, user.username, "Another-Horse-Battery-42").status_code == 200


def test_an_expired_session_ends_its_live_access_token(client, db, signed_in):
    """The session row outlives no login: past its expiry, an unexpired access token is refused."""
    user, sid, pair = signed_in
    db.execute(
        update(AuthSession).where(AuthSession.id == sid).values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.flush()
    assert_refused(client.get(ME, headers=_bearer(pair["access_token"])))
    # and a token forged with the right key for that session is refused all the same
    assert_refused(client.get(ME, headers=_bearer(_sign(_claims(user.id, sid)))))


# --- the user behind the token --------------------------------------------------------------------


def test_a_deactivated_users_live_token_is_refused(client, db, signed_in):
    """Even when nothing revoked the session (a direct database change), the user's state is checked
    on every request."""
    user, sid, pair = signed_in
    user.is_active = False
    db.flush()
    assert_refused(client.get(ME, headers=_bearer(pair["access_token"])))
    assert_refused(client.get(ME, headers=_bearer(_sign(_claims(user.id, sid)))))
    user.is_active = True
    db.flush()
    assert client.get(ME, headers=_bearer(pair["access_token"])).status_code == 200


def test_deactivation_through_the_api_ends_the_sign_in(client, make_user, login, signed_in):
    user, _, pair = signed_in
    admin = login(make_user("admin").username)
    r = client.patch(
        f"/api/v1/users/{user.id}", json={"is_active": False}, headers={**admin, "If-Match": "*"}
    )
    assert r.status_code == 200, r.text
    assert_refused(client.get(ME, headers=_bearer(pair["access_token"])))
    r = client.post(REFRESH_URL, json={"refresh_token": pair["refresh_token"]})
    assert r.status_code == 401


def test_a_live_token_carries_no_stale_rights(client, make_user, login):
    """Roles are read on each request: a demoted user's token loses the right at once."""
    chief = make_user("prosecutor_general")
    token = login(chief.username)
    assert client.get("/api/v1/audit", headers=token).status_code == 200
    admin = login(make_user("admin").username)
    r = client.patch(
        f"/api/v1/users/{chief.id}", json={"roles": ["trainer"]}, headers={**admin, "If-Match": "*"}
    )
    assert r.status_code == 200, r.text
    r = client.get("/api/v1/audit", headers=token)
    assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
