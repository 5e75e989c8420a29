"""Run schemathesis (its CLI, ``st run``) over every operation of a live server's /openapi.json with
every check (selected in schemathesis.toml), as two district prosecutors of different districts
(peers) and an administrator, with tests/fuzz/hooks.py loaded.

``python -m tests.fuzz.runner`` (``make fuzz``): a fresh database (SQLite under a temporary folder,
or a new database next to ``DATABASE_URL`` when that names PostgreSQL), migrated and seeded with the
demo, a server over it, then the long run: every phase (examples, coverage, fuzzing, stateful),
``FUZZ_EXAMPLES`` examples per operation (default 200). Exits non-zero on any failure; the report
(JUnit XML and the text output) lands in ``FUZZ_REPORT_DIR`` (default var/fuzz)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests import live

#: the run's identities: two district prosecutors of different districts, whose cases must stay
#: private to each other (the peers), then an administrator for the operations they may not call
PEERS = ("dp.south", "dp.hyd")
ADMIN = "admin.demo"
IDENTITIES = (*PEERS, ADMIN)


def auth_document() -> dict[str, object]:
    """A Web Fuzzing Commons auth document: each identity signs in through /api/v1/auth/token (and
    again after a 401, e.g. once the fuzzer has logged its session out)."""

    def entry(username: str) -> dict[str, object]:
        return {
            "name": username,
            "loginEndpointAuth": {
                "endpoint": "/api/v1/auth/token",
                "verb": "POST",
                "contentType": "application/x-www-form-urlencoded",
                "payloadUserPwd": {
                    "username": username,
                    "password": live.DEMO_PASSWORD,
                    "usernameField": "username",
                    "passwordField": "password",
                },
                "token": {
                    "extractFrom": "body",
                    "extractSelector": "/access_token",
                    "sendIn": "header",
                    "sendName": "Authorization",
                    "sendTemplate": "Bearer {token}",
                },
            },
        }

    return {"auth": [entry(name) for name in IDENTITIES]}


def fuzz_data(database_url: str) -> dict[str, object]:
    """What hooks.py needs, read from the database (not through the API, whose access rules are
    what is under test): per peer, the rows of other districts' cases it must never reach (a
    district prosecutor reads exactly their own district's cases), and pools of real ids."""
    from sqlalchemy import text

    from api.db import make_engine

    engine = make_engine(database_url, pooled=False)
    try:
        with engine.connect() as conn:

            def rows(sql: str) -> list[tuple[int, ...]]:
                return [tuple(r) for r in conn.execute(text(sql))]

            users = {
                name: (uid, district)
                for uid, name, district in rows("SELECT id, username, district_id FROM users")
            }
            cases = rows("SELECT id, district_id, number FROM cases")
            children = {
                "hearing": rows("SELECT id, case_id FROM hearings"),
                "task": rows("SELECT id, case_id FROM tasks WHERE case_id IS NOT NULL"),
                "deadline": rows("SELECT id, case_id FROM case_deadlines"),
                "document": rows("SELECT id, case_id FROM documents"),
                "party": rows("SELECT id, case_id FROM case_parties"),
                "charge": rows("SELECT id, case_id FROM case_charges"),
                "review": rows("SELECT id, case_id FROM scrutiny_reviews"),
            }
            notifications = rows("SELECT id, user_id FROM notifications")
            districts = [d for (d,) in rows("SELECT id FROM districts")]
    finally:
        engine.dispose()
    identities: dict[str, object] = {}
    for name in PEERS:
        uid, district = users[name]
        other = {cid for cid, d, _n in cases if d != district}
        forbidden = {
            "case": sorted(other),
            "number": sorted(n for cid, _d, n in cases if cid in other),
            "district": sorted(d for d in districts if d != district),
            "notification": sorted(nid for nid, owner in notifications if owner != uid),
            **{kind: sorted(i for i, cid in pairs if cid in other) for kind, pairs in children.items()},
        }
        if not forbidden["case"] or not forbidden["number"]:
            raise RuntimeError(f"the database has no case outside {name}'s district: nothing to probe")
        identities[name] = {"user_id": uid, "forbidden": forbidden}
    pools = {
        "case": sorted(cid for cid, _d, _n in cases),
        "notification": sorted(nid for nid, _u in notifications),
        **{kind: sorted(i for i, _c in pairs) for kind, pairs in children.items()},
    }
    return {
        "identities": identities,
        "pools": pools,
        "protected_user_ids": sorted(users[name][0] for name in IDENTITIES),
        "usernames": list(IDENTITIES),
    }


