"""The supervisors' district dashboard: exact figures on a small world, every figure's count equal
to its list's total for every role (restricted cases hidden from monitors), the role matrix, bad
input, and the query plans (each count an index range, never a table scan)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import delete, func, literal_column, select, text

from api.cases.models import Case, ScrutinyReview
from api.config import get_settings
from api.deadlines.models import CaseDeadline
from api.hearings.models import Hearing
from api.monitoring import service as monitoring
from api.permissions import Principal, Role
from api.reference.models import AdjournmentReason, Court, DeadlineRule
from tests.test_cases_support import file_case, set_stage

TZ = ZoneInfo(get_settings().timezone)
URL = "/api/v1/monitoring/districts"
FIGURES = monitoring.FIGURES


def _today() -> date:
    return datetime.now(TZ).date()


def _local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TZ).astimezone(UTC)


@dataclass
class World:
    users: dict[str, Any]
    headers: dict[str, dict[str, str]]
    cases: dict[str, Case]
    districts: dict[str, int]


def _hearing(db: Any, case: Case, starts: datetime, *, prosecutor: Any = None, **values: Any) -> Hearing:
    court = db.scalar(
        select(Court.id).where(Court.district_id == case.district_id).order_by(Court.id).limit(1)
    )
    row = Hearing(
        case_id=case.id,
        district_id=case.district_id,
        court_id=court,
        starts_at=starts,
        purpose="prosecution_evidence",
        prosecutor_id=prosecutor.id if prosecutor is not None else None,
        **values,
    )
    db.add(row)
    db.flush()
    return row


def _deadline(db: Any, case: Case, due: date, *, status: str = "open", source: str = "case") -> CaseDeadline:
    rule = db.scalar(select(DeadlineRule).where(DeadlineRule.code == "CRPC_173_INVESTIGATION"))
    row = CaseDeadline(
        case_id=case.id,
        district_id=case.district_id,
        rule_id=rule.id,
        source=source,
        triggered_on=due - timedelta(days=14),
        due_date=due,
        status=status,
    )
    db.add(row)
    db.flush()
    return row


def _adjourned(db: Any, case: Case, starts: datetime, prosecutor: Any, side: str = "prosecution") -> Hearing:
    return _hearing(
        db,
        case,
        starts,
        prosecutor=prosecutor,
        outcome="adjourned",
        adjournment_reason="prosecutor_absent",
        adjournment_attributed_to=side,
    )


def _returned(db: Any, case: Case, on: date) -> None:
    set_stage(db, case, "returned", returns_count=1)
    db.add(ScrutinyReview(case_id=case.id, decision="defective_returned", defects=[], returned_on=on))
    db.flush()


ROLES = {
    "pg": (("prosecutor_general",), None),
    "dp": (("district_prosecutor",), "KHI-S"),
    "dp_other": (("district_prosecutor",), "KHI-E"),
    "auditor": (("auditor",), None),
    "monitor": (("monitor",), None),
    "monitor_s": (("monitor",), "KHI-S"),
    "monitor_e": (("monitor",), "KHI-E"),
    "prosecutor": (("prosecutor",), None),
    "clerk": (("clerk",), "KHI-S"),
    "admin": (("admin",), None),
    "trainer": (("trainer",), None),
    "p1": (("prosecutor",), None),
    "p2": (("prosecutor",), None),
}
#: who may look at KHI-S: everyone else is 403
SEES_KHI_S = {"pg", "dp", "auditor", "monitor", "monitor_s"}
#: who reads restricted cases of KHI-S
SEES_RESTRICTED = {"pg", "dp", "auditor"}


@pytest.fixture(name="world")
def world_fixture(db, make_user, login, district_ids) -> World:
    users = {k: make_user(*roles, district=d) for k, (roles, d) in ROLES.items()}
    headers = {k: login(u.username) for k, u in users.items() if k not in ("p1", "p2")}
    clerk, dp = users["clerk"], users["dp"]
    p1, p2 = users["p1"], users["p2"]
    today = _today()
    tomorrow = today + timedelta(days=1)
    month_start = today.replace(day=1)
    cases = {
        "A": file_case(db, clerk),
        "R": file_case(db, dp, restricted=True),
        "B": file_case(db, clerk),
        "C": file_case(db, clerk),
        "D": file_case(db, clerk),
        "E": file_case(db, clerk),
        "F": file_case(db, clerk),
        "H": file_case(db, clerk),
        "R2": file_case(db, dp, restricted=True),
        "R3": file_case(db, dp, restricted=True),
        "X": file_case(db, make_user("clerk", district="KHI-E"), district="KHI-E"),
    }
    c = cases
    # only the deadlines written below (filing a case starts its statutory clocks)
    db.execute(delete(CaseDeadline).where(CaseDeadline.case_id.in_([x.id for x in c.values()])))
    set_stage(db, c["A"], "filed")
    set_stage(db, c["R"], "evidence")
    set_stage(db, c["B"], "evidence")
    set_stage(db, c["C"], "charge")
    set_stage(db, c["D"], "arguments")
    set_stage(db, c["E"], "evidence")
    set_stage(db, c["F"], "judgment")
    set_stage(db, c["R3"], "defence")
    set_stage(db, c["X"], "evidence")
    # overdue deadlines: A (5 days), R (2 days); not: met, not yet due, another district
    _deadline(db, c["A"], today - timedelta(days=5))
    _deadline(db, c["R"], today - timedelta(days=2))
    _deadline(db, c["B"], today - timedelta(days=3), status="met")
    _deadline(db, c["B"], today, source="due-today")
    _deadline(db, c["X"], today - timedelta(days=9))
    # tomorrow's hearings without a prosecutor: A, R; not: with one (E), today's, the day after, KHI-E
    _hearing(db, c["A"], _local(tomorrow, 10))
    _hearing(db, c["R"], _local(tomorrow, 11))
    _hearing(db, c["E"], _local(tomorrow, 9), prosecutor=p1)
    _hearing(db, c["C"], _local(today, 23, 59))
    _hearing(db, c["C"], _local(tomorrow + timedelta(days=1), 0, 0))
    _hearing(db, c["X"], _local(tomorrow, 10))
    # trial cases without a hearing for 60 days: B (90 days ago), D (never), R3 (restricted, never);
    # not: C (30 days ago), E (90 days ago but one ahead), R (tomorrow's), F (judgment stage)
    _hearing(db, c["B"], datetime.now(UTC) - timedelta(days=90), prosecutor=p1)
    _hearing(db, c["C"], datetime.now(UTC) - timedelta(days=30), prosecutor=p1)
    _hearing(db, c["E"], datetime.now(UTC) - timedelta(days=90), prosecutor=p1)
    # adjournments attributed to the prosecution this month: p1 twice, p2 once (restricted R2),
    # one with no prosecutor; not: the defence's, last month's, another district's
    _adjourned(db, c["F"], _local(today, 0, 30), p1)
    _adjourned(db, c["F"], _local(month_start, 0, 10), p1)
    _adjourned(db, c["R2"], _local(today, 0, 40), p2)
    _adjourned(db, c["F"], _local(today, 0, 50), None)
    _adjourned(db, c["F"], _local(today, 0, 20), p2, side="defence")
    _adjourned(db, c["F"], _local(month_start - timedelta(days=1), 12), p1)
    _adjourned(db, c["X"], _local(today, 0, 30), p1)
    # returns to police: H (4 days ago), R2 (restricted, 10 days ago); another district's
    _returned(db, c["H"], today - timedelta(days=4))
    _returned(db, c["R2"], today - timedelta(days=10))
    _returned(db, c["X"], today - timedelta(days=1))
    for key in ("H", "R2", "X"):
        db.refresh(c[key])
    return World(users=users, headers=headers, cases=cases, districts=district_ids)


def _numbers(world: World, *keys: str) -> list[str]:
    return [world.cases[k].number for k in keys]


def _get(client: Any, world: World, who: str, path: str, **params: Any) -> Any:
    return client.get(f"{URL}/{path}", params=params, headers=world.headers[who])


def _dashboard(client: Any, world: World, who: str, district: str = "KHI-S") -> dict[str, Any]:
    r = _get(client, world, who, str(world.districts[district]))
    assert r.status_code == 200, (who, r.text)
    assert r.headers["ETag"].startswith('"monitoring-')
    return r.json()


def _list(client: Any, world: World, who: str, figure: str, **params: Any) -> dict[str, Any]:
    r = _get(client, world, who, f"{world.districts['KHI-S']}/{figure}", limit=200, **params)
    assert r.status_code == 200, (who, figure, r.text)
    return r.json()


# --- exact figures ---------------------------------------------------------------------------------


def test_the_district_prosecutor_sees_exact_figures(client, world):
    body = _dashboard(client, world, "dp")
    d = world.districts["KHI-S"]
    assert body["district_id"] == d and body["district_code"] == "KHI-S"
    assert body["today"] == _today().isoformat()
    assert body["overdue_deadlines"] == {"count": 2, "link": f"{URL}/{d}/overdue-deadlines"}
    assert body["hearings_without_prosecutor"] == {
        "count": 2,
        "link": f"{URL}/{d}/hearings-without-prosecutor",
        "date": (_today() + timedelta(days=1)).isoformat(),
    }
    assert body["cases_without_hearing"] == {
        "count": 3,
        "link": f"{URL}/{d}/cases-without-hearing",
        "days": 60,
    }
    assert body["returns_to_police"] == {"count": 2, "link": f"{URL}/{d}/returns-to-police"}
    adjourned = body["prosecution_adjournments"]
    assert adjourned["count"] == 4 and adjourned["month"] == f"{_today():%Y-%m}"
    p1, p2 = world.users["p1"], world.users["p2"]
    assert adjourned["by_prosecutor"] == [
        {
            "prosecutor_id": p1.id,
            "name": p1.full_name,
            "count": 2,
            "link": f"{URL}/{d}/prosecution-adjournments?prosecutor_id={p1.id}",
        },
        {
            "prosecutor_id": p2.id,
            "name": p2.full_name,
            "count": 1,
            "link": f"{URL}/{d}/prosecution-adjournments?prosecutor_id={p2.id}",
        },
        {"prosecutor_id": None, "name": None, "count": 1, "link": None},
    ]


def test_the_lists_behind_the_figures(client, world):
    c = world.cases
    overdue = _list(client, world, "dp", "overdue-deadlines")
    assert [r["number"] for r in overdue["items"]] == _numbers(world, "A", "R")  # oldest due first
    first = overdue["items"][0]
    assert first["case_id"] == c["A"].id and first["title"] == c["A"].title and first["stage"] == "filed"
    assert first["detail"]["date"] == (_today() - timedelta(days=5)).isoformat()
    assert first["detail"]["days"] == 5 and first["detail"]["label"] == "CRPC_173_INVESTIGATION"
    assert first["detail"]["item_id"] is not None

    hearings = _list(client, world, "dp", "hearings-without-prosecutor")
    assert [r["number"] for r in hearings["items"]] == _numbers(world, "A", "R")
    assert hearings["items"][0]["detail"]["at"].startswith(
        _local(_today() + timedelta(days=1), 10).strftime("%Y-%m-%dT%H:%M")
    )
    assert hearings["items"][0]["detail"]["court"] and hearings["items"][0]["detail"]["prosecutor_id"] is None

    stalled = _list(client, world, "dp", "cases-without-hearing", sort="number")
    assert sorted(r["number"] for r in stalled["items"]) == sorted(_numbers(world, "R3", "B", "D"))
    by_number = {r["number"]: r["detail"] for r in stalled["items"]}
    assert by_number[c["B"].number]["days"] == 90 and by_number[c["D"].number]["at"] is None
    assert [r["number"] for r in stalled["items"]] == sorted(r["number"] for r in stalled["items"])

    adjourned = _list(client, world, "dp", "prosecution-adjournments")
    assert adjourned["total"] == 4 and {r["number"] for r in adjourned["items"]} == set(
        _numbers(world, "F", "R2")
    )
    starts = [r["detail"]["at"] for r in adjourned["items"]]
    assert starts == sorted(starts, reverse=True)  # newest first
    p1 = world.users["p1"]
    mine = _list(client, world, "dp", "prosecution-adjournments", prosecutor_id=p1.id)
    assert mine["total"] == 2 and {r["detail"]["prosecutor_name"] for r in mine["items"]} == {p1.full_name}
    assert {r["detail"]["label"] for r in mine["items"]} == {"prosecutor_absent"}

    returns = _list(client, world, "dp", "returns-to-police", sort="-fir_date")
    assert {r["number"]: (r["detail"]["days"], r["detail"]["returns"]) for r in returns["items"]} == {
        c["H"].number: (4, 1),
        c["R2"].number: (10, 1),
    }


def test_an_adjournment_row_names_its_reason_in_both_languages(client, db, world):
    """The list gives the reason's words (English and Urdu) beside its code, for the screen."""
    reason = db.scalar(select(AdjournmentReason).where(AdjournmentReason.code == "PROSECUTOR_ABSENT"))
    assert reason is not None and reason.label_ur
    hearing = db.scalar(select(Hearing).where(Hearing.outcome == "adjourned").limit(1))
    hearing.adjournment_reason = reason.code
    db.flush()
    rows = _list(client, world, "dp", "prosecution-adjournments")["items"]
    named = [r["detail"] for r in rows if r["detail"]["item_id"] == hearing.id]
    assert [(d["label"], d["reason_label"], d["reason_label_ur"]) for d in named] == [
        (reason.code, reason.label, reason.label_ur)
    ]
    unknown = [r["detail"] for r in rows if r["detail"]["label"] == "prosecutor_absent"]
    assert unknown and all(d["reason_label"] is None and d["reason_label_ur"] is None for d in unknown)


