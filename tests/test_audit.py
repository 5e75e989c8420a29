"""The audit log: hash chain, who may read it, filters, append-only in the database, tampering,
and the chain under concurrent writers."""

from __future__ import annotations

import itertools
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, func, select, text, update
from sqlalchemy.exc import DBAPIError

from api.audit import service as audit
from api.audit.models import AuditEntry
from api.permissions import Role
from tests.test_cases_support import world_fixture  # noqa: F401

AUDIT = "/api/v1/audit"
DISTRICT_OF = {"district_prosecutor": "KHI-S", "clerk": "KHI-S"}


def _entries(db):
    db.expire_all()
    return db.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()


def test_entries_are_chained(db, make_user, client, login):
    for _i in range(3):
        make_user("prosecutor", district="HYD")
    login(make_user("auditor").username)
    entries = _entries(db)
    assert len(entries) >= 5
    assert [e.id for e in entries] == list(range(1, len(entries) + 1))
    assert entries[0].prev_hash == audit.GENESIS
    for prev, cur in itertools.pairwise(entries):
        assert cur.prev_hash == prev.hash
        assert cur.hash == audit.compute_hash(cur)
    checked, broken = audit.verify(db)
    assert broken is None and checked == len(entries)
    assert audit.verify(db, batch=2) == (checked, None)


def test_who_may_read(client, as_role):
    for role in Role:
        headers = as_role(role.value, district=DISTRICT_OF.get(role.value))
        r = client.get(AUDIT, headers=headers)
        expected = 200 if role in (Role.auditor, Role.prosecutor_general) else 403
        assert r.status_code == expected, (role, r.text)
    assert client.get(AUDIT).status_code == 401


def test_reading_is_recorded_and_filters(client, db, make_user, login):
    auditor = make_user("auditor")
    headers = login(auditor.username)
    target = make_user("prosecutor", district="HYD")

    def items(**params):
        r = client.get(AUDIT, params={"limit": 200, **params}, headers=headers)
        assert r.status_code == 200, r.text
        return r.json()["items"]

    first = client.get(AUDIT, headers=headers).json()
    assert set(first) == {"items", "total", "limit", "offset", "total_capped"}
    entry = first["items"][0]
    assert {
        "id",
        "at",
        "actor_id",
        "action",
        "entity_type",
        "entity_id",
        "ip",
        "details",
        "hash",
        "prev_hash",
    } <= set(entry)
    reads = items(action="read")
    assert reads and all(e["action"] == "read" and e["actor_id"] == auditor.id for e in reads)
    assert reads[-1]["entity_type"] == "audit"

    by_entity = items(entity_type="user", entity_id=str(target.id))
    assert [e["action"] for e in by_entity] == ["create"]
    assert by_entity[0]["details"]["username"] == target.username
    assert all(e["actor_id"] == auditor.id for e in items(actor_id=auditor.id))
    logins = items(action="login")
    assert [e["entity_id"] for e in logins] == [str(auditor.id)]

    now = datetime.now(UTC)
    assert items(**{"from": (now + timedelta(hours=1)).isoformat()}) == []
    assert items(to=(now - timedelta(days=1)).isoformat()) == []
    window = items(
        **{"from": (now - timedelta(hours=1)).isoformat(), "to": (now + timedelta(hours=1)).isoformat()}
    )
    assert len(window) >= 3
    karachi = (now - timedelta(hours=1)).astimezone(__import__("zoneinfo").ZoneInfo("Asia/Karachi"))
    assert len(items(**{"from": karachi.isoformat()})) >= 3
    newest = items(sort="-id")
    assert newest[0]["id"] > newest[-1]["id"]

    for params in (
        {"from": "2026-01-01T00:00:00"},
        {"to": "2026-01-01"},
        {"from": "yesterday"},
        {"action": "hack"},
        {"actor_id": "me"},
        {"sort": "hash"},
        {"limit": 1000},
    ):
        r = client.get(AUDIT, params=params, headers=headers)
        assert r.status_code == 422, (params, r.text)
        assert r.json()["errors"], params


def test_no_write_routes(client, as_role):
    headers = as_role("auditor")
    for method in ("PUT", "PATCH", "DELETE", "POST"):
        for url in (AUDIT, f"{AUDIT}/1"):
            r = client.request(method, url, headers=headers, json={})
            assert r.status_code in (404, 405), (method, url, r.status_code)
            assert r.headers["content-type"].startswith("application/problem+json")


def test_database_refuses_update_and_delete(db, make_user):
    make_user("prosecutor", district="HYD")
    first = _entries(db)[0].id
    for stmt in (
        update(AuditEntry).where(AuditEntry.id == first).values(action="delete"),
        delete(AuditEntry).where(AuditEntry.id == first),
    ):
        with pytest.raises(DBAPIError, match="append-only"), db.begin_nested():
            db.execute(stmt)
    assert _entries(db)[0].action == "create"
    assert audit.verify(db)[1] is None