@dataclass
class Outcome:
    returncode: int
    output: str
    report_dir: Path


def run(
    base: str,
    database_url: str,
    work: Path,
    *,
    max_examples: int,
    phases: str = "examples,coverage,fuzzing,stateful",
    workers: int = 2,
    seed: int | None = None,
    max_time: int | None = None,
    extra_env: dict[str, str] | None = None,
) -> Outcome:
    """One schemathesis run against ``base``; its output and reports are under ``work``."""
    work.mkdir(parents=True, exist_ok=True)
    (work / "auth.json").write_text(json.dumps(auth_document(), indent=1))
    (work / "data.json").write_text(json.dumps(fuzz_data(database_url)))
    config = work / "schemathesis.toml"
    config.write_text(
        (Path(__file__).with_name("schemathesis.toml")).read_text().replace("@AUTH@", str(work / "auth.json"))
    )
    report_dir = work / "report"
    cmd = [
        str(live.BIN / "st"),
        "--config-file",
        str(config),
        "run",
        f"{base}/openapi.json",
        "--phases",
        phases,
        "--max-examples",
        str(max_examples),
        "--workers",
        str(workers),
        "--no-color",
        "--output-truncate",
        "false",
        "--report",
        "junit",
        "--report-dir",
        str(report_dir),
        "--generation-database",
        "none",
    ]
    if seed is not None:
        cmd += ["--seed", str(seed)]
    if max_time is not None:
        cmd += ["--max-time", str(max_time)]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.fuzz.hooks",
        "CMMS_FUZZ_DATA": str(work / "data.json"),
        "PYTHONPATH": str(live.ROOT),
        **(extra_env or {}),
    }
    done = subprocess.run(cmd, cwd=live.ROOT, env=env, capture_output=True, text=True, check=False)
    output = done.stdout + done.stderr
    (work / "output.txt").write_text(output)
    return Outcome(done.returncode, output, report_dir)


@contextlib.contextmanager
def demo_server(like: str, tmp: Path, *, workers: int = 1) -> Iterator[tuple[str, str]]:
    """A server over a fresh database of the kind of ``like``, migrated and seeded with the demo;
    yields (base URL, database URL)."""
    with live.fresh_database(like, tmp) as url:
        env = live.environment(tmp, url)
        live.cmms(env, "migrate")
        live.cmms(env, "seed-demo")
        with live.server(env, tmp / "server.log", workers=workers) as (base, _proc):
            yield base, url


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="cmms-fuzz-"))
    like = os.environ.get("DATABASE_URL") or f"sqlite:///{tmp / 'like.db'}"
    report = Path(os.environ.get("FUZZ_REPORT_DIR", live.ROOT / "var" / "fuzz"))
    examples = int(os.environ.get("FUZZ_EXAMPLES", "200"))
    seed = os.environ.get("FUZZ_SEED")
    print(f"fuzzing a live server on {like.split(':', 1)[0]}; {examples} examples per operation", flush=True)
    with demo_server(like, tmp) as (base, url):
        outcome = run(
            base,
            url,
            report,
            max_examples=examples,
            workers=int(os.environ.get("FUZZ_WORKERS", "2")),
            seed=int(seed) if seed else None,
        )
    print(outcome.output)
    print(f"server log: {tmp / 'server.log'}; reports: {outcome.report_dir}")
    return outcome.returncode


if __name__ == "__main__":
    sys.exit(main())