def test_monitors_see_figures_and_numbers_without_restricted_cases_or_titles(client, world):
    for who in ("monitor", "monitor_s"):
        body = _dashboard(client, world, who)
        assert body["overdue_deadlines"]["count"] == 1
        assert body["hearings_without_prosecutor"]["count"] == 1
        assert body["cases_without_hearing"]["count"] == 2
        assert body["returns_to_police"]["count"] == 1
        adjourned = body["prosecution_adjournments"]
        assert adjourned["count"] == 3
        assert [(p["prosecutor_id"], p["count"]) for p in adjourned["by_prosecutor"]] == [
            (world.users["p1"].id, 2),
            (None, 1),
        ]
        for figure in FIGURES:
            rows = _list(client, world, who, figure)["items"]
            assert all(r["title"] is None for r in rows), figure
            assert not set(_numbers(world, "R", "R2", "R3")) & {r["number"] for r in rows}


def test_counts_equal_list_totals_for_every_role(client, world):
    keys = {
        "overdue-deadlines": "overdue_deadlines",
        "hearings-without-prosecutor": "hearings_without_prosecutor",
        "cases-without-hearing": "cases_without_hearing",
        "prosecution-adjournments": "prosecution_adjournments",
        "returns-to-police": "returns_to_police",
    }
    restricted = set(_numbers(world, "R", "R2", "R3"))
    for who in sorted(SEES_KHI_S):
        body = _dashboard(client, world, who)
        for figure, key in keys.items():
            listed = _list(client, world, who, figure)
            assert body[key]["count"] == listed["total"] == len(listed["items"]), (who, figure)
            # every figure holds one restricted case: listed exactly for those who read restricted cases
            shown = {r["number"] for r in listed["items"]}
            assert bool(shown & restricted) == (who in SEES_RESTRICTED), (who, figure)
        for row in body["prosecution_adjournments"]["by_prosecutor"]:
            if row["link"]:
                r = client.get(row["link"], headers=world.headers[who])
                assert r.status_code == 200 and r.json()["total"] == row["count"]


