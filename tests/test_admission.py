"""How many requests work inside the app at once (api/routing.py, ``_admission``): the default for
each database, the setting, and an upload giving its place away while its body streams in."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from api import db, routing
from api.config import get_settings
from api.db import get_engine
from tests import live


def test_the_default_follows_the_database_and_the_setting_overrides_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def inside() -> int:  # the thread pool's size is known inside an event loop
        return routing.requests_inside()

    ceiling = 40 - routing.THREAD_MARGIN  # anyio's default thread pool: 40 threads
    sqlite = get_engine().dialect.name == "sqlite"
    if not sqlite:  # PostgreSQL: each request inside holds a connection the pool keeps
        ceiling = min(ceiling, db.POOL_SIZE - db.BACKGROUND_CONNECTIONS)
    cpus = os.cpu_count() or 1
    assert anyio.run(inside) == min(max(2, cpus) if sqlite else max(4, 2 * cpus), ceiling)
    monkeypatch.setattr(get_settings(), "max_requests_inside", 3)
    assert anyio.run(inside) == 3
    monkeypatch.setattr(get_settings(), "max_requests_inside", 500)
    assert anyio.run(inside) == ceiling  # never more than the threads can carry


@pytest.fixture(scope="module")
def one_inside(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A live server that lets one request inside at a time."""
    tmp = tmp_path_factory.mktemp("admission")
    with live.live_database(database_url, tmp, CMMS_MAX_REQUESTS_INSIDE="1") as db:
        server = db.server()
        yield {"base": server.base, "refs": db.refs(), "clerk": server.sign_in("clerk.south")}


def test_a_slow_upload_keeps_no_other_request_waiting(one_inside: dict[str, Any]) -> None:
    base, clerk = one_inside["base"], one_inside["clerk"]
    r = httpx.post(f"{base}/api/v1/cases", json=live.filing(one_inside["refs"], "ADM-1"), headers=clerk)
    assert r.status_code == 201, r.text
    case_id = r.json()["id"]

    boundary = "cmms-slow-upload"
    content = b"Statement of the witness, typed slowly.\n" * 2000
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nevidence\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="title"\r\n\r\nSlow statement\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="slow.txt"\r\n'
            "Content-Type: text/plain\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    host, port = base.removeprefix("http://").split(":")
    head = (
        f"POST /api/v1/cases/{case_id}/documents HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: {clerk['Authorization']}\r\n"
        f"Content-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((host, int(port)), timeout=30) as upload:
        upload.sendall(head + body[: len(body) // 2])  # half the body, then the sender stalls
        time.sleep(1.0)  # the upload is inside, past its access checks, waiting for bytes

        started = time.monotonic()
        me = httpx.get(f"{base}/api/v1/users/me", headers=clerk, timeout=10)
        assert me.status_code == 200, me.text
        assert time.monotonic() - started < 5  # not queued behind the stalled upload

        upload.sendall(body[len(body) // 2 :])
        answer = b""
        while chunk := upload.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201"), answer[:300]
    docs = httpx.get(f"{base}/api/v1/cases/{case_id}/documents", headers=clerk).json()
    assert [(d["title"], d["size"]) for d in docs["items"]] == [("Slow statement", len(content))]
