"""``seed-bench`` data are consistent with what the services would have written: the search
documents, the ids linking the tables, the next hearing, the deadlines' statuses. Run on a fresh
database of the suite's kind (the generator writes with its own connections)."""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from sqlalchemy import func, select, text

from api import db as api_db
from api.bench import generator
from api.cases.models import Case
from api.search.service import district_token, document_of, normalise

CASES = 600
#: tables written through shards, with their NOT NULL-free text columns checked for the NULL marker
SHARD_TABLES = ("persons", "cases", "case_parties", "case_charges", "case_events", "police_reports",
                "scrutiny_reviews", "case_assignments", "hearings", "case_deadlines", "tasks")  # fmt: skip


def _prepare(url: str, use_database: Callable[[str], None]) -> None:
    """Migrate and load the reference data (no demo: every case, hearing… is the generator's)."""
    from api import migrate
    from api.reference.loader import load_reference

    migrate.upgrade(url)
    use_database(url)
    with api_db.unit_of_work() as session:
        load_reference(session)
    api_db.get_engine().dispose()


def test_a_large_run(
    fresh_database_url: str, use_database: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """600 cases the way a large run makes them (forked generator processes where fork exists,
    indexes rebuilt after the load), then every check below on them (one database: migrating one
    takes a while)."""
    _prepare(fresh_database_url, use_database)
    monkeypatch.setattr(generator, "FORK_FROM", 100)
    stats = generator.seed_bench(fresh_database_url, cases=CASES, seed=7, batch=250)
    seeded = (fresh_database_url, stats)
    check_rows_and_summary(seeded)
    check_search_documents(seeded)
    check_links_between_tables()
    check_no_null_marker_left(seeded)
    check_schedules_follow_the_cases()
    check_documents_before_0008_are_rebuilt(seeded)


def _scalar(session: Any, sql: str, **params: Any) -> Any:
    return session.execute(text(sql), params).scalar()


def check_rows_and_summary(seeded: tuple[str, Any]) -> None:
    _url, stats = seeded
    assert stats.cases == CASES
    with api_db.unit_of_work(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Case)) == CASES
        for table, n in stats.rows.items():
            if table != "case_search":
                assert _scalar(session, f"SELECT count(*) FROM {table}") >= n, table
        hearings = stats.rows["hearings"]
        assert 3 * CASES <= hearings <= 8 * CASES  # about 5 a case
        assert stats.rows["case_deadlines"] >= 2 * CASES
        assert stats.rows["tasks"] > 0
        # ids continue densely across the shards (3 batches of 250, then 100)
        for table in ("case_parties", "hearings", "case_deadlines", "case_events"):
            low, high, count = session.execute(text(f"SELECT min(id), max(id), count(*) FROM {table}")).one()
            assert high - low + 1 == count, table
        # the workload tables the services keep are rebuilt after the bulk load (their figures are
        # api/counsel's to test)
        assert _scalar(session, "SELECT count(*) FROM prosecutor_loads WHERE lead_cases > 0") > 0
        assert _scalar(session, "SELECT sum(open_cases) FROM district_loads") > 0
    lines = list(generator.summary(stats))
    assert any("hearings" in line for line in lines)
    assert any("generate rows" in line for line in lines)


def check_search_documents(seeded: tuple[str, Any]) -> None:
    """Every stored document holds the words ``index_case`` would store for that case (a sample)."""
    url, _stats = seeded
    with api_db.unit_of_work(write=False) as session:
        ids = session.scalars(select(Case.id).order_by(Case.id)).all()
        for case_id in random.Random(1).sample(ids, 150):
            case = session.get(Case, case_id)
            assert case is not None
            want = normalise(document_of(session, case))
            # the same words (document_of reads the charges in no particular order)
            if url.startswith("sqlite"):
                got = _scalar(session, "SELECT body FROM case_search WHERE rowid = :id", id=case_id)
                assert sorted(got.split()) == sorted(want.split()), case_id
            else:
                same = _scalar(
                    session,
                    "SELECT strip(tsv) = strip(case_search_tsv(:body, :district)) FROM case_search WHERE case_id = :id",
                    id=case_id,
                    body=want,
                    district=district_token(case.district_id),
                )
                assert same is True, case_id


