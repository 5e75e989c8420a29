"""The benchmark program at a tiny scale: it runs end to end and prints every figure. Nothing here
looks at the values (a benchmark never fails on speed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_bench_smoke(fresh_database_url: str, tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CMMS_", "BENCH_"))}
    env.update(
        {
            "BENCH_DATABASE_URL": fresh_database_url,
            "BENCH_CASES": "300",
            "BENCH_DURATION": "1",
            "BENCH_CONNECTIONS": "4",
            "BENCH_JSON": str(out),
            "BENCH_FAST_HASH": "1",
        }
    )
    run = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    figures = json.loads(out.read_text())
    assert figures["cases"] >= 300
    assert figures["seed_seconds"] is not None
    assert figures["health"]["rps"] > 0
    assert figures["rss_mib"] > 0
    # the case file's endpoints always; the schedules' ones whenever the app has their routes
    from tests.bench.bench import available_endpoints

    endpoints = figures["endpoints"]
    assert endpoints == available_endpoints()
    assert {"list", "search", "detail"} <= set(endpoints)
    for user in ("dp.south", "pg.sindh"):
        for endpoint in endpoints:
            f = figures["users"][user][endpoint]
            assert {"rps", "health_rps", "ratio", "p99_ms", "p50_ms"} <= f.keys(), (user, endpoint, f)
            assert f["health_rps"] > 0 and f["ratio"] == round(f["rps"] / figures["health_median"], 3)
            assert f["requests"] > f["non2xx"], (user, endpoint, f)
            assert f"{endpoint} ({user})" in run.stdout
    for word in ("req/s", "ratio", "p99", "server RSS"):
        assert word in run.stdout
    # the seed's phases are reported (wall and CPU seconds)
    assert figures["seed_rows"]["cases"] == figures["seeded"]
    assert "load: full-text rows" in figures["seed_phases"]
    assert {"generate rows", "write shards"} <= figures["seed_worker_cpu"].keys()
