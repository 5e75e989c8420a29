"""Page[T] bodies, the limit cap, sort allow-lists, and counting without ORDER BY."""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any, Generic, Literal, TypeVar, get_args

from fastapi import Depends, Path, Query, Response
from pydantic import BaseModel, Field, TypeAdapter, model_validator
from sqlalchemy import ColumnElement, Row, Select, bindparam, func, literal_column, select
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
#: a user filter in the query string: ``me`` or a user id (see ``me_or_id``)
ME_OR_ID = r"^(me|[1-9][0-9]{0,9})$"


#: ids start at 1: a filter on this id matches no row
NOBODY = 0


def me_or_id(value: str | None, caller_id: int) -> int | None:
    """The user a ``ME_OR_ID`` filter names, or None for no filter. Ten digits may pass ``MAX_ID``:
    no user has such an id (nor can the column hold it, so it is not sent): ``NOBODY``, an empty
    page."""
    if value is None:
        return None
    if value == "me":
        return caller_id
    number = int(value)
    return number if number <= MAX_ID else NOBODY


#: an execution option on a listing's statement: count at most this many rows (see ``CappedTotal``)
COUNT_CAP = "cmms_count_cap"
#: an execution option: {sort name: column} to order by instead (an equivalent, cheaper order)
SORT_ALIASES = "cmms_sort_aliases"
#: an execution option: a ``Window`` that reads the same pages for one sort from fewer candidates
WINDOW = "cmms_window"
#: the cap of the case, hearing and deadline lists: beyond it, counting costs more than the page
DEFAULT_COUNT_CAP = 10_000
#: the cap of a full-text search: its count intersects the words' postings one match at a time,
#: so it costs in proportion to the cap (about 5 ms per 1,000 matches of a common name at 1M
#: cases); past a few pages a searcher refines the words rather than reading on
SEARCH_COUNT_CAP = 500


@dataclass(frozen=True, eq=False)  # its columns compare as SQL: a Window is equal only to itself
class Window:
    """The same rows as a listing's statement for one sort (``sort``), from only the first
    ``param`` candidates in that order (the windowed statement ``stmt`` limits them itself, in a
    subquery, and ``key`` is that order's column in it). For a planner that will not sort
    candidates before a join: PostgreSQL joins every full-text match to its case and then sorts,
    where sorting the matches and joining the first page's worth stops early.

    A page read through the window that has its full ``limit`` of rows is the statement's page
    (the window's candidates that pass the statement's other conditions are a prefix of all that
    do); a shorter one is read again from the statement (the last page, or candidates that other
    conditions left out)."""

    stmt: Select[Any]
    key: ColumnElement[Any]
    param: str
    sort: str

    def size(self, params: PageParams) -> int:
        return params.offset + 2 * params.limit  # a page more than needed: a few may not pass

    @cached_property
    def page(self) -> Select[Any]:
        return (
            self.stmt.order_by(self.key.desc() if self.sort.startswith("-") else self.key.asc())
            .limit(bindparam(_LIMIT))
            .offset(bindparam(_OFFSET))
        )


class CappedTotal(int):
    """A total that stopped counting at the cap; ``Page`` reports it with ``total_capped``."""


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int = Field(description="how many items match; when total_capped is true, a lower bound (the cap)")
    limit: int
    offset: int
    total_capped: bool = Field(
        default=False,
        description="true when counting stopped at the cap (10,000 for lists of cases, hearings "
        "and deadlines, 500 for a full-text search): at least `total` items match",
    )

    @model_validator(mode="before")
    @classmethod
    def _capped(cls, data: Any) -> Any:
        if (
            isinstance(data, dict)
            and isinstance(data.get("total"), CappedTotal)
            and "total_capped" not in data
        ):
            return {**data, "total_capped": True}
        return data


class PageParams(BaseModel):
    limit: int
    offset: int
    sort: str | None


LimitQuery = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size, at most 200")]
OffsetQuery = Annotated[int, Query(ge=0, le=10_000_000)]


async def page_params(  # a coroutine: no trip through the thread pool (see api.db.get_db)
    limit: LimitQuery = 50,
    offset: OffsetQuery = 0,
) -> PageParams:
    return PageParams(limit=limit, offset=offset, sort=None)


#: the paging of a list without a choice of order; a list that sorts uses ``sorting(...)``
Paging = Annotated[PageParams, Depends(page_params)]


