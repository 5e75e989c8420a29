"""The benchmark program behind ``make bench``: seed N cases, start the server, drive it at 16
connections and print each heavy read's throughput as a ratio to the same server's ``/health``,
with p99 latency and the server's RSS. It prints figures; it never fails on speed.

Environment (all optional):
  BENCH_CASES=1000000     cases to seed (a reused database is topped up to this count)
  BENCH_DURATION=10       seconds per endpoint and user
  BENCH_CONNECTIONS=16    concurrent connections
  BENCH_WORKERS=1         uvicorn workers
  BENCH_DB=sqlite|postgresql   postgresql starts a throwaway cluster (tests/pg.py)
  DATABASE_URL            a PostgreSQL URL to use instead (seeded up to BENCH_CASES)
  BENCH_DATABASE_URL      any database URL to use as is (the smoke test's)
  BENCH_FRESH=1           rebuild the SQLite bench database (var/bench/bench-<N>.db)
  BENCH_SEED=1            the generator's seed
  BENCH_LOADGEN=wrk|python     default: wrk when installed
  BENCH_JSON=path         also write the figures as JSON
  BENCH_SCHEDULES=0       seed without hearings, deadlines and tasks (the case file alone)

Endpoints: the case list, search and detail; and, when the app has their routes, a district's
hearings for a month, its overdue deadlines and its workload (``ENDPOINTS``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from tests import live

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
USERS = (("dp.south", "district prosecutor, KHI-S"), ("pg.sindh", "prosecutor general"))
#: endpoint → the route it needs (method, path template); driven only when the app has the route
ENDPOINTS: dict[str, tuple[str, str]] = {
    "list": ("GET", "/api/v1/cases"),
    "search": ("GET", "/api/v1/cases"),
    "detail": ("GET", "/api/v1/cases/{case_id}"),
    "hearings": ("GET", "/api/v1/hearings"),
    "deadlines": ("GET", "/api/v1/deadlines"),
    "workload": ("GET", "/api/v1/workload"),
}
#: targets: ratio to /health in the same run (issue 3 for the case file, issue 4 for schedules)
TARGET = {"list": 0.15, "search": 0.10, "detail": 0.15, "hearings": 0.10, "deadlines": 0.10, "workload": 0.10}


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def log(msg: str) -> None:
    print(msg, flush=True)


# --- the database ---------------------------------------------------------------------------


@contextlib.contextmanager
def database(cases: int) -> Iterator[tuple[str, bool]]:
    """(URL, fresh) of the database to benchmark."""
    if os.environ.get("BENCH_DATABASE_URL"):
        yield os.environ["BENCH_DATABASE_URL"], False
        return
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgresql"):
        yield url, False
        return
    if os.environ.get("BENCH_DB", "sqlite") == "postgresql":
        sys.path.insert(0, str(ROOT))
        from tests.pg import cluster

        with cluster("cmms_bench") as pg_url:
            yield pg_url, True
        return
    path = ROOT / "var" / "bench" / f"bench-{cases}.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    if os.environ.get("BENCH_FRESH") == "1":
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    yield f"sqlite:///{path}", not path.exists()


def prepare(url: str, env: dict[str, str], cases: int) -> dict[str, Any]:
    """Migrate, load the demo users and seed up to ``cases`` (in this process: one start-up)."""
    os.environ.update({k: env[k] for k in ("DATABASE_URL", "CMMS_ENV", "CMMS_JWT_SECRET", "CMMS_FILES_DIR")})
    sys.path.insert(0, str(ROOT))
    from sqlalchemy import func, select

    from api import config, db, migrate
    from api.bench import generator
    from api.cases.models import Case
    from api.demo import seed_demo
    from api.reference.loader import load_reference

    config.get_settings.cache_clear()
    db._sessionmakers.cache_clear()
    db.get_engine.cache_clear()
    migrate.upgrade(url)
    with db.unit_of_work() as session:
        load_reference(session)
        if os.environ.get("BENCH_FAST_HASH") == "1":  # the smoke test: cheap argon2, same code paths
            from passlib.context import CryptContext

            from api import security

            security.pwd_context = CryptContext(
                schemes=["argon2"], argon2__memory_cost=1024, argon2__rounds=1
            )
        seed_demo(session)
    with db.unit_of_work(write=False) as session:
        have = session.scalar(select(func.count()).select_from(Case)) or 0
    db.get_engine().dispose()
    info: dict[str, Any] = {"cases_before": have, "seed_seconds": None, "seeded": 0}
    if have < cases:
        stats = generator.seed_bench(
            url,
            cases=cases - have,
            seed=env_int("BENCH_SEED", 1),
            schedules=os.environ.get("BENCH_SCHEDULES", "1") != "0",
        )
        info["seed_seconds"] = round(stats.seconds, 1)
        info["seeded"] = stats.cases
        info["seed_phases"] = {name: [round(w, 1), round(c, 1)] for name, (w, c) in stats.phases.items()}
        info["seed_worker_cpu"] = {name: round(c, 1) for name, c in stats.worker_cpu.items()}
        info["seed_rows"] = dict(stats.rows)
        for line in generator.summary(stats):
            log(line)
    else:
        log(f"reusing the database: {have:,} cases")
    info["cases"] = have + info["seeded"]
    with db.unit_of_work(write=False) as session:
        from api.hearings.models import Hearing

        info["hearings"] = session.scalar(select(func.count()).select_from(Hearing)) or 0
    # the periodic jobs once now, as a running server would have in the last interval (5 min):
    # else the server's first in-process run (7 s at 1M cases, 5 s of CPU) falls inside the first
    # endpoints' measurement, which then reads a moment a server has once per interval
    from api.jobs import service as jobs

    for outcome in jobs.run_due(force=True):
        log(f"job {outcome.name}: {'ran' if outcome.ran else 'not run'} {outcome.result}")
    db.get_engine().dispose()
    if info["cases"] and not info["hearings"]:
        log("note: no hearings in this database (seeded before them, or BENCH_SCHEDULES=0): the "
            "schedule endpoints read empty tables; rebuild it (BENCH_FRESH=1) for figures that mean something")  # fmt: skip
    return info


def available_endpoints() -> list[str]:
    """The endpoints of ``ENDPOINTS`` whose routes the app has (schedules are built separately),
    read from the app's OpenAPI document."""
    from api.main import create_app

    paths = create_app().openapi()["paths"]
    routes = {(method.upper(), path) for path, ops in paths.items() for method in ops}
    return [name for name, route in ENDPOINTS.items() if route in routes]


