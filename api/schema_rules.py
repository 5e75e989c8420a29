"""The rules of the API's input schemas in one place: strict types for dates, date-times and
booleans, the NUL refusal, and JSON-schema refinements that make the published OpenAPI say what
the validators enforce."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, Strict

from api.db import AwareUTC

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")

#: Request bodies are validated strictly (``ConfigDict(strict=True)`` on every input model): a JSON
#: number is never taken for a date or a boolean, nor a boolean for an integer. The types below
#: are the exceptions JSON needs (dates travel as text) and the query string's counterparts.


def _iso_date(value: Any) -> Any:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value):
        return value
    raise ValueError("a date as text, YYYY-MM-DD")


def _rfc3339(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATETIME.fullmatch(value):
        return value
    raise ValueError("a date-time as RFC 3339 text with an offset, e.g. 2025-01-31T10:00:00+05:00")


def _date_or_instant(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and _DATE.fullmatch(value):
        return date.fromisoformat(value)
    if isinstance(value, str) and _DATETIME.fullmatch(value):
        return datetime.fromisoformat(value.upper())
    raise ValueError("a date (YYYY-MM-DD) or a date-time with an offset (RFC 3339)")


def _true_false(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if value in ("true", "false"):
        return value == "true"
    raise ValueError("true or false")


#: a date: ISO text (``YYYY-MM-DD``) only, in a body or a query string
IsoDate = Annotated[date, BeforeValidator(_iso_date), Strict(False)]
#: a date-time: RFC 3339 text with an offset only, in a body or a query string (kept in UTC)
Instant = Annotated[AwareUTC, BeforeValidator(_rfc3339), Strict(False)]
#: a date (YYYY-MM-DD) or an RFC 3339 date-time with an offset, e.g. a range's bound
DateOrInstant = Annotated[date | datetime, BeforeValidator(_date_or_instant)]
#: a boolean written as text (a query string, a form field): ``true`` or ``false`` only
TextBool = Annotated[bool, BeforeValidator(_true_false)]
#: a value of a string enumeration (``StrEnum``) in a strict body: its text is accepted
Lax = Strict(False)


def not_null(*names: str) -> Callable[[dict[str, Any]], None]:
    """``json_schema_extra`` of an update body whose fields ``names`` may be left out but never sent
    as null (its validator refuses an explicit null): their schema loses the null branch, so the
    OpenAPI does not promise that ``{"title": null}`` is valid."""

    def extra(schema: dict[str, Any]) -> None:
        for name in names:
            prop = schema.get("properties", {}).get(name)
            if not prop or "anyOf" not in prop:
                continue
            branches = [b for b in prop["anyOf"] if b.get("type") != "null"]
            rest = {k: v for k, v in prop.items() if k not in ("anyOf", "default")}
            prop.clear()
            prop.update({**branches[0], **rest} if len(branches) == 1 else {"anyOf": branches, **rest})

    return extra


def refuse_nul(value: object) -> object:
    """A field validator for the write schemas (``field_validator("*")(refuse_nul)``): NUL is never
    text a user meant, PostgreSQL cannot store it in a text column and SQLite would, so it is
    refused the same way on both, at the field (422)."""
    if isinstance(value, str) and "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


#: text without NUL: a query string holding one is refused (400, api/limits.py)
NO_NUL = "^[^\\x00]*$"


def no_nul_in_query(schema: dict[str, Any]) -> None:
    """A free-text query parameter's published schema says it takes no NUL (an enumeration, a
    format or a pattern already excludes it)."""
    for branch in schema.get("anyOf", [schema]):
        if branch.get("type") == "string" and not {"enum", "format", "pattern"} & branch.keys():
            branch["pattern"] = NO_NUL
