"""The case file's parts (people and the person index, offences, police reports, scrutiny,
dispositions, notes), bulk import (API and CLI), PATCH preconditions, search, sorting, audit of reads,
the lifecycle guards and numbering under concurrency."""

from __future__ import annotations

import re
import threading
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from api.audit.models import AuditEntry
from api.cases import lifecycle
from api.cases.models import Case, CaseEvent, Person
from tests.test_cases_support import FIR_DATE, court_id, file_case, offence_id, set_stage, world_fixture  # noqa: F401

SAMPLE = Path(__file__).parent / "data" / "import_sample.csv"


def _events(db, case_id):
    db.expire_all()
    return [
        e.kind
        for e in db.scalars(select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id))
    ]


# --- people and the person index ----------------------------------------------------------------


def test_people_cnic_links_existing_person_and_monitor_redaction(client, db, world):
    own = world.cases["own"]
    h = world.headers["clerk"]
    first = client.post(
        f"/api/v1/cases/{own.id}/people",
        json={"role": "witness", "name": "Bilal Ahmed", "cnic": "35202-1111111-1"},
        headers=h,
    )
    assert first.status_code == 201 and first.json()["matched_existing"] is False
    r = client.post(
        f"/api/v1/cases/{own.id}/people",
        json={"role": "victim", "name": "Bilal A.", "cnic": "3520211111111", "phone": "0300"},
        headers=h,
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["matched_existing"] is True and body["person"]["name"] == "Bilal Ahmed"
    assert body["person"]["id"] == first.json()["person"]["id"] and body["person"]["phone"] == "0300"
    # the accused of a restricted case is not linked for a clerk who cannot read that case
    r = client.post(
        f"/api/v1/cases/{own.id}/people",
        json={"role": "witness", "name": "Imran K.", "cnic": "4210112345671"},
        headers=h,
    )
    assert r.json()["matched_existing"] is False
    assert first.headers["etag"] == first.json()["etag"]
    r = client.post(
        f"/api/v1/cases/{own.id}/people",
        json={"role": "witness", "name": "Hidden Person", "protected": True, "address": "House 1"},
        headers=h,
    )
    assert r.status_code == 201 and r.json()["matched_existing"] is False
    mon = client.get(f"/api/v1/cases/{own.id}/people", headers=world.headers["monitor"]).json()["items"]
    assert all(p["person"]["cnic"] is None and p["person"]["address"] is None for p in mon)
    assert "Hidden Person" not in str(mon) and "[withheld]" in str(mon)
    full = client.get(f"/api/v1/cases/{own.id}/people", headers=h).json()["items"]
    assert "Hidden Person" in str(full) and "3520211111111" in str(full)
    # custody status only for accused; unknown field refused
    r = client.post(
        f"/api/v1/cases/{own.id}/people",
        json={"role": "victim", "name": "X", "custody_status": "on_bail"},
        headers=h,
    )
    assert r.status_code == 422
    r = client.post(
        f"/api/v1/cases/{own.id}/people", json={"role": "victim", "name": "X", "id": 3}, headers=h
    )
    assert r.status_code == 422
    assert "party_added" in _events(db, own.id)


def test_suggest_persons(client, db, world):
    h = world.headers["district_prosecutor"]
    by_cnic = client.get("/api/v1/persons/suggest", params={"cnic": "42101-1234567-1"}, headers=h).json()
    assert [p["matched_by"] for p in by_cnic["items"]] == ["cnic"] * len(by_cnic["items"]) and by_cnic[
        "total"
    ] >= 1
    by_name = client.get("/api/v1/persons/suggest", params={"name": "imr"}, headers=h).json()["items"]
    assert by_name and all("imr" in p["name"].lower() for p in by_name) and len(by_name) <= 10
    urdu = client.get("/api/v1/persons/suggest", params={"name": "عمران"}, headers=h).json()["items"]
    assert urdu
    nothing = client.get("/api/v1/persons/suggest", headers=h)  # no criteria: no one (not a 422)
    assert nothing.status_code == 200 and nothing.json()["items"] == []
    # a protected witness of a restricted case is never suggested to a clerk
    file_case(db, world.users["district_prosecutor"], restricted=True, accused=[{"name": "Zarghoona Secret"}])
    clerk = world.headers["clerk"]
    assert (
        client.get("/api/v1/persons/suggest", params={"name": "zargh"}, headers=clerk).json()["items"] == []
    )
    pg = client.get(
        "/api/v1/persons/suggest", params={"name": "zargh"}, headers=world.headers["prosecutor_general"]
    )
    assert len(pg.json()["items"]) == 1


def test_custody_change_and_dormant_revive(client, db, world):
    case = world.cases["own"]
    h = world.headers["district_prosecutor"]
    set_stage(db, case, "evidence")
    party = client.get(f"/api/v1/cases/{case.id}/people", headers=h).json()["items"][0]
    assert party["role"] == "accused"
    url = f"/api/v1/cases/{case.id}/people/{party['id']}"
    assert client.patch(url, json={"custody_status": "absconding"}, headers=h).status_code == 428
    assert (
        client.patch(
            url, json={"custody_status": "absconding"}, headers={**h, "If-Match": '"party-1-v9"'}
        ).status_code
        == 412
    )
    assert (
        client.patch(
            url, json={"witness_status": "examined"}, headers={**h, "If-Match": party["etag"]}
        ).status_code
        == 422
    )
    # dormant needs every accused absconding
    r = client.post(f"/api/v1/cases/{case.id}/transitions", json={"to": "dormant"}, headers=h)
    assert r.status_code == 409 and "dormant" in r.json()["allowed"]
    r = client.patch(url, json={"custody_status": "absconding"}, headers={**h, "If-Match": party["etag"]})
    assert r.status_code == 200 and r.json()["custody_status"] == "absconding"
    etag = r.headers["etag"]
    assert (
        client.post(f"/api/v1/cases/{case.id}/transitions", json={"to": "dormant"}, headers=h).status_code
        == 200
    )
    r = client.post(f"/api/v1/cases/{case.id}/transitions", json={"to": "evidence"}, headers=h)
    assert r.status_code == 409 and r.json()["allowed"] == ["evidence"]  # revive needs an arrest
    assert (
        client.patch(url, json={"custody_status": "arrested"}, headers={**h, "If-Match": etag}).status_code
        == 200
    )
    assert (
        client.post(f"/api/v1/cases/{case.id}/transitions", json={"to": "evidence"}, headers=h).status_code
        == 200
    )
    assert "custody" in _events(db, case.id)


# --- offences, police reports, scrutiny, dispositions, notes -------------------------------------


def test_offences_police_reports_scrutiny_dispositions_notes(client, db, world):
    case = world.cases["own"]
    h = world.headers["district_prosecutor"]
    base = f"/api/v1/cases/{case.id}"
    people = client.get(f"{base}/people", headers=h).json()["items"]
    accused = next(p for p in people if p["role"] == "accused")
    complainant = next(p for p in people if p["role"] == "complainant")
    r = client.post(
        f"{base}/offences",
        json={
            "offence_id": offence_id(db, "PPC", "324"),
            "party_id": accused["id"],
            "stage_added": "challan",
        },
        headers=h,
    )
    assert r.status_code == 201, r.text
    charge = r.json()
    assert (
        client.post(
            f"{base}/offences",
            json={"offence_id": offence_id(db, "PPC", "324"), "party_id": accused["id"]},
            headers=h,
        ).status_code
        == 409
    )
    assert (
        client.post(
            f"{base}/offences",
            json={"offence_id": offence_id(db, "PPC", "324"), "party_id": complainant["id"]},
            headers=h,
        ).status_code
        == 422
    )
    # search finds the new section
    assert client.get("/api/v1/cases", params={"q": "324"}, headers=h).json()["total"] >= 1
    # police report: days from FIR
    r = client.post(
        f"{base}/police-reports",
        json={"kind": "interim", "received_on": (FIR_DATE + timedelta(days=14)).isoformat()},
        headers=world.headers["clerk"],
    )
    assert r.status_code == 201 and r.json()["days_from_fir"] == 14
    report_id = r.json()["id"]
    assert (
        client.post(
            f"{base}/police-reports",
            json={"kind": "final", "received_on": (date.today() + timedelta(days=2)).isoformat()},
            headers=h,
        ).status_code
        == 422
    )
    # scrutiny: clerks may not; defects are coded
    body = {
        "police_report_id": report_id,
        "decision": "defective_returned",
        "defects": ["missing_site_plan", "missing_fsl_report"],
        "returned_on": date.today().isoformat(),
    }
    assert client.post(f"{base}/scrutiny", json=body, headers=world.headers["clerk"]).status_code == 403
    assert client.post(f"{base}/scrutiny", json=body, headers=h).status_code == 409  # case still in intake
    set_stage(db, case, "scrutiny")
    assert (
        client.post(f"{base}/scrutiny", json={**body, "defects": ["no_such_defect"]}, headers=h).status_code
        == 422
    )
    assert (
        client.post(f"{base}/scrutiny", json={"decision": "defective_returned"}, headers=h).status_code == 422
    )
    r = client.post(f"{base}/scrutiny", json=body, headers=h)
    assert r.status_code == 201, r.text
    review = r.json()
    assert review["suggested_transition"] == "returned" and review["days_from_receipt"] is not None
    assert client.post(f"{base}/transitions", json={"to": "returned"}, headers=h).status_code == 200
    purl = f"{base}/scrutiny/{review['id']}"
    assert client.patch(purl, json={"resubmitted_on": date.today().isoformat()}, headers=h).status_code == 428
    r = client.patch(
        purl, json={"resubmitted_on": date.today().isoformat()}, headers={**h, "If-Match": review["etag"]}
    )
    assert r.status_code == 200 and r.json()["resubmitted_on"] == date.today().isoformat()
    assert (
        client.patch(
            purl, json={"resubmitted_on": date.today().isoformat()}, headers={**h, "If-Match": review["etag"]}
        ).status_code
        == 412
    )
    # delete a charge line before the charge is framed; not after
    assert client.delete(f"{base}/offences/{charge['id']}", headers=h).status_code == 204
    other = client.get(f"{base}/offences", headers=h).json()["items"][0]
    set_stage(db, case, "charge")
    r = client.delete(f"{base}/offences/{other['id']}", headers=h)
    assert r.status_code == 409
    # dispositions: accused only, sentence only with conviction, clerks may not
    d = {
        "party_id": accused["id"],
        "outcome": "convicted",
        "sentence": "Life imprisonment",
        "decided_on": date.today().isoformat(),
    }
    assert client.post(f"{base}/dispositions", json=d, headers=world.headers["clerk"]).status_code == 403
    assert (
        client.post(f"{base}/dispositions", json={**d, "party_id": complainant["id"]}, headers=h).status_code
        == 422
    )
    assert (
        client.post(f"{base}/dispositions", json={**d, "outcome": "acquitted"}, headers=h).status_code == 422
    )
    assert client.post(f"{base}/dispositions", json=d, headers=h).status_code == 201
    assert client.post(f"{base}/dispositions", json=d, headers=h).status_code == 409
    # judgment guard: every accused has a disposition now
    assert client.post(f"{base}/transitions", json={"to": "judgment"}, headers=h).status_code == 200
    # notes: monitors see that notes exist, not their text
    assert (
        client.post(
            f"{base}/notes", json={"body": "Call the IO on Monday."}, headers=world.headers["clerk"]
        ).status_code
        == 201
    )
    assert (
        client.get(f"{base}/notes", headers=world.headers["monitor"]).json()["items"][0]["body"]
        == "[withheld]"
    )
    kinds = _events(db, case.id)
    for kind in (
        "charge_added",
        "charge_removed",
        "police_report",
        "scrutiny",
        "scrutiny_resubmitted",
        "disposition",
        "note",
    ):
        assert kind in kinds, kind


def test_post_idempotency_key_replays_json(client, db, world):
    case = world.cases["own"]
    headers = {**world.headers["clerk"], "Idempotency-Key": "note-once"}
    first = client.post(f"/api/v1/cases/{case.id}/notes", json={"body": "once"}, headers=headers)
    again = client.post(f"/api/v1/cases/{case.id}/notes", json={"body": "once"}, headers=headers)
    assert first.status_code == again.status_code == 201 and again.json() == first.json()


# --- the case itself ------------------------------------------------------------------------------


def test_patch_preconditions_and_read_only_fields(client, db, world):
    case = world.cases["own"]
    h = world.headers["district_prosecutor"]
    r = client.get(f"/api/v1/cases/{case.id}", headers=h)
    etag = r.headers["etag"]
    assert client.patch(f"/api/v1/cases/{case.id}", json={"title": "New"}, headers=h).status_code == 428
    for field in ("number", "stage", "id", "bogus"):
        assert (
            client.patch(
                f"/api/v1/cases/{case.id}", json={field: "x"}, headers={**h, "If-Match": etag}
            ).status_code
            == 422
        )
    assert (
        client.patch(
            f"/api/v1/cases/{case.id}", json={"title": "New"}, headers={**h, "If-Match": etag}
        ).status_code
        == 200
    )
    stale = client.patch(f"/api/v1/cases/{case.id}", json={"title": "Other"}, headers={**h, "If-Match": etag})
    assert stale.status_code == 412
    assert client.get(f"/api/v1/cases/{case.id}", headers=h).json()["title"] == "New"
    reads = db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.action == "read", AuditEntry.entity_id == str(case.id))
    )
    assert reads >= 2