def sort_key(allowed: Iterable[str]) -> Any:
    """The type of a ``sort`` parameter: one of ``allowed``, or one of them prefixed with ``-`` for
    descending (an enum in the OpenAPI; anything else is a 422 naming the allowed values)."""
    return Literal[tuple(v for name in allowed for v in (name, f"-{name}"))]  # type: ignore[valid-type]


def sorting(allowed: Iterable[str], default: str) -> Any:
    """The paging dependency of a list that sorts: ``paging: Annotated[PageParams, sorting(SORTS,
    "name")]``. Its ``sort`` is one of ``allowed`` (the keys of the allow-list the route passes to
    ``paginate``), or one of them prefixed with ``-`` for descending, documented as that enum in
    the OpenAPI with ``default``; anything else is a 422 naming the allowed values."""
    names = list(allowed)
    key = sort_key(names)
    if default not in get_args(key):
        raise ValueError(f"default sort {default!r} is not one of {get_args(key)}")

    async def sorted_page_params(limit: int = 50, offset: int = 0, sort: str = default) -> PageParams:
        return PageParams(limit=limit, offset=offset, sort=sort)

    # the annotations as objects (this module's are strings, and FastAPI resolves strings in the
    # module's namespace, where this call's enum does not live)
    sorted_page_params.__annotations__ = {
        "limit": LimitQuery,
        "offset": OffsetQuery,
        "sort": Annotated[
            key,
            Query(description=f"one of {', '.join(names)}; prefix - for descending"),
        ],
        "return": PageParams,
    }
    return Depends(sorted_page_params)


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
    core: bool = False,
    binds: Mapping[str, Any] | None = None,
) -> tuple[list[Any], int]:
    """(rows of this page, total). The count runs on the filtered statement without ORDER BY.

    Options the statement may carry (``stmt.execution_options(...)``): ``COUNT_CAP`` counts at most
    that many rows and returns a ``CappedTotal`` beyond it; ``SORT_ALIASES`` orders by an equivalent
    unique column instead of a sort field (then without the tiebreak); ``WINDOW`` reads the page of
    its sort through a ``Window`` first (``core`` only).
    ``core``: ``stmt`` selects columns, not an entity; both statements then run on the session's
    connection (no ORM loading) and the page is a list of Core rows (for ``page_response``).
    ``binds``: ``stmt`` is a shape built once and kept (its values are named parameters, given
    here): its count and page statements are then built once too, with the page's limit and offset
    as parameters, so a request builds no SQL at all (see ``api.cases.service.list_cases``)."""
    run = session.connection().execute if core else session.execute
    key = params.sort or default_sort
    shaped = _shaped(stmt, key, allowed, default_sort, tiebreak) if binds is not None else None
    count, page = shaped or _derived(stmt, key, allowed, default_sort, tiebreak)
    values = {**(binds or {}), _LIMIT: params.limit, _OFFSET: params.offset}
    cap = stmt.get_execution_options().get(COUNT_CAP)
    if cap:
        memo = _capped_key(session, count, binds)
        if memo is not None and time.monotonic() - _capped.get(memo, -math.inf) < CAPPED_TOTAL_SECONDS:
            total: int = CappedTotal(cap)
        else:
            total = run(count, values).scalar() or 0
            if total > cap:
                total = CappedTotal(cap)
                _remember_capped(memo)
    else:
        total = run(count, values).scalar() or 0
    window = stmt.get_execution_options().get(WINDOW)
    if core and window is not None and key == window.sort:
        rows = run(window.page, {**values, window.param: window.size(params)}).all()
        if len(rows) == params.limit:
            return list(rows), total
    if core:
        return list(run(page, values).all()), total
    return list(session.scalars(page, values).all()), total


_LIMIT, _OFFSET = "cmms_page_limit", "cmms_page_offset"