def test_the_reduced_case_scope_equals_the_readable_filter(client, world, monkeypatch):
    """The dashboard's shortcuts (no filter for whoever reads the whole district; "unrestricted"
    for monitors) count exactly what api.cases.access.readable_filter would."""
    from api.cases.access import readable_filter

    reduced = {who: _dashboard(client, world, who) for who in SEES_KHI_S}
    monkeypatch.setattr(monitoring, "_case_scope", lambda principal, district_id: readable_filter(principal))
    for who in SEES_KHI_S:
        full = _dashboard(client, world, who)
        assert {k: v for k, v in full.items() if k != "as_of"} == {
            k: v for k, v in reduced[who].items() if k != "as_of"
        }, who


def test_paging_through_a_list(client, world):
    d = world.districts["KHI-S"]
    page = client.get(
        f"{URL}/{d}/cases-without-hearing",
        params={"limit": 2, "offset": 2, "sort": "number"},
        headers=world.headers["pg"],
    )
    assert page.status_code == 200
    assert page.json()["total"] == 3 and len(page.json()["items"]) == 1


# --- who may look ----------------------------------------------------------------------------------


def test_role_matrix(client, world):
    khi_s, khi_e = world.districts["KHI-S"], world.districts["KHI-E"]
    for who in world.headers:
        for path in (f"{khi_s}", f"{khi_s}/overdue-deadlines"):
            r = _get(client, world, who, path)
            expected = 200 if who in SEES_KHI_S else 403
            assert r.status_code == expected, (who, path, r.status_code)
            if expected == 403:
                assert r.headers["content-type"].startswith("application/problem+json")
    # the other district: its district prosecutor and monitor, and the province-wide roles
    for who, expected in {
        "dp_other": 200,
        "monitor_e": 200,
        "pg": 200,
        "monitor": 200,
        "dp": 403,
        "monitor_s": 403,
    }.items():
        assert _get(client, world, who, f"{khi_e}").status_code == expected, who
    other = _dashboard(client, world, "dp_other", "KHI-E")
    assert other["overdue_deadlines"]["count"] == 1 and other["returns_to_police"]["count"] == 1
    assert other["prosecution_adjournments"]["count"] == 1
    assert client.get(f"{URL}/{khi_s}").status_code == 401


