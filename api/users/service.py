"""Users: creation with the password policy, listing, role/district changes, deactivation and
password resets. Keyword-only functions taking ``session``; they never commit."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import Session

from api import security
from api.audit import service as audit
from api.auth import service as auth_service
from api.concurrency import check_if_match
from api.db import utcnow
from api.errors import Conflict, InvalidCredentials, NotFound, ValidationFailed
from api.permissions import DISTRICT_ROLES, Role
from api.reference.models import District
from api.users.models import User, UserRole
from api.users.schemas import UserCreate, UserUpdate

ETAG_KIND = "user"


def _check_password(password: str, *, username: str, field: str = "password") -> None:
    problems = security.password_problems(password, username=username)
    if problems:
        raise ValidationFailed(
            "The password does not meet the policy.",
            errors=[{"loc": ["body", field], "msg": f"Password {p}."} for p in problems],
        )


def _check_district(session: Session, roles: Iterable[Role], district_id: int | None) -> None:
    if district_id is not None and session.get(District, district_id) is None:
        raise ValidationFailed(
            "Unknown district.", errors=[{"loc": ["body", "district_id"], "msg": "No such district."}]
        )
    needing = sorted(r.value for r in set(roles) & DISTRICT_ROLES)
    if needing and district_id is None:
        raise ValidationFailed(
            "These roles work in one district.",
            errors=[{"loc": ["body", "district_id"], "msg": f"Required for role(s): {', '.join(needing)}."}],
        )


def create_user(session: Session, *, data: UserCreate, origin: audit.Origin) -> User:
    _check_password(data.password, username=data.username)
    _check_district(session, data.roles, data.district_id)
    if session.scalar(select(exists().where(User.username == data.username))):
        raise Conflict(
            f"The username {data.username!r} is taken.",
            errors=[{"loc": ["body", "username"], "msg": "Already taken."}],
        )
    user = User(
        username=data.username,
        full_name=data.full_name,
        password_hash=security.hash_password(data.password),
        district_id=data.district_id,
        role_rows=[UserRole(role=r.value) for r in data.roles],
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        origin=origin,
        action="create",
        entity_type="user",
        entity_id=user.id,
        details={"username": user.username, "roles": user.roles, "district_id": user.district_id},
    )
    return user


def list_users(
    *,
    q: str | None = None,
    role: Role | None = None,
    district_id: int | None = None,
    is_active: bool | None = None,
) -> Select[tuple[User]]:
    stmt = select(User)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(User.username.like(like), User.full_name.ilike(like)))
    if role is not None:
        stmt = stmt.where(exists().where(UserRole.user_id == User.id, UserRole.role == role.value))
    if district_id is not None:
        stmt = stmt.where(User.district_id == district_id)
    if is_active is not None:
        stmt = stmt.where(User.is_active == is_active)
    return stmt


def names_of(session: Session, user_ids: Iterable[int]) -> dict[int, str]:
    """Full names of some users (for showing who did what; not a listing of users)."""
    ids = set(user_ids)
    if not ids:
        return {}
    return {
        uid: name for uid, name in session.execute(select(User.id, User.full_name).where(User.id.in_(ids)))
    }


def get_user(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def update_user(
    session: Session, *, user_id: int, data: UserUpdate, if_match: str | None, origin: audit.Origin
) -> User:
    user = get_user(session, user_id)
    check_if_match(if_match, ETAG_KIND, user.id, user.version)
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        return user
    roles = [Role(r) for r in changes.get("roles", user.roles)]
    district_id = changes.get("district_id", user.district_id)
    _check_district(session, roles, district_id)
    if origin.actor_id == user.id and (
        ("roles" in changes and Role.admin not in roles) or changes.get("is_active") is False
    ):
        raise Conflict("You cannot remove your own admin role or deactivate yourself.")
    before = {
        "full_name": user.full_name,
        "roles": user.roles,
        "district_id": user.district_id,
        "is_active": user.is_active,
    }
    if "full_name" in changes:
        user.full_name = changes["full_name"].strip()
    if "roles" in changes:
        wanted = {r.value for r in roles}
        kept = [r for r in user.role_rows if r.role in wanted]
        added = [UserRole(role=r) for r in wanted - set(user.roles)]
        user.role_rows = sorted(kept + added, key=lambda r: r.role)  # as a fresh load orders them
    user.district_id = district_id
    if "is_active" in changes:
        user.is_active = changes["is_active"]
    user.updated_at = utcnow()  # dirties the row even when only roles changed, so the version moves
    session.flush()
    after = {
        "full_name": user.full_name,
        "roles": user.roles,
        "district_id": user.district_id,
        "is_active": user.is_active,
    }
    diff = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
    action = "update"
    if "is_active" in diff:
        action = "activate" if user.is_active else "deactivate"
        if not user.is_active:
            auth_service.revoke_all_for_user(session, user.id, reason="deactivated")
    audit.record(
        session,
        origin=origin,
        action=action,
        entity_type="user",
        entity_id=user.id,
        details={"changes": diff},
    )
    return user


def reset_password(session: Session, *, user_id: int, password: str, origin: audit.Origin) -> None:
    user = get_user(session, user_id)
    _check_password(password, username=user.username)
    _set_password(session, user, password)
    audit.record(session, origin=origin, action="password_reset", entity_type="user", entity_id=user.id)


def change_own_password(
    session: Session, *, user_id: int, current: str, new: str, origin: audit.Origin
) -> None:
    user = get_user(session, user_id)
    valid, _ = security.verify_password(current, user.password_hash)
    if not valid:
        raise InvalidCredentials("The current password is not correct.")
    _check_password(new, username=user.username, field="new_password")
    _set_password(session, user, new)
    audit.record(session, origin=origin, action="password_change", entity_type="user", entity_id=user.id)


def _set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = security.hash_password(password)
    user.password_changed_at = utcnow()
    session.flush()
    auth_service.revoke_all_for_user(session, user.id, reason="password_changed")


def ensure_admin(session: Session, *, password: str) -> User | None:
    """On an empty user table, create ``admin`` with role admin (CMMS_ADMIN_PASSWORD)."""
    if session.scalar(select(exists().select_from(User))):
        return None
    _check_password(password, username="admin")
    user = User(
        username="admin",
        full_name="Administrator",
        password_hash=security.hash_password(password),
        role_rows=[UserRole(role=Role.admin.value)],
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        origin=audit.Origin(),
        action="create",
        entity_type="user",
        entity_id=user.id,
        details={"username": "admin", "roles": ["admin"], "via": "CMMS_ADMIN_PASSWORD"},
    )
    return user
