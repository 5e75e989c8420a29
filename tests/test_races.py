"""Races against a live server on a fresh database of the pass's kind (real threads, real
transactions; the in-process harness shares one connection, so it cannot race): concurrent editors
of one case with one ETag, concurrent filings in one district, concurrent new versions of one
document."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from api.audit.models import AuditEntry
from api.cases.models import Case, CaseEvent, CaseNumberSequence
from api.documents.models import Document
from tests import live

EDITORS = 32
#: 44 filings at once: more than the server's 40 thread-pool threads, which once stalled every
#: request until the 30 s timeouts (api/routing.py, ``_admission``)
FILINGS = 32
OTHER_DISTRICT_FILINGS = 8
DUPLICATE_FIRS = 4
UPLOADS = 16


@pytest.fixture(scope="module")
def site(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    with live.live_database(database_url, tmp_path_factory.mktemp("races")) as db:
        server = db.server()
        yield {
            "db": db,
            "base": server.base,
            "refs": db.refs(),
            "clerk": server.sign_in("clerk.south"),
            "dp": server.sign_in("dp.south"),
            "clerk_hyd": server.sign_in("clerk.hyd"),
        }


def _file(site: dict[str, Any], fir: str) -> httpx.Response:
    r = httpx.post(
        f"{site['base']}/api/v1/cases",
        json=live.filing(site["refs"], fir),
        headers=site["clerk"],
        timeout=60,
    )
    assert r.status_code == 201, r.text
    return r


def _count(db: live.LiveDatabase, stmt: Any) -> int:
    with db.engine.connect() as conn:
        return int(conn.execute(stmt).scalar_one())


def test_one_of_32_editors_with_one_etag_wins(site: dict[str, Any]) -> None:
    filed = _file(site, "R-EDIT-1")
    case_id, etag = filed.json()["id"], filed.headers["ETag"]
    url = f"{site['base']}/api/v1/cases/{case_id}"

    def edit(i: int) -> httpx.Response:
        headers = {**(site["clerk"] if i % 2 else site["dp"]), "If-Match": etag}
        return httpx.patch(url, json={"title": f"State v. editor {i}"}, headers=headers, timeout=60)

    answers = live.at_once([lambda i=i: edit(i) for i in range(EDITORS)])
    assert all(isinstance(a, httpx.Response) for a in answers), answers
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {200: 1, 412: EDITORS - 1}, [(a.status_code, a.text[:200]) for a in answers]
    winner = next(i for i, a in enumerate(answers) if a.status_code == 200)
    for a in answers:
        if a.status_code == 412:
            assert a.headers["content-type"].startswith("application/problem+json")
            assert a.json()["status"] == 412

    now = httpx.get(url, headers=site["clerk"], timeout=30)
    assert now.json()["title"] == f"State v. editor {winner}"
    assert now.headers["ETag"] == answers[winner].headers["ETag"] != etag
    db = site["db"]
    with db.engine.connect() as conn:
        version = conn.execute(select(Case.version).where(Case.id == case_id)).scalar_one()
        events = conn.execute(
            select(CaseEvent.details).where(CaseEvent.case_id == case_id, CaseEvent.kind == "updated")
        ).all()
        audits = conn.execute(
            select(AuditEntry.details).where(
                AuditEntry.entity_type == "case",
                AuditEntry.entity_id == str(case_id),
                AuditEntry.action == "update",
            )
        ).all()
    assert etag == f'"case-{case_id}-v{version - 1}"'  # one edit since the filing's answer
    assert len(events) == 1 and len(audits) == 1
    change = {"title": {"from": filed.json()["title"], "to": f"State v. editor {winner}"}}
    assert events[0][0]["changes"] == change and audits[0][0]["changes"] == change
    # the losers changed nothing, so the ETag they now read lets one more edit through
    again = httpx.patch(
        url, json={"brief_facts": "Amended."}, headers={**site["dp"], "If-Match": now.headers["ETag"]}
    )
    assert again.status_code == 200, again.text


def test_concurrent_filings_get_unique_gap_free_numbers_per_district_and_year(
    site: dict[str, Any],
) -> None:
    base, refs, db = site["base"], site["refs"], site["db"]
    year = datetime.now(UTC).year

    def file(fir: str, district: str, headers: dict[str, str]) -> httpx.Response:
        body = live.filing(refs, fir, district=district)
        return httpx.post(f"{base}/api/v1/cases", json=body, headers=headers, timeout=90)

    calls = [(f"R-NUM-{i}", "KHI-S", site["clerk"] if i % 2 else site["dp"]) for i in range(FILINGS)]
    # the same FIR twice at once: one is filed, the other refused, and no number is lost
    calls += [(f"R-NUM-{i}", "KHI-S", site["dp"]) for i in range(DUPLICATE_FIRS)]
    calls += [(f"R-HYD-{i}", "HYD", site["clerk_hyd"]) for i in range(OTHER_DISTRICT_FILINGS)]
    answers = live.at_once([lambda c=c: file(*c) for c in calls])
    assert all(isinstance(a, httpx.Response) for a in answers), answers
    statuses = Counter(a.status_code for a in answers)
    assert statuses == {201: FILINGS + OTHER_DISTRICT_FILINGS, 409: DUPLICATE_FIRS}, [
        (a.status_code, a.text[:200]) for a in answers if a.status_code != 201
    ]
    by_fir: dict[str, list[int]] = {}
    for (fir, _, _), a in zip(calls, answers, strict=True):
        by_fir.setdefault(fir, []).append(a.status_code)
    assert all(sorted(s) == [201, 409] for fir, s in by_fir.items() if len(s) == 2)
    numbers = [a.json()["number"] for a in answers if a.status_code == 201]
    assert len(set(numbers)) == len(numbers)

    with db.engine.connect() as conn:
        for code in ("KHI-S", "HYD"):
            district_id = refs["districts"][code]
            rows = conn.execute(
                select(Case.seq, Case.number).where(Case.district_id == district_id, Case.year == year)
            ).all()
            seqs = sorted(seq for seq, _ in rows)
            assert seqs == list(range(1, len(rows) + 1)), (code, seqs)
            assert {n for _, n in rows} == {f"{code}-{year}-{s:06d}" for s in seqs}
            last = conn.execute(
                select(CaseNumberSequence.last).where(
                    CaseNumberSequence.district_id == district_id, CaseNumberSequence.year == year
                )
            ).scalar_one()
            assert last == len(rows)
        filed = {n for n in numbers}
        assert filed <= set(conn.execute(select(Case.number)).scalars())
    assert sum(n.startswith("HYD-") for n in numbers) == OTHER_DISTRICT_FILINGS
    # each filing: exactly one timeline entry and one audit entry
    assert _count(
        db, select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "created")
    ) == _count(db, select(func.count()).select_from(Case))
    assert _count(
        db,
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.entity_type == "case", AuditEntry.action == "create"),
    ) == _count(db, select(func.count()).select_from(Case))


def test_concurrent_new_versions_of_one_document_are_unique(site: dict[str, Any]) -> None:
    case_id = _file(site, "R-DOC-1").json()["id"]
    url = f"{site['base']}/api/v1/cases/{case_id}/documents"

    def upload(i: int) -> httpx.Response:
        return httpx.post(
            url,
            data={"kind": "challan", "title": "Final challan"},
            files={"file": (f"challan-{i}.txt", f"version from uploader {i}\n".encode(), "text/plain")},
            headers=site["clerk"] if i % 2 else site["dp"],
            timeout=90,
        )

    answers = live.at_once([lambda i=i: upload(i) for i in range(UPLOADS)])
    assert all(isinstance(a, httpx.Response) for a in answers), answers
    assert [a.status_code for a in answers] == [201] * UPLOADS, [a.text[:200] for a in answers]
    answered = sorted(a.json()["version"] for a in answers)
    assert answered == list(range(1, UPLOADS + 1))

    db = site["db"]
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(Document.id, Document.version, Document.sha256).where(Document.case_id == case_id)
        ).all()
        events = conn.execute(
            select(func.count()).where(CaseEvent.case_id == case_id, CaseEvent.kind == "document")
        ).scalar_one()
        audits = conn.execute(
            select(func.count()).where(
                AuditEntry.entity_type == "document",
                AuditEntry.action == "upload",
                AuditEntry.entity_id.in_([str(r.id) for r in rows]),
            )
        ).scalar_one()
    assert sorted(r.version for r in rows) == list(range(1, UPLOADS + 1))
    assert len({r.sha256 for r in rows}) == UPLOADS  # every upload kept its own bytes
    assert events == UPLOADS and audits == UPLOADS
    listed = httpx.get(url, params={"all_versions": "true", "limit": 100}, headers=site["clerk"])
    assert sorted(d["version"] for d in listed.json()["items"]) == list(range(1, UPLOADS + 1))
    latest = httpx.get(url, headers=site["clerk"]).json()["items"]
    assert [d["version"] for d in latest] == [UPLOADS]