# --- the server -----------------------------------------------------------------------------


def rss_mib(pid: int) -> float:
    """Resident memory of the server process and its children (workers), in MiB."""
    total = 0
    pids = [pid]
    with contextlib.suppress(OSError):
        pids += [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    for p in pids:
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return round(total / 1024, 1)


def warm_up(base: str, paths: list[str], token: str) -> None:
    """One request per path before measuring (connections, caches, the first query plans)."""
    import httpx

    for path in paths:
        r = httpx.get(f"{base}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=120)
        if r.status_code != 200:
            raise SystemExit(f"GET {path} answered {r.status_code}: {r.text[:500]}")


# --- load generators ------------------------------------------------------------------------

WRK_SCRIPT = """
local paths = {%(paths)s}
local n = #paths
local i = 0
wrk.headers["Authorization"] = "Bearer %(token)s"
math.randomseed(%(seed)d)
request = function()
  i = math.random(n)
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format('BENCH {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"non2xx": %%d, "errors": %%d}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
"""


def run_wrk(
    base: str, paths: list[str], token: str, duration: int, connections: int, tmp: Path
) -> dict[str, Any]:
    script = tmp / f"bench-{secrets.token_hex(4)}.lua"
    script.write_text(
        WRK_SCRIPT
        % {
            "paths": ", ".join(json.dumps(p) for p in paths),
            "token": token,
            "seed": random.randrange(1 << 30),
        }
    )
    threads = max(1, min(2, connections))
    out = subprocess.run(
        ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s", "--timeout", "30s", "-s",
         str(script), base],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    line = next((x for x in out.stdout.splitlines() if x.startswith("BENCH ")), None)
    if line is None:
        raise SystemExit(f"wrk failed:\n{out.stdout}\n{out.stderr}")
    raw = json.loads(line[6:])
    seconds = raw["duration_us"] / 1e6
    return {
        "requests": raw["requests"],
        "rps": round(raw["requests"] / seconds, 1) if seconds else 0.0,
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "non2xx": raw["non2xx"],
        "errors": raw["errors"],
    }


def run_python(base: str, paths: list[str], token: str, duration: int, connections: int) -> dict[str, Any]:
    """The fallback load generator: asyncio + httpx, one keep-alive connection per task. It shares
    the CPU with the server, so its figures are lower than wrk's."""
    import httpx

    latencies: list[float] = []
    bad = errors = 0

    async def worker(client: httpx.AsyncClient, stop: float) -> None:
        nonlocal bad, errors
        while time.perf_counter() < stop:
            t0 = time.perf_counter()
            try:
                r = await client.get(random.choice(paths))
                if r.status_code >= 400:
                    bad += 1
            except httpx.HTTPError:
                errors += 1
            latencies.append(time.perf_counter() - t0)

    async def main() -> float:
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=base, headers=headers, limits=limits, timeout=30) as client:
            t0 = time.perf_counter()
            await asyncio.gather(*(worker(client, t0 + duration) for _ in range(connections)))
            return time.perf_counter() - t0

    seconds = asyncio.run(main())
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] if latencies else 0.0  # noqa: E731
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / seconds, 1),
        "p50_ms": round(pick(0.50) * 1000, 2),
        "p99_ms": round(pick(0.99) * 1000, 2),
        "non2xx": bad,
        "errors": errors,
    }


