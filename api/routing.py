"""The route class every router uses: the request's unit of work and Idempotency-Key handling."""

from __future__ import annotations

import functools
import inspect
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy.orm import Session

from api import deferred
from api.config import get_settings
from api.db import BACKGROUND_CONNECTIONS, POOL_SIZE, READ_METHODS, get_engine, request_session
from api.errors import AppError, ValidationFailed
from api.idempotency import service as idempotency
from api.limits import METHODS_WITH_BODY
from api.permissions import authenticate, is_guard


class UnitOfWorkRoute(APIRoute):
    """Every router uses this route class (``APIRouter(route_class=UnitOfWorkRoute)``).

    Commits the request's session once, after the endpoint returns and before the response is
    sent; rolls back on error (unless the error asks to keep its changes, e.g. a failed login's
    counter). A failed commit becomes a problem response, so nothing is acknowledged and lost."""

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        sync = not inspect.iscoroutinefunction(endpoint)
        super().__init__(path, _in_one_trip(endpoint) if sync else endpoint, **kwargs)
        #: a read whose endpoint runs in the thread pool: its authentication goes with it
        self.defers = sync and self.methods <= READ_METHODS and _principal_reaches_only_guards(self.dependant)

    def get_route_handler(self) -> Any:
        handler = super().get_route_handler()

        async def run(request: Request) -> Response:
            if request.method in METHODS_WITH_BODY and not _streamed(request):
                await request.body()  # in before a slot is taken: a slow sender holds none
            async with _admission(request):
                return await unit_of_work(request)

        async def unit_of_work(request: Request) -> Response:
            pending = None
            if request.method == "POST" and request.headers.get(idempotency.HEADER) is not None:
                replay, pending = await _idempotency_check(request)
                if replay is not None:
                    return replay
            try:
                response = await (_deferring(handler, request) if self.defers else handler(request))
            except AppError as exc:
                await _finish(request, commit=exc.keep_changes)
                raise
            except BaseException:
                await _finish(request, commit=False)
                raise
            if pending is not None:
                session = (
                    request_session(request)
                    if getattr(request.state, "db", None) is None
                    else request.state.db
                )
                idempotency.remember(session, pending=pending, request=request, response=response)
            await _finish(request, commit=True)
            return response

        return run


#: thread-pool threads left free of requests inside a route (see ``_admission``)
THREAD_MARGIN = 8


def _streamed(request: Request) -> bool:
    """Uploads: their endpoint streams the body to disk itself, after the access checks."""
    return request.headers.get("content-type", "").lower().startswith("multipart/")


def _admission(request: Request) -> anyio.CapacityLimiter:
    """The app's limit on requests inside a route at once: fewer than the thread pool's threads.

    A request holds its pooled connection (and on SQLite a writer holds the write lock) across its
    thread-pool hops: authentication, the endpoint, the commit. With more requests inside than
    threads, every thread could be waiting for a connection or for the lock of a request that is
    itself waiting for a thread: nothing moves until the 30 s timeouts, then 500s (44 filings at
    once did it on both databases: tests/test_races.py). The others wait here, holding nothing.

    On SQLite the database works inside this process, on the CPUs: more requests inside than CPUs
    only make the threads fight for the interpreter lock (at 16 connections a case list cost twice
    the CPU it costs alone). PostgreSQL requests also wait on the server, so twice as many as the
    CPUs keep the interpreter busy (at 16 connections on 2 CPUs, 4 inside answered 18% more case
    details than 18 inside, and as many lists, searches and hearings); never more than the pool
    keeps connections for (``db.POOL_SIZE``)."""
    limiter = getattr(request.app.state, "db_admission", None)
    if limiter is None:
        limiter = anyio.CapacityLimiter(requests_inside())
        request.app.state.db_admission = limiter
    return limiter


def requests_inside() -> int:
    """How many requests may work inside the app at once (``max_requests_inside``, or the default
    for the database)."""
    threads = int(anyio.to_thread.current_default_thread_limiter().total_tokens)
    ceiling = max(1, threads - THREAD_MARGIN)
    cpus = os.cpu_count() or 1
    if get_engine().dialect.name == "sqlite":
        default = max(2, cpus)
    else:  # each request inside holds one of the connections the pool keeps
        default = max(4, 2 * cpus)
        ceiling = min(ceiling, POOL_SIZE - BACKGROUND_CONNECTIONS)
    configured = get_settings().max_requests_inside
    return min(default if configured is None else configured, ceiling)


