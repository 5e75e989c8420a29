"""Login, refresh rotation with reuse detection, logout, lockout. Never commits."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from api import security
from api.audit import service as audit
from api.auth.models import AuthSession, LoginThrottle, RefreshToken
from api.auth.schemas import TokenPair
from api.config import get_settings
from api.db import begin_reading, utcnow
from api.errors import InvalidCredentials, TokenReuse, TooManyRequests, Unauthorized
from api.permissions import Principal, Role
from api.users.models import User, UserRole


def _principal_statement() -> Any:
    roles = (
        select(func.aggregate_strings(UserRole.role, ","))
        .where(UserRole.user_id == User.id)
        .correlate(User)
        .scalar_subquery()
    )
    return (
        select(
            User.username,
            User.full_name,
            User.district_id,
            User.is_active,
            AuthSession.revoked_at,
            AuthSession.expires_at,
            roles,
        )
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(AuthSession.id == bindparam("session_id"), User.id == bindparam("user_id"))
    )


#: built once: its cache key is memoised, so each request only binds the two parameters
_PRINCIPAL = _principal_statement()


def principal_for_token(session: Session, token: str) -> Principal | None:
    """The principal of a valid access token: one indexed statement (session, user and roles, the
    roles aggregated in a correlated subquery), no ORM entities and no second round trip."""
    claims = security.decode_access_token(token)
    if claims is None:
        return None
    begin_reading(session)  # an audited read authenticates outside the write lock
    # on the session's connection: a Core statement needs none of the ORM's execution layer
    row = (
        session.connection()
        .execute(_PRINCIPAL, {"session_id": claims.session_id, "user_id": claims.user_id})
        .first()
    )
    if row is None:
        return None
    username, full_name, district_id, is_active, revoked_at, expires_at, role_list = row
    if revoked_at is not None or expires_at <= utcnow() or not is_active:
        return None
    return Principal(
        user_id=claims.user_id,
        username=username,
        full_name=full_name,
        roles=frozenset(Role(r) for r in (role_list or "").split(",") if r),
        district_id=district_id,
        session_id=claims.session_id,
    )


def _normalise(username: str) -> str:
    return username.strip().lower()[:64]


def _locked_for(session: Session, username: str, now: datetime) -> int:
    row = session.get(LoginThrottle, username)
    if row is None or row.locked_until is None or row.locked_until <= now:
        return 0
    return int((row.locked_until - now).total_seconds()) + 1


def _count_failure(session: Session, username: str, now: datetime) -> None:
    """Atomic upsert-and-increment, so concurrent failures on several workers all count."""
    settings = get_settings()
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(LoginThrottle).values(username=username, failures=1, last_failure_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[LoginThrottle.username],
        set_={"failures": LoginThrottle.failures + 1, "last_failure_at": now},
    )
    session.execute(stmt)
    row = session.execute(
        select(LoginThrottle)
        .where(LoginThrottle.username == username)
        .execution_options(populate_existing=True)
    ).scalar_one()
    if row.failures >= settings.lockout_threshold:
        row.failures = 0
        row.locked_until = now + timedelta(minutes=settings.lockout_minutes)
    session.flush()


def login(
    session: Session, *, username: str, password: str, origin: audit.Origin, user_agent: str | None
) -> TokenPair:
    now = utcnow()
    name = _normalise(username)
    wait = _locked_for(session, name, now)
    if wait:
        raise TooManyRequests(
            "Too many failed sign-ins for this account; try again later or ask an administrator.",
            headers={"Retry-After": str(wait)},
        )
    user = session.scalar(select(User).where(User.username == name))
    if user is None:
        security.burn_verify(password)
        valid, new_hash = False, None
    else:
        valid, new_hash = security.verify_password(password, user.password_hash)
    if not valid or user is None or not user.is_active:
        _count_failure(session, name, now)
        audit.record(
            session,
            origin=origin,
            action="login_failed",
            entity_type="user",
            entity_id=user.id if user else None,
            details={"username": name},
        )
        raise InvalidCredentials("Incorrect username or password.")
    if new_hash:
        user.password_hash = new_hash
    throttle = session.get(LoginThrottle, name)
    if throttle is not None:
        session.delete(throttle)
    auth_session = AuthSession(
        id=security.new_session_id(),
        user_id=user.id,
        created_at=now,
        expires_at=now + timedelta(days=get_settings().refresh_token_days),
        ip=origin.ip,
        user_agent=(user_agent or "")[:256] or None,
    )
    session.add(auth_session)
    pair = _issue(session, auth_session, now)
    audit.record(
        session,
        origin=audit.Origin(user.id, origin.ip, origin.request_id),
        action="login",
        entity_type="user",
        entity_id=user.id,
        details={"session": auth_session.id},
    )
    return pair


def _issue(session: Session, auth_session: AuthSession, now: datetime) -> TokenPair:
    access, ttl = security.create_access_token(
        user_id=auth_session.user_id, session_id=auth_session.id, now=now
    )
    refresh, refresh_hash = security.new_refresh_token()
    session.add(RefreshToken(session_id=auth_session.id, token_hash=refresh_hash, created_at=now))
    session.flush()
    return TokenPair(access_token=access, refresh_token=refresh, expires_in=ttl)


def refresh(session: Session, *, token: str, origin: audit.Origin) -> TokenPair:
    now = utcnow()
    row = session.execute(
        select(RefreshToken, AuthSession)
        .join(AuthSession, AuthSession.id == RefreshToken.session_id)
        .where(RefreshToken.token_hash == security.hash_token(token))
    ).first()
    if row is None:
        raise Unauthorized("Unknown refresh token; sign in again.")
    stored, auth_session = row
    claimed = session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == stored.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if claimed != 1:
        # a dead refresh token came back: someone copied it; end the whole login
        if auth_session.revoked_at is None:
            auth_session.revoked_at = now
            auth_session.revoked_reason = "refresh_token_reuse"
        audit.record(
            session,
            origin=audit.Origin(auth_session.user_id, origin.ip, origin.request_id),
            action="token_reuse",
            entity_type="auth_session",
            entity_id=auth_session.id,
        )
        raise TokenReuse("This refresh token was already used; every token of this sign-in is now revoked.")
    user = session.get(User, auth_session.user_id)
    if (
        auth_session.revoked_at is not None
        or auth_session.expires_at <= now
        or user is None
        or not user.is_active
    ):
        raise Unauthorized("This sign-in has ended; sign in again.")
    return _issue(session, auth_session, now)


def logout(session: Session, *, principal: Principal, origin: audit.Origin) -> None:
    revoke_session(session, principal.session_id, reason="logout")
    audit.record(
        session, origin=origin, action="logout", entity_type="auth_session", entity_id=principal.session_id
    )


def revoke_session(session: Session, session_id: str, *, reason: str) -> None:
    session.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )


def revoke_all_for_user(session: Session, user_id: int, *, reason: str) -> None:
    session.execute(
        update(AuthSession)
        .where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_reason=reason)
        .execution_options(synchronize_session=False)
    )