def test_bad_input(client, world):
    h = world.headers["pg"]
    d = world.districts["KHI-S"]
    assert client.get(f"{URL}/999999", headers=h).status_code == 404
    assert client.get(f"{URL}/999999/overdue-deadlines", headers=h).status_code == 404
    assert client.get(f"{URL}/abc", headers=h).status_code == 404  # an id is digits
    assert client.get(f"{URL}/{d}/everything", headers=h).status_code == 404  # no such figure
    for path, params in (
        (f"{URL}/0", {}),
        (f"{URL}/{d}/overdue-deadlines", {"sort": "title"}),
        (f"{URL}/{d}/returns-to-police", {"sort": "due_date"}),
        (f"{URL}/{d}/prosecution-adjournments", {"prosecutor_id": 0}),
        (f"{URL}/{d}/overdue-deadlines", {"limit": 201}),
    ):
        r = client.get(path, params=params, headers=h)
        assert r.status_code == 422, (path, params, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")


# --- speed: each count is an index range -----------------------------------------------------------


def _principal(role: Role, district_id: int | None) -> Principal:
    return Principal(
        user_id=1,
        username="x",
        full_name="x",
        roles=frozenset({role}),
        district_id=district_id,
        session_id="t",
    )


def test_every_count_is_an_index_range(db, district_ids):
    """SQLite: EXPLAIN QUERY PLAN shows SEARCH ... USING INDEX, never a SCAN of a big table.
    PostgreSQL: with sequential scans discouraged, the plan uses an index (one exists to use)."""
    dialect = db.get_bind().dialect.name
    clock = monitoring.Clock.at()
    d = district_ids["KHI-S"]
    if dialect == "postgresql":
        db.execute(text("SET LOCAL enable_seqscan = off"))
    big = ("cases", "hearings", "case_deadlines")
    for principal in (_principal(Role.prosecutor_general, None), _principal(Role.monitor, d)):
        for figure in FIGURES:
            stmt = monitoring._figure(figure, principal=principal, district_id=d, clock=clock).stmt
            ones = stmt.order_by(None).with_only_columns(literal_column("1"), maintain_column_froms=True)
            count = select(func.count()).select_from(ones.subquery())
            sql = str(count.compile(dialect=db.get_bind().dialect, compile_kwargs={"literal_binds": True}))
            if dialect == "sqlite":
                plan = [row[3] for row in db.execute(text(f"EXPLAIN QUERY PLAN {sql}"))]
                assert not [p for p in plan if p.startswith("SCAN") and p.split()[1] in big], (figure, plan)
                assert any("USING" in p and "INDEX" in p for p in plan), (figure, plan)
            else:
                plan = [row[0] for row in db.execute(text(f"EXPLAIN {sql}"))]
                assert not [
                    p for p in plan if "Seq Scan on" in p and p.split("Seq Scan on ")[1].split()[0] in big
                ], (
                    figure,
                    plan,
                )


def test_the_clock_is_local():
    now = datetime(2026, 11, 30, 20, 0, tzinfo=UTC)  # 1 Dec 01:00 in Karachi
    clock = monitoring.Clock.at(now)
    assert clock.today == date(2026, 12, 1) and clock.month == "2026-12"
    assert clock.tomorrow_start == datetime(2026, 12, 1, 19, 0, tzinfo=UTC)
    assert clock.month_start == datetime(2026, 11, 30, 19, 0, tzinfo=UTC)
    assert clock.month_end == datetime(2026, 12, 31, 19, 0, tzinfo=UTC)


def test_dashboard_service_counts_match_for_a_district_with_nothing(db, district_ids):
    """An empty district: every figure is 0 and every list empty (no error on empty IN lists)."""
    d = district_ids["HYD"]
    principal = _principal(Role.prosecutor_general, None)
    body = monitoring.dashboard(db, principal=principal, district_id=d)
    assert [
        body[k]["count"]
        for k in (
            "overdue_deadlines",
            "hearings_without_prosecutor",
            "cases_without_hearing",
            "prosecution_adjournments",
            "returns_to_police",
        )
    ] == [0] * 5
    from api.pagination import PageParams

    for figure in FIGURES:
        rows, total = monitoring.figure_rows(
            db,
            principal=principal,
            district_id=d,
            figure=figure,
            params=PageParams(limit=50, offset=0, sort=None),
        )
        assert rows == [] and total == 0
