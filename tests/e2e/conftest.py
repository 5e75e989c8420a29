"""Browser tests: a real server (uvicorn, a fresh SQLite database, the demo users, the built SPA)
driven by Playwright through the system's Chromium (/usr/bin/chromium), never a downloaded browser.
Screenshots land in tests/artifacts/ to be looked at."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("CMMS_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = ROOT / "tests" / "artifacts"
DEMO_PASSWORD = "Demo-Passw0rd-2026"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if item.path.is_relative_to(here):
            item.add_marker(pytest.mark.e2e)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def server() -> Iterator[str]:
    if not (ROOT / "frontend" / "dist" / "index.html").is_file():
        pytest.fail("frontend/dist is not built: run `make frontend-check` (npm run build) first")
    tmp = Path(tempfile.mkdtemp(prefix="cmms-e2e-"))
    env = {
        **os.environ,
        "CMMS_ENV": "test",
        "CMMS_JWT_SECRET": secrets.token_urlsafe(48),
        "DATABASE_URL": f"sqlite:///{tmp / 'e2e.db'}",
        "CMMS_FILES_DIR": str(tmp / "files"),
        "CMMS_SPA_DIR": str(ROOT / "frontend" / "dist"),
        "CMMS_LOG_LEVEL": "WARNING",
    }
    cmms = str(Path(sys.executable).parent / "cmms")
    subprocess.run([cmms, "migrate"], env=env, check=True, capture_output=True)
    subprocess.run([cmms, "seed-demo"], env=env, check=True, capture_output=True)
    port = _free_port()
    log = (tmp / "server.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:create_app",
            "--factory",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/ready", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if proc.poll() is not None:
                pytest.fail(f"server exited: {(tmp / 'server.log').read_text()}")
            time.sleep(0.2)
        else:
            pytest.fail("server did not become ready in 30 s")
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: install Debian's chromium package")
    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser, server):  # type: ignore[no-untyped-def]
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 800})
    p = context.new_page()
    p.set_default_timeout(10_000)
    yield p
    context.close()


def shot(page, name: str) -> Path:  # type: ignore[no-untyped-def]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
