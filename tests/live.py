"""A live CMMS server for tests that need real processes (browser tests, the benchmark, fuzzing,
crashes, several workers): an environment over a fresh database, `cmms` commands against it, and
uvicorn started on a free loopback port, waited for, and always stopped."""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEMO_PASSWORD = "Demo-Passw0rd-2026"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment(tmp: Path, database_url: str | None = None, **extra: str) -> dict[str, str]:
    """The server's environment: test settings, a fresh key, files under ``tmp``; SQLite in ``tmp``
    unless ``database_url`` is given."""
    return {
        **os.environ,
        "CMMS_ENV": "test",
        "CMMS_JWT_SECRET": secrets.token_urlsafe(48),
        "DATABASE_URL": database_url or f"sqlite:///{tmp / 'live.db'}",
        "CMMS_FILES_DIR": str(tmp / "files"),
        "CMMS_LOG_LEVEL": "WARNING",
        **extra,
    }


def cmms(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``cmms ARGS`` against the environment's database; a failure raises with its output."""
    done = subprocess.run([str(BIN / "cmms"), *args], env=env, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"cmms {' '.join(args)} failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return done


@contextlib.contextmanager
def server(
    env: dict[str, str],
    logfile: Path,
    *,
    workers: int = 1,
    ready: str = "/ready",
    timeout: float = 60,
    port: int | None = None,
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """uvicorn on ``port`` (a free one by default); yields the base URL and the process. The process
    is stopped (terminated, killed after 15 s) on the way out, unless the caller already did."""
    port = port or free_port()
    cmd = [str(BIN / "uvicorn"), "api.main:create_app", "--factory", "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--no-access-log", "--log-level", "warning"]  # fmt: skip
    with logfile.open("ab") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base, proc, logfile, ready=ready, timeout=timeout)
        yield base, proc
    finally:
        stop(proc)


def wait_ready(
    base: str, proc: subprocess.Popen[bytes], logfile: Path, *, ready: str, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}{ready}", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the server did not start; see {logfile}:\n{logfile.read_text()[-2000:]}")
        time.sleep(0.2)


def stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def sign_in(base: str, username: str, password: str = DEMO_PASSWORD) -> str:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": username, "password": password}, timeout=30)
    r.raise_for_status()
    return r.json()["access_token"]