def check_documents_before_0008_are_rebuilt(seeded: tuple[str, Any]) -> None:
    """PostgreSQL: migration 0008 turns the documents stored before it (without the words' district
    forms) into what ``case_search_tsv`` stores now, and its downgrade takes those forms out."""
    url, _stats = seeded
    if url.startswith("sqlite"):
        return
    from api import migrate

    def documents() -> list[tuple[int, str]]:
        with api_db.unit_of_work(write=False) as session:
            rows = session.execute(text("SELECT case_id, strip(tsv)::text FROM case_search ORDER BY case_id"))
            return [tuple(r) for r in rows]

    now = documents()
    assert all("'cmmsd" in doc for _id, doc in now)
    migrate.downgrade(url, "0007")
    before = documents()
    assert len(before) == len(now) == CASES
    district_form = re.compile(r"'cmmsd\d+z[^']")  # a word after its district's word
    for (_id, old), (_, new) in zip(before, now, strict=True):
        assert not any(district_form.match(w) for w in old.split())
        assert set(old.split()) == {w for w in new.split() if not district_form.match(w)}
    migrate.upgrade(url)
    assert documents() == now


def check_links_between_tables() -> None:
    with api_db.unit_of_work(write=False) as session:
        checks = {
            "charge on another case's party": "SELECT count(*) FROM case_charges g JOIN case_parties p "
            "ON p.id = g.party_id WHERE p.case_id <> g.case_id",
            "charge on a missing party": "SELECT count(*) FROM case_charges g WHERE g.party_id IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM case_parties p WHERE p.id = g.party_id)",
            "party without person": "SELECT count(*) FROM case_parties p "
            "WHERE NOT EXISTS (SELECT 1 FROM persons s WHERE s.id = p.person_id)",
            "review of another case's report": "SELECT count(*) FROM scrutiny_reviews v JOIN police_reports r "
            "ON r.id = v.police_report_id WHERE r.case_id <> v.case_id",
            "hearing not in the case's court or district": "SELECT count(*) FROM hearings h JOIN cases c "
            "ON c.id = h.case_id WHERE h.court_id <> c.court_id OR h.district_id <> c.district_id",
            "hearing not attended by the lead": "SELECT count(*) FROM hearings h JOIN case_assignments a "
            "ON a.case_id = h.case_id AND a.role = 'lead' AND a.ended_at IS NULL "
            "WHERE h.prosecutor_id <> a.prosecutor_id",
            "next hearing of another case or earlier": "SELECT count(*) FROM hearings h JOIN hearings n "
            "ON n.id = h.next_hearing_id WHERE n.case_id <> h.case_id OR n.starts_at <= h.starts_at",
            "dangling next hearing": "SELECT count(*) FROM hearings h WHERE h.next_hearing_id IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM hearings n WHERE n.id = h.next_hearing_id)",
            "deadline of a report of another case": "SELECT count(*) FROM case_deadlines d "
            "WHERE d.source LIKE 'report:%' AND NOT EXISTS (SELECT 1 FROM police_reports r "
            "WHERE 'report:' || r.id = d.source AND r.case_id = d.case_id)",
            "adjournment without reason or side": "SELECT count(*) FROM hearings WHERE outcome = 'adjourned' "
            "AND (adjournment_reason IS NULL OR adjournment_attributed_to IS NULL)",
            "reason not from the catalogue": "SELECT count(*) FROM hearings h WHERE adjournment_reason IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM adjournment_reasons r WHERE r.code = h.adjournment_reason "
            "AND r.attributed_to = h.adjournment_attributed_to)",
            "task of someone without the case": "SELECT count(*) FROM tasks t WHERE t.case_id IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM case_assignments a WHERE a.case_id = t.case_id "
            "AND a.prosecutor_id = t.assignee_id)",
        }
        found = {name: _scalar(session, sql) for name, sql in checks.items()}
        assert found == dict.fromkeys(checks, 0)
        examined = _scalar(
            session, "SELECT count(*) FROM hearings WHERE CAST(witnesses_examined AS text) <> '[]'"
        )
        linked = _scalar(
            session,
            "SELECT count(*) FROM hearings h JOIN case_parties p ON p.case_id = h.case_id "
            "AND CAST(h.witnesses_examined AS text) = '[' || p.id || ']' AND p.role = 'witness'",
        )
        assert examined > 0
        assert linked == examined