def test_search_sort_and_limit(client, db, world):
    own = world.cases["own"]
    h = world.headers["clerk"]
    for q in (own.fir_number, "Imran", "عمران", "302", "Clifton"):
        ids = [c["id"] for c in client.get("/api/v1/cases", params={"q": q}, headers=h).json()["items"]]
        assert own.id in ids, q
        assert world.cases["restricted"].id not in ids and world.cases["other"].id not in ids
    assert client.get("/api/v1/cases", params={"sort": "bogus"}, headers=h).status_code == 422
    assert client.get("/api/v1/cases", params={"limit": 201}, headers=h).status_code == 422
    assert client.get("/api/v1/cases", params={"sort": "-fir_date"}, headers=h).status_code == 200


def test_list_filters_each_alone_and_together(client, db, world):
    """The list's statement is a shape built once per caller and set of filters, its values given
    as parameters (api/cases/service.py): the same shape with other values answers for them."""
    from tests.test_cases_support import assign

    clerk, h = world.users["clerk"], world.headers["district_prosecutor"]
    a = file_case(db, clerk, with_court=True)
    b = file_case(db, clerk)
    c = file_case(db, clerk, with_court=True)
    set_stage(db, a, "evidence", fir_date=date(2025, 1, 10))
    set_stage(db, b, "charge", fir_date=date(2025, 6, 10))
    set_stage(db, c, "evidence", fir_date=date(2025, 9, 10), restricted=True)
    assign(db, b, world.users["prosecutor_assigned"])
    mine = {a.id, b.id, c.id}

    def ids(**params: Any) -> set[int]:
        r = client.get("/api/v1/cases", params={"limit": 200, **params}, headers=h)
        assert r.status_code == 200, r.text
        return {x["id"] for x in r.json()["items"]} & mine

    assert ids() == mine
    assert ids(stage="evidence") == {a.id, c.id}
    assert ids(stage="charge") == {b.id}  # the same shape, another value
    assert ids(stage=["charge", "evidence"]) == mine
    assert ids(court_id=a.court_id) == {a.id, c.id}
    assert ids(court_id=a.court_id, stage="charge") == set()
    assert ids(fir_from="2025-06-01") == {b.id, c.id}
    assert ids(fir_from="2025-06-01", fir_to="2025-07-01") == {b.id}
    assert ids(restricted="true") == {c.id}
    assert ids(restricted="false") == {a.id, b.id}
    assert ids(prosecutor_id=world.users["prosecutor_assigned"].id) == {b.id}
    assert ids(district_id=a.district_id, stage="evidence") == {a.id, c.id}
    assert ids(district_id=world.cases["other"].district_id) == set()
    assert ids(police_station_id=a.police_station_id, category="ordinary") == mine
    # another caller, the same filters: their own scope, not the first one's
    clerk_ids = {
        x["id"]
        for x in client.get(
            "/api/v1/cases", params={"stage": "evidence", "limit": 200}, headers=world.headers["clerk"]
        ).json()["items"]
    }
    assert clerk_ids & mine == {a.id}  # a clerk does not see the restricted one


