"""Dependency values worked out later, in the endpoint's own thread.

A read's authentication queries the database, so FastAPI would run it in the thread pool on its
own, then the endpoint in a second trip. On a read route whose endpoint is a plain function
(``api.routing.UnitOfWorkRoute``), the authentication dependency instead answers a ``Deferred``
at once; the endpoint's thread resolves every ``Deferred`` of the request, in the order they were
made (authentication, then each permission check: 401 before 403), before the endpoint runs. A
request refused for its parameters resolves them first too, so a caller who may not call the
route still learns only that (401/403), never what was wrong with the parameters."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

_pending: ContextVar[list[Deferred] | None] = ContextVar("cmms_deferred", default=None)


class Deferred:
    __slots__ = ("_call", "_done", "_kwargs", "_value")

    def __init__(self, call: Callable[..., Any], kwargs: dict[str, Any]) -> None:
        self._call, self._kwargs = call, kwargs
        self._value: Any = None
        self._done = False
        pending = _pending.get()
        if pending is None:
            raise RuntimeError("a Deferred outside a request that resolves them (api.routing)")
        pending.append(self)

    def resolve(self) -> Any:
        if not self._done:
            self._value = self._call(**{name: resolved(v) for name, v in self._kwargs.items()})
            self._done = True
        return self._value


def resolved(value: Any) -> Any:
    return value.resolve() if isinstance(value, Deferred) else value


@contextmanager
def collecting() -> Iterator[list[Deferred]]:
    """The request's ``Deferred`` values, in the order they were made."""
    pending: list[Deferred] = []
    token = _pending.set(pending)
    try:
        yield pending
    finally:
        _pending.reset(token)


def current() -> list[Deferred] | None:
    """The ``Deferred`` values of the request being handled (also seen from its endpoint's thread,
    which runs in a copy of the request's context)."""
    return _pending.get()


def resolve_all(pending: list[Deferred]) -> None:
    for deferred in list(pending):
        deferred.resolve()