def _derived(
    stmt: Select[Any],
    key: str,
    allowed: Mapping[str, ColumnElement[Any]],
    default_sort: str,
    tiebreak: ColumnElement[Any] | None,
) -> tuple[Select[Any], Select[Any]]:
    """(the count, the page) of ``stmt`` in the order ``key`` asks for (a 422 for a field not in
    ``allowed``)."""
    options = stmt.get_execution_options()
    aliases = options.get(SORT_ALIASES) or {}
    alias = aliases.get(key.lstrip("-"))
    if alias is not None:
        order_by(key, allowed, default_sort)  # still a 422 for unknown fields
        ordering: list[Any] = [alias.desc() if key.startswith("-") else alias.asc()]
    else:
        ordering = order_by(key, allowed, default_sort)
        if tiebreak is not None:
            ordering.append(tiebreak)
    cap = options.get(COUNT_CAP)
    if cap:
        # an aliased order (whatever the page's sort) stays in the count: it makes SQLite read the
        # full-text side first and stop at the cap; without it, SQLite may walk the cases and
        # evaluate the full-text query once per case
        counted = stmt.order_by(next(iter(aliases.values()))) if aliases else stmt.order_by(None)
        inner = counted.with_only_columns(literal_column("1"), maintain_column_froms=True).limit(cap + 1)
        count = select(func.count()).select_from(inner.subquery())
    else:
        count = select(func.count()).select_from(stmt.order_by(None).subquery())
    page = stmt.order_by(*ordering).limit(bindparam(_LIMIT)).offset(bindparam(_OFFSET))
    return count, page


#: (count, page) of statement shapes kept by their callers, by (shape, sort): built once
_SHAPES: dict[tuple[int, str], tuple[Select[Any], tuple[Select[Any], Select[Any]]]] = {}
_SHAPE_LIMIT = 2048


def _shaped(stmt: Select[Any], key: str, *how: Any) -> tuple[Select[Any], Select[Any]]:
    """``_derived(stmt, key, *how)``, built once for a kept ``stmt``."""
    found = _SHAPES.get((id(stmt), key))
    if found is not None and found[0] is stmt:
        return found[1]
    derived = _derived(stmt, key, *how)
    if len(_SHAPES) >= _SHAPE_LIMIT:
        _SHAPES.clear()
    _SHAPES[(id(stmt), key)] = (stmt, derived)  # the shape kept alive with its entry: ids stay unique
    return derived


#: how long a capped count is remembered: paging through a big list (or many people reading the
#: same big list) does not count the same 10,000 rows again for every page. "At least 10,000"
#: stays true unless thousands of rows leave the filter within the window; smaller totals are
#: always counted afresh, so a new or moved row shows in them at once.
CAPPED_TOTAL_SECONDS = 30.0
_CAPPED_KEYS = 4096
_capped: dict[Any, float] = {}


def _capped_key(session: Session, count: Select[Any], binds: Mapping[str, Any] | None) -> Any:
    """The count's identity: its SQL shape and values (bound in it, or given as ``binds``), and
    the database. SQLAlchemy memoises the cache key on the statement, so executing it afterwards
    costs nothing more (and a kept shape's key is worked out once)."""
    cache_key = count._generate_cache_key()
    if cache_key is None:
        return None
    bound = tuple(_hashable(bp.effective_value) for bp in cache_key.bindparams)
    given = tuple(sorted((k, _hashable(v)) for k, v in (binds or {}).items()))
    return (id(session.get_bind()), cache_key.key, bound, given)


def _hashable(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _remember_capped(key: Any) -> None:
    if key is None:
        return
    if len(_capped) >= _CAPPED_KEYS:
        _capped.clear()
    _capped[key] = time.monotonic()  # when it was counted


def as_dicts(rows: list[Any]) -> list[Any]:
    """Core rows as dicts (other rows as they are): reading a dict key costs a tenth of reading a
    ``Row`` attribute, which adds up over a page of rows of twenty columns."""
    if not rows or not isinstance(rows[0], Row):
        return rows
    keys = rows[0]._fields
    return [dict(zip(keys, row, strict=True)) for row in rows]


_adapters: dict[type[Any], TypeAdapter[Any]] = {}


def page_response(item_type: type[BaseModel], rows: list[Any], total: int, params: PageParams) -> Response:
    """A ``Page[item_type]`` answered directly from rows (dicts, Core rows, or objects read by
    attribute): validated and serialised in one pass by pydantic-core, without building each item
    in Python and without the second validation FastAPI gives a returned model (the route still
    declares ``response_model=Page[item_type]`` for the OpenAPI)."""
    adapter = _adapters.get(item_type)
    if adapter is None:
        adapter = _adapters[item_type] = TypeAdapter(Page[item_type])  # type: ignore[valid-type]
    rows = as_dicts(rows)  # validated 5x faster than by attribute
    page = adapter.validate_python(
        {
            "items": rows,
            "total": total,
            "limit": params.limit,
            "offset": params.offset,
            "total_capped": isinstance(total, CappedTotal),
        },
        from_attributes=bool(rows) and not isinstance(rows[0], dict),
    )
    return Response(adapter.dump_json(page), media_type="application/json")
