"""A throwaway PostgreSQL cluster for the test suite: initdb in a temporary folder, started on
loopback on a free port, stopped and removed afterwards. As root (development machines and CI),
initdb and pg_ctl run as the ``postgres`` user, which they require.

``python -m tests.pg available`` exits 0 when the server binaries exist."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path


def bindir() -> Path | None:
    candidates = []
    if shutil.which("pg_config"):
        out = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=False
        ).stdout.strip()
        candidates.append(out)
    candidates += sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    for c in candidates:
        if c and (Path(c) / "initdb").exists() and (Path(c) / "pg_ctl").exists():
            return Path(c)
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_owner(cmd: list[str], owner: str | None) -> list[str]:
    if owner is None:
        return cmd
    return ["runuser", "-u", owner, "--", *cmd]


@contextlib.contextmanager
def cluster(dbname: str = "cmms_test") -> Iterator[str]:
    """Yield a ``postgresql+psycopg://`` URL of a fresh database in a fresh cluster."""
    bins = bindir()
    if bins is None:
        raise RuntimeError("PostgreSQL server binaries (initdb, pg_ctl) not found")
    owner = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            subprocess.run(["useradd", "--system", "--no-create-home", "postgres"], check=True)
        owner = "postgres"
    root = Path(tempfile.mkdtemp(prefix="cmms-pg-"))
    data, sock = root / "data", root / "sock"
    data.mkdir()
    sock.mkdir()
    if owner:
        shutil.chown(root, owner)
        shutil.chown(data, owner)
        shutil.chown(sock, owner)
    port = _free_port()
    env = {**os.environ, "LC_ALL": "C.UTF-8"}
    try:
        subprocess.run(
            _as_owner(
                [
                    str(bins / "initdb"),
                    "-D",
                    str(data),
                    "-U",
                    "cmms",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ],
                owner,
            ),
            check=True,
            capture_output=True,
            env=env,
        )
        opts = (
            f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={sock} "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200 "
            # SSD storage, as the README recommends for production
            "-c random_page_cost=1.1"
        )
        subprocess.run(
            _as_owner(
                [str(bins / "pg_ctl"), "-D", str(data), "-o", opts, "-l", str(root / "log"), "-w", "start"],
                owner,
            ),
            check=True,
            capture_output=True,
            env=env,
        )
        subprocess.run(
            [str(bins / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "cmms", dbname],
            check=True,
            capture_output=True,
            env=env,
        )
        yield f"postgresql+psycopg://cmms@127.0.0.1:{port}/{dbname}"
    finally:
        subprocess.run(
            _as_owner([str(bins / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], owner),
            capture_output=True,
            check=False,
            env=env,
        )
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:] == ["available"]:
        sys.exit(0 if bindir() else 1)
    with cluster() as url:
        print(url, flush=True)
        input("PostgreSQL running; press Enter to stop\n")