# --- the run --------------------------------------------------------------------------------


def month_of(today: date) -> tuple[date, date]:
    """The first and the last day of ``today``'s month (``to`` of the hearings list includes its day)."""
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def targets(url: str, username: str) -> dict[str, list[str]]:
    """Paths per endpoint for a user: the list, search and detail of what that user may read, and
    the district's hearings of this month, overdue deadlines and workload."""
    from zoneinfo import ZoneInfo

    from sqlalchemy import create_engine, text

    from api.config import get_settings

    engine = create_engine(url)
    rnd = random.Random(7)
    with engine.connect() as conn:
        district_id, district = conn.execute(
            text("SELECT id, code FROM districts WHERE code = 'KHI-S'")
        ).one()
        scope = "" if username.startswith("pg.") else f"WHERE district_id = {int(district_id)}"
        top = int(conn.execute(text(f"SELECT max(id) FROM cases {scope}")).scalar_one() or 0)
        low = int(conn.execute(text(f"SELECT min(id) FROM cases {scope}")).scalar_one() or 0)
        ids: list[int] = []
        for _ in range(20):  # random ids of the readable set (probe ranges, keep existing)
            probe = [rnd.randint(low, top) for _ in range(400)]
            found = conn.execute(
                text(f"SELECT id FROM cases WHERE id IN ({', '.join(map(str, probe))})"
                     + (f" AND district_id = {int(district_id)}" if scope else ""))
            ).scalars().all()  # fmt: skip
            ids += found
            if len(ids) >= 1000:
                break
    engine.dispose()
    ids = ids[:1000] or [1]
    first, last = month_of(datetime.now(ZoneInfo(get_settings().timezone)).date())
    return {
        "health": ["/health"],
        "list": [
            f"/api/v1/cases?district_id={district_id}&stage=evidence&sort=-fir_date&limit=50",
            f"/api/v1/cases?district_id={district_id}&stage=charge&sort=-fir_date&limit=50",
            f"/api/v1/cases?district_id={district_id}&stage=evidence&sort=-created_at&limit=50",
        ],
        "search": [
            "/api/v1/cases?q=khan+302&limit=50",
            "/api/v1/cases?q=ali+324&limit=50",
            "/api/v1/cases?q=hussain+PPC&limit=50",
        ],
        "detail": [f"/api/v1/cases/{i}" for i in ids],
        "hearings": [
            f"/api/v1/hearings?district_id={district_id}&from={first.isoformat()}&to={last.isoformat()}&limit=50"
        ],
        "deadlines": [f"/api/v1/deadlines?district_id={district_id}&overdue=true&limit=50"],
        "workload": [f"/api/v1/workload?district_id={district_id}"],
        "_district": [district],
    }