@asynccontextmanager
async def admission_released(request: Request) -> AsyncIterator[None]:
    """Gives the request's place inside the app to another while it waits on the network (an
    upload's body streaming in), holding no connection, lock or thread; takes a place again after."""
    limiter = _admission(request)
    limiter.release()
    try:
        yield
    finally:
        with anyio.CancelScope(shield=True):  # the route's exit gives the place back
            await limiter.acquire()


async def _idempotency_check(request: Request) -> tuple[Response | None, Any]:
    """(stored answer to replay, or None and what to remember for this first request)."""
    key = request.headers[idempotency.HEADER]
    if not idempotency.valid_key(key):
        raise ValidationFailed(
            "Idempotency-Key must be 1-200 visible ASCII characters.",
            errors=[{"loc": ["header", "Idempotency-Key"], "msg": "1-200 visible ASCII characters"}],
        )
    user_id = idempotency.caller_id(request)
    if user_id is None:  # unauthenticated: the route itself answers 401
        return None, None
    request_hash = await idempotency.fingerprint(request)
    session = request_session(request)
    try:
        replay = await run_in_threadpool(
            idempotency.lookup, session, user_id=user_id, key=key, request_hash=request_hash
        )
    except BaseException:
        # a key reused with another request (422): end the session, or its connection (and on
        # SQLite the write lock) stays taken and every later writer times out
        await _finish(request, commit=False)
        raise
    if replay is not None:
        await _finish(request, commit=False)
        return replay, None
    return None, idempotency.Pending(user_id, key, request_hash)


def _principal_reaches_only_guards(dependant: Dependant) -> bool:
    """Whether only permission checks and the endpoint take the principal (or a check's result):
    then authentication may be a ``Deferred`` (api/deferred.py) resolved in the endpoint's thread."""

    def walk(node: Dependant, root: bool) -> bool:
        guard = node.call is not None and is_guard(node.call)
        for sub in node.dependencies:
            takes = sub.call is authenticate or (sub.call is not None and is_guard(sub.call))
            if (takes and not (root or guard)) or not walk(sub, False):
                return False
        return True

    return walk(dependant, True)


def _in_one_trip(endpoint: Any) -> Any:
    """A plain endpoint that, on a read route that defers (``UnitOfWorkRoute.defers``), first
    resolves the request's deferred dependencies (its authentication and permission checks), then
    runs, then ends its session when it answers with a finished ``Response``, all in its own thread:
    trips through the thread pool cost a quarter of a millisecond each on a small VM. Nothing is
    read after a ``Response``; an endpoint that returns a model (validated afterwards, perhaps
    loading attributes) or raises keeps its session open for the route to end, as before."""

    @functools.wraps(endpoint)
    def call(**values: Any) -> Any:
        pending = deferred.current()
        if pending is None:  # not a deferring read: as FastAPI calls it
            return endpoint(**values)
        deferred.resolve_all(pending)
        values = {name: deferred.resolved(value) for name, value in values.items()}
        result = endpoint(**values)
        if isinstance(result, Response):
            for value in values.values():
                if isinstance(value, Session):
                    _end(value, commit=True)
                    value.info[_ENDED] = True
        return result

    return call


async def _deferring(handler: Any, request: Request) -> Response:
    with deferred.collecting() as pending:
        try:
            return await handler(request)
        except RequestValidationError:
            if pending:  # 401/403 before 422, as when authentication runs first
                await run_in_threadpool(deferred.resolve_all, pending)
            raise


_ENDED = "cmms_session_ended"


def _end(session: Session, *, commit: bool) -> None:
    try:
        if commit:
            session.commit()
        else:
            session.rollback()
    finally:
        session.close()


async def _finish(request: Request, *, commit: bool) -> None:
    session = getattr(request.state, "db", None)
    if session is None:
        return
    request.state.db = None
    if session.info.pop(_ENDED, False):
        return

    await run_in_threadpool(_end, session, commit=commit)


def model_response(model: BaseModel, response: Response, status_code: int = 200) -> Response:
    """``model`` as the JSON answer, with the headers set on the endpoint's ``response`` parameter
    (ETag…): serialised once by pydantic-core, without the second validation FastAPI gives a
    returned model. The route keeps its ``response_model`` for the OpenAPI."""
    answer = Response(model.model_dump_json(), status_code=status_code, media_type="application/json")
    for name, value in response.headers.items():
        if name not in ("content-length", "content-type"):
            answer.headers.append(name, value)
    return answer
