"""Page[T] bodies, the limit cap, sort allow-lists, and counting without ORDER BY."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Depends, Path, Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import Session

from api.errors import ValidationFailed

T = TypeVar("T")
MAX_LIMIT = 200
#: the largest id both databases store in an INTEGER column; larger ids are a 422, not a crash
MAX_ID = 2_147_483_647

#: a row id in the path (``/things/{thing_id}``)
IdPath = Annotated[int, Path(ge=1, le=MAX_ID)]
#: an optional row id filter in the query string
IdQuery = Annotated[int | None, Query(ge=1, le=MAX_ID)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class PageParams(BaseModel):
    limit: int
    offset: int
    sort: str | None


def page_params(
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size, at most 200")] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    sort: Annotated[
        str | None, Query(max_length=64, description="a field from the allowed set; -field for descending")
    ] = None,
) -> PageParams:
    return PageParams(limit=limit, offset=offset, sort=sort)


Paging = Annotated[PageParams, Depends(page_params)]


def order_by(sort: str | None, allowed: Mapping[str, ColumnElement[Any]], default: str) -> list[Any]:
    """ORDER BY for ``sort`` (``field`` or ``-field``) from an allow-list; anything else is a 422."""
    key = sort or default
    desc = key.startswith("-")
    name = key[1:] if desc else key
    column = allowed.get(name)
    if column is None:
        raise ValidationFailed(
            f"Cannot sort by {name!r}.",
            errors=[
                {
                    "loc": ["query", "sort"],
                    "msg": f"allowed: {', '.join(sorted(allowed))} (prefix - for descending)",
                }
            ],
        )
    return [column.desc() if desc else column.asc()]


def paginate(
    session: Session,
    stmt: Select[Any],
    params: PageParams,
    *,
    allowed: Mapping[str, ColumnElement[Any]],
    default_sort: str,
    tiebreak: ColumnElement[Any] | None = None,
) -> tuple[list[Any], int]:
    """(rows of this page, total). The count runs on the filtered statement without ORDER BY."""
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    ordering = order_by(params.sort, allowed, default_sort)
    if tiebreak is not None:
        ordering.append(tiebreak)
    rows = session.scalars(stmt.order_by(*ordering).limit(params.limit).offset(params.offset)).all()
    return list(rows), total