def main() -> int:
    cases = env_int("BENCH_CASES", 1_000_000)
    duration = env_int("BENCH_DURATION", 10)
    connections = env_int("BENCH_CONNECTIONS", 16)
    workers = env_int("BENCH_WORKERS", 1)
    loadgen = os.environ.get("BENCH_LOADGEN") or ("wrk" if shutil.which("wrk") else "python")
    tmp = Path(tempfile.mkdtemp(prefix="cmms-bench-"))
    results: dict[str, Any] = {"loadgen": loadgen, "connections": connections, "duration_s": duration,
                               "workers": workers, "users": {}}  # fmt: skip
    with database(cases) as (url, _fresh):
        dialect = "postgresql" if url.startswith("postgresql") else "sqlite"
        results["database"] = dialect
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("CMMS_")},
            "DATABASE_URL": url,
            "CMMS_ENV": "production",
            "CMMS_JWT_SECRET": secrets.token_urlsafe(48),
            "CMMS_LOG_LEVEL": "WARNING",
            "CMMS_ACCESS_TOKEN_MINUTES": "120",
            "CMMS_FILES_DIR": str(tmp / "files"),
        }
        log(f"database: {dialect}; preparing {cases:,} cases")
        results.update(prepare(url, env, cases))
        endpoints = available_endpoints()
        results["endpoints"] = endpoints
        missing = [name for name in ENDPOINTS if name not in endpoints]
        if missing:
            log(f"not driven (no such route in the app yet): {', '.join(missing)}")
        with live.server(env, tmp / "server.log", workers=workers) as (base, proc):
            drive = (lambda paths, token: run_wrk(base, paths, token, duration, connections, tmp)) if loadgen == "wrk" \
                else (lambda paths, token: run_python(base, paths, token, duration, connections))  # fmt: skip
            rss = rss_mib(proc.pid)
            health = drive(["/health"], "none")
            results["health"] = health
            rss = max(rss, rss_mib(proc.pid))
            for username, label in USERS:
                token = live.sign_in(base, username)
                paths = targets(url, username)
                figures: dict[str, Any] = {"label": label}
                for endpoint in endpoints:
                    warm_up(base, paths[endpoint][:3], token)
                    # /health again before each endpoint: on a shared VM it swings by a third within
                    # minutes (its cost is mostly system calls), so the ratios use the median of
                    # every /health of the run, not one sample
                    f = {"health_rps": drive(["/health"], "none")["rps"], **drive(paths[endpoint], token)}
                    figures[endpoint] = f
                    rss = max(rss, rss_mib(proc.pid))
                results["users"][username] = figures
            results["health_end"] = drive(["/health"], "none")
            results["rss_mib"] = max(rss, rss_mib(proc.pid))
    samples = [results["health"]["rps"], results["health_end"]["rps"]]
    samples += [
        f["health_rps"] for figs in results["users"].values() for f in figs.values() if isinstance(f, dict)
    ]
    results["health_median"] = statistics.median(samples)
    for figs in results["users"].values():
        for f in figs.values():
            if isinstance(f, dict):
                f["ratio"] = (
                    round(f["rps"] / results["health_median"], 3) if results["health_median"] else 0.0
                )
    report(results)
    if os.environ.get("BENCH_JSON"):
        Path(os.environ["BENCH_JSON"]).write_text(json.dumps(results, indent=2))
    shutil.rmtree(tmp, ignore_errors=True)
    return 0


def report(r: dict[str, Any]) -> None:
    log("")
    log(f"CMMS benchmark - {r['database']}, {r['cases']:,} cases, {r['workers']} worker(s), "
        f"{r['connections']} connections, {r['duration_s']} s per endpoint, load generator {r['loadgen']}")  # fmt: skip
    if r.get("seed_seconds") is not None:
        log(f"seed: {r['seeded']:,} cases in {r['seed_seconds']} s")
    h = r["health"]
    log(f"{'endpoint':<28}{'req/s':>10}{'/health':>9}{'ratio':>8}{'target':>8}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'non-2xx':>9}")  # fmt: skip
    log(
        f"{'/health':<28}{h['rps']:>10.1f}{'':>9}{1:>8.2f}{'':>8}{h['p50_ms']:>9.2f}{h['p99_ms']:>9.2f}"
        f"{h['non2xx']:>9}"
    )
    for username, figs in r["users"].items():
        for endpoint in r["endpoints"]:
            f = figs[endpoint]
            name = f"{endpoint} ({username})"
            log(f"{name:<28}{f['rps']:>10.1f}{f['health_rps']:>9.1f}{f['ratio']:>8.3f}{TARGET[endpoint]:>8.2f}"
                f"{f['p50_ms']:>9.2f}{f['p99_ms']:>9.2f}{f['non2xx']:>9}")  # fmt: skip
    log(f"{'/health (median of the run)':<28}{r['health_median']:>10.1f}")
    e = r["health_end"]
    log(f"{'/health (end)':<28}{e['rps']:>10.1f}{'':>9}{e['rps'] / h['rps'] if h['rps'] else 0:>8.2f}{'':>8}"
        f"{e['p50_ms']:>9.2f}{e['p99_ms']:>9.2f}{e['non2xx']:>9}")  # fmt: skip
    log(f"server RSS: {r['rss_mib']} MiB")


if __name__ == "__main__":
    sys.exit(main())
