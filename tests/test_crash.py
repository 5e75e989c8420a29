"""A crash mid-burst: 16 filings at once, each with its own Idempotency-Key, the server SIGKILLed as
soon as a few have been answered 201 (the rest in flight), then restarted on the same database of
the pass's kind. Whatever was acknowledged is there, nothing is half-written, the audit chain
verifies, and retrying every filing with its key neither duplicates nor loses one."""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from api.audit.models import AuditEntry
from api.cases.models import Case, CaseEvent, CaseParty, Charge
from tests import live

BURST = 16
#: 201s received before the kill
KILL_AFTER = 4
#: a word of each filing's accused name, to find it by (the search matches whole words)
NAMES = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliett",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
]


def test_sigkill_mid_burst_loses_no_acknowledged_filing(database_url: str, tmp_path: Path) -> None:
    with live.live_database(database_url, tmp_path) as db:
        server = db.server()
        refs = db.refs()
        auth = server.sign_in("clerk.south")
        keys = [f"crash-{i}-{secrets.token_hex(6)}" for i in range(BURST)]
        bodies = [
            live.filing(refs, f"CRASH-{i}", accused=[{"name": f"Accused {NAMES[i].title()}"}])
            for i in range(BURST)
        ]
        base = server.base
        acknowledged = threading.Semaphore(0)

        def file(i: int) -> httpx.Response:
            r = httpx.post(
                f"{base}/api/v1/cases",
                json=bodies[i],
                headers={**auth, "Idempotency-Key": keys[i]},
                timeout=60,
            )
            if r.status_code == 201:
                acknowledged.release()
            return r

        results: list[Any] = []
        burst = threading.Thread(
            target=lambda: results.extend(live.at_once([lambda i=i: file(i) for i in range(BURST)]))
        )
        burst.start()
        for _ in range(KILL_AFTER):
            assert acknowledged.acquire(timeout=60), "the burst got no 201s"
        server.kill()
        burst.join(120)
        assert not burst.is_alive() and len(results) == BURST

        answered = {i: r for i, r in enumerate(results) if isinstance(r, httpx.Response)}
        cut_off = [i for i, r in enumerate(results) if not isinstance(r, httpx.Response)]
        assert all(r.status_code == 201 for r in answered.values()), [r.text for r in answered.values()]
        assert all(isinstance(results[i], httpx.TransportError) for i in cut_off), results
        assert len(answered) >= KILL_AFTER
        assert cut_off, "every filing was answered before the kill: nothing was in flight"

        server.start()  # the same database, after a crash
        for i, first in answered.items():
            got = httpx.get(f"{server.base}/api/v1/cases/{first.json()['id']}", headers=auth, timeout=30)
            assert got.status_code == 200, got.text
            assert got.json()["number"] == first.json()["number"]
            assert got.json()["fir"]["number"] == f"CRASH-{i}"
        _no_half_written_case(db)

        # every filing again with its key: the acknowledged ones are replayed, the cut-off ones are
        # replayed if they committed before the kill, else filed now; none twice
        retried = live.at_once(
            [
                lambda i=i: httpx.post(
                    f"{server.base}/api/v1/cases",
                    json=bodies[i],
                    headers={**auth, "Idempotency-Key": keys[i]},
                    timeout=60,
                )
                for i in range(BURST)
            ]
        )
        assert all(isinstance(r, httpx.Response) and r.status_code == 201 for r in retried), retried
        for i, first in answered.items():
            assert retried[i].headers.get("Idempotent-Replayed") == "true"
            assert retried[i].json() == first.json()
        again = [
            httpx.post(
                f"{server.base}/api/v1/cases",
                json=bodies[i],
                headers={**auth, "Idempotency-Key": keys[i]},
                timeout=60,
            )
            for i in range(BURST)
        ]
        assert all(r.headers.get("Idempotent-Replayed") == "true" for r in again)
        assert [r.json()["id"] for r in again] == [r.json()["id"] for r in retried]

        with db.engine.connect() as conn:
            rows = conn.execute(select(Case.id, Case.fir_number, Case.seq, Case.number)).all()
        assert sorted(r.fir_number for r in rows) == sorted(f"CRASH-{i}" for i in range(BURST))
        assert {r.id for r in rows} == {r.json()["id"] for r in retried}
        year = datetime.now(UTC).year
        assert sorted(r.seq for r in rows) == list(range(1, BURST + 1))  # no number lost in the crash
        assert {r.number for r in rows} == {f"KHI-S-{year}-{s:06d}" for s in range(1, BURST + 1)}
        _no_half_written_case(db)
        for i in range(BURST):
            found = httpx.get(f"{server.base}/api/v1/cases", params={"q": NAMES[i]}, headers=auth, timeout=30)
            assert [c["fir_number"] for c in found.json()["items"]] == [f"CRASH-{i}"], found.text
        assert "audit chain intact" in db.cmms("audit", "verify").stdout


def _no_half_written_case(db: live.LiveDatabase) -> None:
    """Every case has its accused and complainant, its charge, one 'created' timeline entry and one
    audit entry."""
    with db.engine.connect() as conn:
        ids = set(conn.execute(select(Case.id)).scalars())
        parties = dict(
            conn.execute(select(CaseParty.case_id, func.count()).group_by(CaseParty.case_id)).all()
        )
        charges = dict(conn.execute(select(Charge.case_id, func.count()).group_by(Charge.case_id)).all())
        created = dict(
            conn.execute(
                select(CaseEvent.case_id, func.count())
                .where(CaseEvent.kind == "created")
                .group_by(CaseEvent.case_id)
            ).all()
        )
        audited = dict(
            conn.execute(
                select(AuditEntry.entity_id, func.count())
                .where(AuditEntry.entity_type == "case", AuditEntry.action == "create")
                .group_by(AuditEntry.entity_id)
            ).all()
        )
    assert ids
    for case_id in ids:
        assert (parties.get(case_id), charges.get(case_id)) == (2, 1), case_id
        assert (created.get(case_id), audited.get(str(case_id))) == (1, 1), case_id
    assert set(audited) == {str(i) for i in ids}