def _drop_trigger(db):
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("DROP TRIGGER audit_entries_no_change ON audit_entries"))
    else:
        db.execute(text("DROP TRIGGER audit_entries_no_update"))
        db.execute(text("DROP TRIGGER audit_entries_no_delete"))


def test_tampering_is_detected(db, make_user):
    for _ in range(4):
        make_user("prosecutor", district="HYD")
    entries = _entries(db)
    victim = entries[2].id
    _drop_trigger(db)
    db.execute(update(AuditEntry).where(AuditEntry.id == victim).values(details={"username": "someone"}))
    checked, broken = audit.verify(db)
    assert broken is not None and broken.entry_id == victim and checked == victim - 1
    assert "altered" in broken.reason


def test_deleted_entry_is_detected(db, make_user):
    for _ in range(3):
        make_user("prosecutor", district="HYD")
    _drop_trigger(db)
    db.execute(delete(AuditEntry).where(AuditEntry.id == 2))
    checked, broken = audit.verify(db)
    assert broken is not None and broken.entry_id == 2 and checked == 1


def test_rewritten_hash_breaks_the_next_link(db, make_user):
    for _ in range(3):
        make_user("prosecutor", district="HYD")
    _drop_trigger(db)
    # a careful forger recomputes the altered entry's hash: the next entry's prev_hash gives it away
    row = db.get(AuditEntry, 1)
    row.details = {"username": "forged"}
    row.hash = audit.compute_hash(row)
    db.flush()
    broken = audit.verify(db)[1]
    assert broken is not None and broken.entry_id == 2


def test_record_refuses_unknown_actions(db):
    with pytest.raises(ValueError):
        audit.record(db, origin=audit.Origin(), action="rewrite", entity_type="x")


def test_concurrent_writers_keep_the_chain(fresh_database_url, use_database):
    """Writers on their own connections and transactions, as several workers would be."""
    from api import migrate
    from api.db import unit_of_work

    migrate.upgrade(fresh_database_url)
    use_database(fresh_database_url)
    threads_n, per_thread = 8, 6
    errors: list[BaseException] = []
    start = threading.Barrier(threads_n)

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(per_thread):
                with unit_of_work() as session:
                    audit.record(
                        session,
                        origin=audit.Origin(actor_id=n),
                        action="update",
                        entity_type="thing",
                        entity_id=f"{n}-{i}",
                        details={"i": i},
                    )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with unit_of_work(write=False) as session:
        checked, broken = audit.verify(session)
        ids = session.scalars(select(AuditEntry.id)).all()
        distinct = session.scalar(select(func.count(func.distinct(AuditEntry.entity_id))))
    assert broken is None
    assert checked == threads_n * per_thread == len(ids) == len(set(ids)) == distinct


def test_ordinary_reads_are_logged_in_batches_restricted_reads_at_once(client, db, world, monkeypatch):
    """With CMMS_AUDIT_READ_FLUSH_MS > 0 an ordinary case read leaves its entry to the read log
    (with the time of the read), written in order by one flush; a restricted read is written in
    its request; the chain stays whole."""
    from api.audit import reads
    from api.config import get_settings

    # a long interval: the log's own thread sleeps, the test flushes on its own connection
    monkeypatch.setenv("CMMS_AUDIT_READ_FLUSH_MS", "10000")
    get_settings.cache_clear()
    try:
        h = world.headers["prosecutor_general"]
        own, restricted = world.cases["own"], world.cases["restricted"]

        def read_entries(case_id: int) -> list[AuditEntry]:
            db.expire_all()
            return db.scalars(
                select(AuditEntry).where(AuditEntry.action == "read", AuditEntry.entity_id == str(case_id))
            ).all()

        before = datetime.now(UTC)
        for _ in range(3):
            assert client.get(f"/api/v1/cases/{own.id}", headers=h).status_code == 200
        assert client.get(f"/api/v1/cases/{restricted.id}", headers=h).status_code == 200
        assert read_entries(own.id) == []
        [at_once] = read_entries(restricted.id)
        assert at_once.details == {"restricted": True}

        log = reads.read_log()
        assert log is not None and log.pending() == 3
        assert log.flush() == 3 and log.pending() == 0
        logged = read_entries(own.id)
        assert len(logged) == 3
        assert all(e.actor_id == world.users["prosecutor_general"].id and e.at >= before for e in logged)
        assert [e.id for e in logged] == sorted(e.id for e in logged) and logged[0].id > at_once.id
        assert audit.verify(db) == (len(_entries(db)), None)
    finally:
        reads.shutdown()
        get_settings.cache_clear()