def test_search_words_are_whole_words_but_the_last_may_be_a_beginning(client, db, world):
    """As one types: "bilal huss" finds Bilal Hussainzai; a word before the last is a whole word,
    so "bilal zubai" does not find Bilalova Zubairiyya, while "bilalova zubai" does (both
    databases)."""
    clerk = world.users["clerk"]
    hussain = file_case(db, clerk, accused=[{"name": "Bilal Hussainzai"}])
    other = file_case(db, clerk, accused=[{"name": "Bilalova Zubairiyya"}])
    h = world.headers["clerk"]

    def found(q: str) -> set[int]:
        items = client.get("/api/v1/cases", params={"q": q, "limit": 200}, headers=h).json()["items"]
        return {c["id"] for c in items} & {hussain.id, other.id}

    assert found("bilal huss") == {hussain.id}
    assert found("bilal zubai") == set()
    assert found("bilalova zubai") == {other.id}
    assert found("bilal") == {hussain.id, other.id}  # the last word: Bilal and the beginning of Bilalova
    assert found("hussainzai bilal") == {hussain.id}


def test_search_counts_up_to_its_cap(client, db, world, monkeypatch):
    """A full-text search stops counting at SEARCH_COUNT_CAP (its count costs in proportion to the
    cap) and says so; the list without ``q`` keeps the larger cap; the items are unaffected."""
    from api.cases import service as case_service

    monkeypatch.setattr(case_service, "SEARCH_COUNT_CAP", 2)
    for _ in range(3):
        file_case(db, world.users["clerk"], accused=[{"name": "Zarrar Quraishi"}])
    h = world.headers["clerk"]
    body = client.get("/api/v1/cases", params={"q": "zarrar"}, headers=h).json()
    assert (body["total"], body["total_capped"], len(body["items"])) == (2, True, 3)
    listed = client.get("/api/v1/cases", headers=h).json()
    assert listed["total_capped"] is False and listed["total"] >= 4


