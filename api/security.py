"""Tokens and passwords, nothing else.

Access tokens are JWTs signed with one explicit algorithm and carry ``sub`` (user id), ``sid``
(the login session, checked against the database on every request), ``jti``, ``iat`` and ``exp``.
Refresh tokens are opaque random strings; only their SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

from jose import JWTError, jwt
from passlib.context import CryptContext
from passlib.exc import MissingBackendError

from api.config import get_settings
from api.db import utcnow

log = logging.getLogger("cmms.security")

pwd_context = CryptContext(schemes=["argon2", "bcrypt"], deprecated=["bcrypt"])

_REQUIRED_CLAIMS = ("exp", "iat", "sub", "jti")


def hash_password(password: str) -> str:
    return pwd_context.hash(password)


def verify_password(password: str, hashed: str) -> tuple[bool, str | None]:
    """(valid, new_hash): new_hash is set when the stored hash should be upgraded (e.g. bcrypt)."""
    try:
        return pwd_context.verify_and_update(password, hashed)
    except (ValueError, TypeError):
        return False, None
    except MissingBackendError:  # e.g. a bcrypt hash while the bcrypt package is not installed
        log.error("cannot verify a %s password hash: backend missing", pwd_context.identify(hashed))
        return False, None


# A hash to verify against when the username is unknown, so timing does not reveal which exist.
_DUMMY_HASH = pwd_context.hash(secrets.token_urlsafe(16))


def burn_verify(password: str) -> None:
    pwd_context.verify(password, _DUMMY_HASH)


@lru_cache
def common_passwords() -> frozenset[str]:
    path = Path(__file__).parent / "users" / "common_passwords.txt"
    return frozenset(
        line.strip().lower()
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )


def password_problems(password: str, *, username: str) -> list[str]:
    """Why a password is refused (empty when it is acceptable)."""
    problems = []
    if len(password) < 12:
        problems.append("must be at least 12 characters long")
    if len(password) > 256:
        problems.append("must be at most 256 characters long")
    lowered = password.lower()
    if username and (lowered == username.lower() or username.lower() in lowered):
        problems.append("must not contain the username")
    if lowered in common_passwords() or len(set(password)) < 4:
        problems.append("is too common or too simple; choose a passphrase of several words")
    return problems


@dataclass(frozen=True)
class AccessClaims:
    user_id: int
    session_id: str
    jti: str
    expires_at: datetime


def create_access_token(*, user_id: int, session_id: str, now: datetime | None = None) -> tuple[str, int]:
    settings = get_settings()
    now = now or utcnow()
    ttl = timedelta(minutes=settings.access_token_minutes)
    claims = {
        "sub": str(user_id),
        "sid": session_id,
        "jti": uuid.uuid4().hex,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
        "typ": "access",
    }
    token = jwt.encode(claims, settings.jwt_secret, algorithm=settings.jwt_algorithm)
    return token, int(ttl.total_seconds())


def decode_access_token(token: str) -> AccessClaims | None:
    """The claims of a valid access token, or None for anything else (bad signature, alg, expiry...)."""
    settings = get_settings()
    claims = _verified(token, settings.jwt_secret, settings.jwt_algorithm)
    if claims is None or claims.expires_at <= utcnow():
        return None
    return claims


@lru_cache(maxsize=4096)
def _verified(token: str, secret: str, algorithm: str) -> AccessClaims | None:
    """The signature and claims checks of one token string (a client sends the same token with
    every request: its signature is checked once per process, its expiry on every use)."""
    try:
        header = jwt.get_unverified_header(token)
        if header.get("alg") != algorithm:
            return None
        claims = jwt.decode(
            token,
            secret,
            algorithms=[algorithm],
            options={f"require_{c}": True for c in _REQUIRED_CLAIMS} | {"verify_aud": False},
        )
    except (JWTError, ValueError, TypeError, KeyError, AttributeError):
        return None
    if claims.get("typ") != "access" or not isinstance(claims.get("sid"), str):
        return None
    try:
        user_id = int(claims["sub"])
    except (TypeError, ValueError):
        return None
    return AccessClaims(
        user_id=user_id,
        session_id=claims["sid"],
        jti=str(claims["jti"]),
        expires_at=datetime.fromtimestamp(int(claims["exp"]), tz=utcnow().tzinfo),
    )


def new_refresh_token() -> tuple[str, str]:
    """(token to give the client, SHA-256 hex to store)."""
    token = secrets.token_urlsafe(48)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_session_id() -> str:
    return uuid.uuid4().hex
