"""Reference data: listing with filters, and admin creation and edits (audited, If-Match)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, exists, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from api.audit import service as audit
from api.concurrency import check_if_match
from api.errors import Conflict, NotFound, ValidationFailed
from api.reference.models import District


def text_filter(stmt: Select[Any], q: str | None, *columns: Any) -> Select[Any]:
    if not q:
        return stmt
    like = f"%{q}%"
    return stmt.where(or_(*(c.ilike(like) for c in columns)))


def get(session: Session, model: type[Any], item_id: int) -> Any:
    row = session.get(model, item_id)
    if row is None:
        raise NotFound(f"No such {model.__tablename__.rstrip('s').replace('_', ' ')}.")
    return row


def _check_refs(session: Session, values: dict[str, Any]) -> None:
    district_id = values.get("district_id")
    if district_id is not None and not session.scalar(select(exists().where(District.id == district_id))):
        raise ValidationFailed(
            "Unknown district.", errors=[{"loc": ["body", "district_id"], "msg": "No such district."}]
        )


def create(session: Session, *, model: type[Any], data: BaseModel, kind: str, origin: audit.Origin) -> Any:
    values = data.model_dump()
    _check_refs(session, values)
    row = model(**values)
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # unique natural key
        raise Conflict(f"This {kind.replace('_', ' ')} already exists.") from exc
    audit.record(
        session,
        origin=origin,
        action="create",
        entity_type=kind,
        entity_id=row.id,
        details={"values": values},
    )
    return row


def update(
    session: Session,
    *,
    model: type[Any],
    item_id: int,
    data: BaseModel,
    kind: str,
    if_match: str | None,
    origin: audit.Origin,
) -> Any:
    row = get(session, model, item_id)
    check_if_match(if_match, kind, row.id, row.version)
    changes = data.model_dump(exclude_unset=True)
    required = [k for k, v in changes.items() if v is None and not model.__table__.c[k].nullable]
    if required:
        raise ValidationFailed(
            "These fields cannot be cleared.",
            errors=[{"loc": ["body", k], "msg": "Must not be null."} for k in required],
        )
    _check_refs(session, changes)
    diff = {k: {"from": getattr(row, k), "to": v} for k, v in changes.items() if getattr(row, k) != v}
    if not diff:
        return row
    for key, value in changes.items():
        setattr(row, key, value)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise Conflict(f"Another {kind.replace('_', ' ')} already has these values.") from exc
    audit.record(
        session, origin=origin, action="update", entity_type=kind, entity_id=row.id, details={"changes": diff}
    )
    return row
