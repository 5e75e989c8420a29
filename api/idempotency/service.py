"""Idempotency-Key for POST: a retry with the same key and the same request replays the first
answer; the same key with a different request is refused (422). Keys are per user. The record is
written in the request's own transaction, so it exists exactly when the change does. Two
concurrent requests with one key queue (``_serialise``) and the second replays the first's answer;
the unique constraint stays the backstop (409 for the loser) where a request ends its first
transaction early (uploads, before their body streams in)."""

from __future__ import annotations

import hashlib
import re

from fastapi import Request, Response
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from api import security
from api.errors import ValidationFailed
from api.idempotency.models import IdempotencyRecord

HEADER = "idempotency-key"
_KEY = re.compile(r"^[\x21-\x7e]{1,200}$")
_REPLAYED_HEADERS = ("content-type", "location", "etag")


class Pending:
    """What a first request with a key needs to remember until its answer is stored."""

    def __init__(self, user_id: int, key: str, request_hash: str) -> None:
        self.user_id, self.key, self.request_hash = user_id, key, request_hash


async def fingerprint(request: Request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.url.path}?{request.url.query}\n".encode())
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("multipart/"):
        # uploads are streamed, never buffered here: the size and type stand for the body
        digest.update(f"{content_type};{request.headers.get('content-length', '')}".encode())
    else:
        digest.update(await request.body())
    return digest.hexdigest()


def caller_id(request: Request) -> int | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    claims = security.decode_access_token(token.strip())
    return claims.user_id if claims else None


#: the advisory-lock class of Idempotency-Keys on PostgreSQL ("IDMP"; the two-key form, a key
#: space apart from the audit chain's one-key lock)
_PG_LOCK_CLASS = 0x49444D50


def _serialise(session: Session, *, user_id: int, key: str) -> None:
    """PostgreSQL: hold a lock on (user, key) until this transaction ends, so a second request
    with the key (another worker, at the same moment) waits for the first and then replays its
    answer, rather than doing the work again and losing at the unique constraint (409). SQLite
    needs nothing: the lookup already runs in the request's write transaction (BEGIN IMMEDIATE)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(f"{user_id}:{key}".encode()).digest()
    session.execute(
        text("SELECT pg_advisory_xact_lock(:c, :k)"),
        {"c": _PG_LOCK_CLASS, "k": int.from_bytes(digest[:4], "big", signed=True)},
    )


def lookup(session: Session, *, user_id: int, key: str, request_hash: str) -> Response | None:
    _serialise(session, user_id=user_id, key=key)
    record = session.scalar(
        select(IdempotencyRecord).where(IdempotencyRecord.user_id == user_id, IdempotencyRecord.key == key)
    )
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise ValidationFailed(
            "This Idempotency-Key was already used for a different request; use a new key.",
            errors=[{"loc": ["header", "Idempotency-Key"], "msg": "reused with a different request"}],
        )
    headers = {**record.response_headers, "Idempotent-Replayed": "true"}
    return Response(content=record.response_body, status_code=record.status_code, headers=headers)


def valid_key(key: str) -> bool:
    return bool(_KEY.match(key))


def remember(session: Session, *, pending: Pending, request: Request, response: Response) -> None:
    body = getattr(response, "body", None)
    if not isinstance(body, bytes) or not 200 <= response.status_code < 300:
        return
    session.add(
        IdempotencyRecord(
            user_id=pending.user_id,
            key=pending.key,
            method=request.method,
            path=request.url.path[:500],
            request_hash=pending.request_hash,
            status_code=response.status_code,
            response_headers={h: response.headers[h] for h in _REPLAYED_HEADERS if h in response.headers},
            response_body=body,
        )
    )