def check_no_null_marker_left(seeded: tuple[str, Any]) -> None:
    """NULLs travel through the shards as '' (cheaper to bind); none may reach the tables."""
    url, _stats = seeded
    with api_db.unit_of_work(write=False) as session:
        leaks = {}
        for table in SHARD_TABLES:
            if url.startswith("sqlite"):
                cols = [r[1] for r in session.execute(text(f"PRAGMA table_info({table})"))]
                cast = "{}"
            else:
                cols = list(
                    session.scalars(
                        text(
                            "SELECT column_name FROM information_schema.columns WHERE table_name = :t "
                            "AND table_schema = current_schema()"
                        ),
                        {"t": table},
                    )
                )
                cast = "CAST({} AS text)"
            total = " + ".join(f"(CASE WHEN {cast.format(c)} = '' THEN 1 ELSE 0 END)" for c in cols)
            leaks[table] = _scalar(session, f"SELECT coalesce(sum({total}), 0) FROM {table}")
        assert leaks == dict.fromkeys(SHARD_TABLES, 0)


def check_schedules_follow_the_cases() -> None:
    from api.hearings.models import Hearing

    with api_db.unit_of_work(write=False) as session:
        today = api_db.utcnow().date()
        # the next hearing of every open trial: in the future, no outcome, the case's next_hearing_at
        for case in session.scalars(select(Case).where(Case.stage.in_(generator.OPEN_TRIAL))):
            pending = session.scalars(
                select(Hearing).where(Hearing.case_id == case.id, Hearing.outcome.is_(None))
            ).all()
            assert len(pending) == 1, case.id
            assert case.next_hearing_at == pending[0].starts_at
            assert pending[0].starts_at.date() > today
        assert (
            _scalar(
                session,
                "SELECT count(*) FROM cases WHERE next_hearing_at IS NOT NULL AND stage NOT IN "
                "('filed', 'charge', 'evidence', 'defence', 'arguments')",
            )
            == 0
        )
        # past hearings have an outcome; a decided case's last hearing decided it
        assert _scalar(session, "SELECT count(*) FROM hearings WHERE outcome IS NULL AND starts_at < :now",
                       now=api_db.utcnow()) == 0  # fmt: skip
        assert (
            _scalar(
                session,
                "SELECT count(*) FROM cases c WHERE c.stage IN ('judgment', 'appeal', 'closed') AND "
                "(SELECT h.outcome FROM hearings h WHERE h.case_id = c.id ORDER BY h.starts_at DESC LIMIT 1) "
                "<> 'decided'",
            )
            == 0
        )
        # courts sit Monday to Saturday (starts_at is 09:00-12:30 in Karachi, the same UTC date)
        days = session.scalars(select(Hearing.starts_at)).all()
        assert days
        assert all(d.weekday() != 6 for d in days)
        # deadlines: met when the report came, open (and overdue once due) while it has not
        rows = session.execute(
            text(
                "SELECT r.code, d.status, d.due_date, d.met_on, c.stage FROM case_deadlines d "
                "JOIN deadline_rules r ON r.id = d.rule_id JOIN cases c ON c.id = d.case_id"
            )
        ).all()
        assert {code for code, *_ in rows} >= {"CRPC_173_INVESTIGATION", "CRPC_173_INTERIM_REPORT"}
        for code, status, _due, met_on, stage in rows:
            if code.startswith("CRPC_173"):
                assert (status == "open") == (stage == "intake"), (code, status, stage)
            assert (status == "met") == (met_on is not None)
        overdue = [r for r in rows if r[1] == "open" and _as_date(r[2]) < today]
        assert overdue


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def test_without_schedules(fresh_database_url: str, use_database: Callable[[str], None]) -> None:
    _prepare(fresh_database_url, use_database)
    stats = generator.seed_bench(fresh_database_url, cases=200, seed=3, schedules=False)
    assert stats.cases == 200
    assert not stats.schedules
    with api_db.unit_of_work(write=False) as session:
        for table in ("hearings", "case_deadlines", "tasks"):
            assert _scalar(session, f"SELECT count(*) FROM {table}") == 0, table
        assert _scalar(session, "SELECT count(*) FROM cases WHERE next_hearing_at IS NOT NULL") == 0
        assert _scalar(session, "SELECT count(*) FROM case_parties") > 200