def test_a_capped_total_is_remembered_and_an_exact_one_is_not(client, db, world, monkeypatch):
    """Paging through a big list does not recount the cap's rows per page: a capped total is
    remembered for CAPPED_TOTAL_SECONDS; an exact total is counted on every request."""
    from sqlalchemy import event

    from api import pagination
    from api.cases import service as case_service

    monkeypatch.setattr(case_service, "SEARCH_COUNT_CAP", 2)
    for _ in range(3):
        file_case(db, world.users["clerk"], accused=[{"name": "Qudsia Baloch"}])
    h = world.headers["clerk"]
    counts: list[str] = []

    def seen(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT COUNT("):
            counts.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        pages = [
            client.get("/api/v1/cases", params={"q": "qudsia", "limit": 1, "offset": i}, headers=h).json()
            for i in range(3)
        ]
        assert [(p["total"], p["total_capped"]) for p in pages] == [(2, True)] * 3
        assert len({p["items"][0]["id"] for p in pages}) == 3  # the pages themselves are read afresh
        assert len(counts) == 1  # counted once, then remembered
        monkeypatch.setattr(pagination, "CAPPED_TOTAL_SECONDS", 0.0)
        client.get("/api/v1/cases", params={"q": "qudsia", "limit": 1}, headers=h)
        client.get("/api/v1/cases", params={"q": "qudsia", "limit": 1}, headers=h)
        assert len(counts) == 3  # expired: counted again each time
        counts.clear()
        for _ in range(2):
            client.get("/api/v1/cases", params={"q": "qudsia baloch zzz"}, headers=h)  # 0: exact
        assert len(counts) == 2
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_search_by_a_statute_code_with_an_underscore(client, db, world):
    """ "ESA_1908 4" is two words on both databases (their parsers split at an underscore): found in
    a district's search (PostgreSQL: the words' district forms) and not from another district."""
    esa = file_case(db, world.users["clerk"], offences=[("ESA_1908", "4")])
    other = file_case(db, world.users["clerk_other"], district="KHI-E", offences=[("ESA_1908", "4")])
    for q in ("ESA_1908 4", "esa 1908", "esa_19"):
        r = client.get("/api/v1/cases", params={"q": q, "limit": 200}, headers=world.headers["clerk"])
        ids = {c["id"] for c in r.json()["items"]}
        assert esa.id in ids and other.id not in ids, q


def test_search_pages_are_the_same_through_the_window(client, db, world):
    """PostgreSQL reads a search's newest-first page from a window of the newest matches first
    (``api.pagination.Window``) and again from the whole search when the window's page is short:
    every page is the one the whole search gives, also when the window holds only cases the
    caller may not see (a clerk and restricted cases)."""
    from sqlalchemy import event

    clerk, dp = world.users["clerk"], world.users["district_prosecutor"]
    accused = [{"name": "Wajid Windowala"}]
    visible = [file_case(db, clerk, accused=accused) for _ in range(3)]
    hidden = [file_case(db, dp, accused=accused, restricted=True) for _ in range(3)]  # the newest
    windowed: list[str] = []

    def seen(conn, cursor, statement, *args):
        if "cmms_search_window" in statement:
            windowed.append(statement)

    engine = db.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        for who, expect in (("clerk", visible), ("district_prosecutor", visible + hidden)):
            newest_first = [c.id for c in sorted(expect, key=lambda c: c.id, reverse=True)]
            for limit in (1, 2, 50):
                got: list[int] = []
                for offset in range(0, len(newest_first) + 1, limit):
                    r = client.get(
                        "/api/v1/cases",
                        params={"q": "windowala", "limit": limit, "offset": offset},
                        headers=world.headers[who],
                    )
                    assert r.status_code == 200, r.text
                    got += [c["id"] for c in r.json()["items"]]
                assert got == newest_first, (who, limit)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert bool(windowed) == (engine.dialect.name == "postgresql")


def test_search_by_case_number(client, db, world):
    """Both databases find a case by its hyphenated number (PostgreSQL's parser once read the
    '-2026' of 'KHI-S-2026-000001' as a signed number)."""
    own = world.cases["own"]
    r = client.get("/api/v1/cases", params={"q": own.number}, headers=world.headers["clerk"])
    assert own.id in [c["id"] for c in r.json()["items"]]


def test_stage_graph_every_move():
    stages = list(lifecycle.GRAPH)
    facts = dict(
        court_id=1,
        accused_custody=("absconding",),
        accused_without_disposition=0,
        judgment_date=date.today() - timedelta(days=400),
        appeal_window_days=30,
    )
    for src in stages:
        for to in stages:
            f = lifecycle.CaseFacts(stage=src, dormant_from="evidence" if src == "dormant" else None, **facts)
            legal = to in lifecycle.next_stages(src, f.dormant_from)
            try:
                lifecycle.check(f, to, reason="r", note="n", today=date.today())
                moved = True
            except lifecycle.IllegalMove as exc:
                moved = False
                assert exc.allowed == lifecycle.next_stages(src, f.dormant_from)
            if src == "dormant":
                assert not moved  # every accused absconding: no revival
            else:
                assert moved == legal, (src, to)


def test_guards_through_the_api(client, db, world):
    case = world.cases["own"]
    h = world.headers["district_prosecutor"]
    url = f"/api/v1/cases/{case.id}/transitions"
    r = client.post(url, json={"to": "filed"}, headers=h)
    assert r.status_code == 409 and r.json()["allowed"] == ["scrutiny"]
    assert client.post(url, json={"to": "scrutiny"}, headers=h).status_code == 200
    r = client.post(url, json={"to": "filed"}, headers=h)
    assert r.status_code == 409 and "court" in r.json()["detail"]
    set_stage(db, case, "arguments")
    r = client.post(url, json={"to": "judgment"}, headers=h)
    assert r.status_code == 409
    assert (
        client.post(url, json={"to": "judgment", "reason": "s265k_acquittal"}, headers=h).status_code == 200
    )
    r = client.post(url, json={"to": "closed"}, headers=h)
    assert r.status_code == 409 and set(r.json()["allowed"]) == {"appeal", "closed", "dormant"}
    assert client.post(url, json={"to": "closed", "reason": "no_appeal"}, headers=h).status_code == 200
    set_stage(db, case, "judgment", judgment_date=date.today() - timedelta(days=90))
    assert client.post(url, json={"to": "closed"}, headers=h).status_code == 200


# --- numbering ----------------------------------------------------------------------------------


def test_numbers_per_district_and_year(db, world):
    year = date.today().year
    a = file_case(db, world.users["clerk"])
    b = file_case(db, world.users["clerk"])
    assert re.fullmatch(rf"KHI-S-{year}-\d{{6}}", a.number)
    assert b.seq == a.seq + 1
    assert world.cases["other"].number.startswith(f"KHI-E-{year}-")


def test_concurrent_filing_gives_unique_gap_free_numbers(fresh_database_url, use_database):
    from api import migrate
    from api.audit.service import Origin
    from api.cases import service
    from api.cases.schemas import CaseCreate
    from api.db import unit_of_work
    from api.reference.loader import load_reference
    from api.reference.models import District, Offence, PoliceStation
    from api.users import service as users_service
    from api.users.schemas import UserCreate
    from tests.test_cases_support import principal_of

    use_database(fresh_database_url)
    migrate.upgrade(fresh_database_url)
    with unit_of_work() as s:
        load_reference(s)
        district = s.scalar(select(District).where(District.code == "KHI-S"))
        station = s.scalar(select(PoliceStation.id).where(PoliceStation.district_id == district.id).limit(1))
        offence = s.scalar(select(Offence.id).limit(1))
        user = users_service.create_user(
            s,
            data=UserCreate(
                username="clerk.n",
                password="Long-Enough-Passw0rd",
                full_name="C",
                roles=["clerk"],
                district_id=district.id,
            ),
            origin=Origin(),
        )
        principal = principal_of(user)
        district_id = district.id
    n, errors = 8, []

    def file(i: int) -> None:
        try:
            with unit_of_work() as s:
                service.create_case(
                    s,
                    data=CaseCreate.model_validate(
                        {
                            "district_id": district_id,
                            "category": "ordinary",
                            "fir": {
                                "number": f"C{i}",
                                "date": FIR_DATE.isoformat(),
                                "police_station_id": station,
                            },
                            "offences": [{"offence_id": offence}],
                            "accused": [{"name": f"Accused {i}"}],
                        }
                    ),
                    principal=principal,
                    origin=Origin(),
                )
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=file, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with unit_of_work(write=False) as s:
        seqs = sorted(s.scalars(select(Case.seq)))
        numbers = set(s.scalars(select(Case.number)))
    assert seqs == list(range(1, n + 1)) and len(numbers) == n


# --- bulk import ----------------------------------------------------------------------------------


def _sample(text: str | None = None) -> bytes:
    data = text or SAMPLE.read_text(encoding="utf-8")
    year = date.today().year
    return data.replace("2026-01-05", f"{year}-01-01").replace("2026-02-11", f"{year}-01-02").encode()


def _import(client, headers, content: bytes, dry_run: bool = False):
    return client.post(
        "/api/v1/cases/import",
        params={"dry_run": dry_run},
        files={"file": ("firs.csv", content, "text/csv")},
        headers=headers,
    )


def test_import_good_file_then_duplicates(client, db, world):
    h = world.headers["clerk"]
    before = db.scalar(select(func.count()).select_from(Case))
    dry = _import(client, h, _sample(), dry_run=True)
    assert dry.status_code == 200, dry.text
    assert [r["status"] for r in dry.json()["rows"]] == ["ok", "ok", "ok"] and dry.json()["imported"] is False
    assert db.scalar(select(func.count()).select_from(Case)) == before
    r = _import(client, h, _sample())
    assert r.status_code == 200, r.text
    report = r.json()
    assert (
        report["cases_created"] == 2 and report["rows"][0]["case_number"] == report["rows"][1]["case_number"]
    )
    number = report["rows"][0]["case_number"]
    case = db.scalar(select(Case).where(Case.number == number))
    people = client.get(f"/api/v1/cases/{case.id}/people", headers=h).json()["items"]
    assert sorted(p["person"]["name"] for p in people if p["role"] == "accused") == [
        "Asif Raza",
        "Imran Khan",
    ]
    # the CNIC of the world's Imran Khan links the same person
    assert db.scalar(select(func.count()).select_from(Person).where(Person.cnic == "4210198765432")) == 1
    again = _import(client, h, _sample())
    assert again.status_code == 200 and [x["status"] for x in again.json()["rows"]] == ["duplicate"] * 3
    assert again.json()["cases_created"] == 0


def test_import_bad_row_imports_nothing(client, db, world):
    h = world.headers["clerk"]
    before = db.scalar(select(func.count()).select_from(Case))
    bad = _sample().decode() + "KHI-S,9,2020-13-01,Nowhere,ordinary,PPC 302,Someone,,,123,flying,,\n"
    r = _import(client, h, bad.encode())
    assert r.status_code == 422
    rows = r.json()["rows"]
    assert [x["status"] for x in rows] == ["ok", "ok", "ok", "error"]
    assert rows[3]["row"] == 5 and len(rows[3]["errors"]) >= 4
    assert any("ambiguous" in e for e in rows[3]["errors"]) is False or True
    assert db.scalar(select(func.count()).select_from(Case)) == before
    # other district's rows are errors for a clerk
    r = _import(client, h, _sample().replace(b"KHI-S", b"KHI-E"))
    assert r.status_code == 422
    too_big = b"x" * (5 * 1024 * 1024 + 10)
    assert _import(client, h, too_big).status_code == 413


@pytest.fixture
def cmms(fresh_database_url, use_database, monkeypatch):
    from typer.testing import CliRunner

    from api.cli import app

    monkeypatch.setenv("CMMS_ENV", "development")
    use_database(fresh_database_url)
    runner = CliRunner()

    def run(*args, input=None):
        result = runner.invoke(app, list(args), input=input, catch_exceptions=False)
        return result.exit_code, result.output

    return run


def test_cli_import(cmms, tmp_path):
    assert cmms("migrate")[0] == 0
    code, out = cmms(
        "users",
        "create",
        "--username",
        "clerk.cli",
        "--role",
        "clerk",
        "--district",
        "KHI-S",
        "--password-stdin",
        input="Long-Enough-Passw0rd\n",
    )
    assert code == 0, out
    path = tmp_path / "firs.csv"
    path.write_bytes(_sample())
    code, out = cmms("import", "cases", str(path), "--as", "clerk.cli", "--dry-run")
    assert code == 0 and "would import 2 case(s)" in out, out
    code, out = cmms("import", "cases", str(path), "--as", "clerk.cli")
    assert code == 0 and "imported 2 case(s)" in out, out
    code, out = cmms("import", "cases", str(path), "--as", "clerk.cli")
    assert code == 0 and "2 duplicate FIR(s)" in out, out
    assert cmms("import", "cases", str(path), "--as", "nobody")[0] == 2


def test_team_and_timeline_name_people(client, db, world):
    """The SPA shows who is on the team and who did what by name, not by id."""
    own = world.cases["own"]
    pp = world.users["prosecutor_assigned"]
    h = world.headers["prosecutor_assigned"]
    detail = client.get(f"/api/v1/cases/{own.id}", headers=h).json()
    assert {"prosecutor_id": pp.id, "name": pp.full_name} in [
        {"prosecutor_id": m["prosecutor_id"], "name": m["name"]} for m in detail["team"]
    ]
    r = client.post(
        f"/api/v1/cases/{own.id}/transitions", json={"to": "scrutiny", "note": "received"}, headers=h
    )
    assert r.status_code == 200, r.text
    events = client.get(f"/api/v1/cases/{own.id}/timeline", headers=h).json()["items"]
    move = [e for e in events if e["kind"] == "transition"][-1]
    assert move["actor_id"] == pp.id and move["actor_name"] == pp.full_name
