"""Statutory deadlines: the rules' machine side (loader, admin validation), the engine (calendar and
working days across holidays and Sundays, months, after_rule, effective dates, jurisdiction), the
clocks a case's events start and meet, the board (filters, roles, hidden cases), waivers, and the
query plan of "overdue deadlines of a district"."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select, text

import api.db
from api.audit.models import AuditEntry
from api.audit.service import Origin
from api.cases import records
from api.cases import service as cases_service
from api.cases.models import Case, CaseEvent, CaseParty
from api.cases.schemas import (
    CaseCreate,
    CaseUpdate,
    DispositionIn,
    PoliceReportIn,
    ScrutinyIn,
    ScrutinyUpdate,
    TransitionIn,
)
from api.deadlines import service as deadlines
from api.deadlines.models import CaseDeadline
from api.errors import ValidationFailed
from api.reference.loader import load_reference
from api.reference.models import Court, DeadlineRule, District
from tests.test_cases_support import (  # noqa: F401
    World,
    court_id,
    offence_id,
    principal_of,
    set_stage,
    station_id,
    world_fixture,
)

DEADLINES = "/api/v1/deadlines"
RULES = "/api/v1/reference/deadline-rules"
_fir = iter(range(1, 1_000_000))


# --- helpers ----------------------------------------------------------------------------------


def new_case(
    db: Any,
    user: Any,
    *,
    fir_date: date,
    district: str = "KHI-S",
    category: str = "ordinary",
    court: int | None = None,
    offences: tuple[tuple[str, str], ...] = (("PPC", "302(b)"),),
    restricted: bool = False,
) -> Case:
    districts = {d.code: d.id for d in db.scalars(select(District))}
    data = CaseCreate.model_validate(
        {
            "district_id": districts[district],
            "category": category,
            "restricted": restricted,
            "court_id": court,
            "fir": {
                "number": f"DL{next(_fir)}",
                "date": fir_date.isoformat(),
                "police_station_id": station_id(db, district),
            },
            "offences": [{"offence_id": offence_id(db, s, n)} for s, n in offences],
            "accused": [{"name": "Kashif Mehmood"}],
        }
    )
    case = cases_service.create_case(db, data=data, principal=principal_of(user), origin=Origin())
    db.flush()
    return case


def move(db: Any, case: Case, user: Any, *stages: str, reason: str | None = None) -> None:
    for stage in stages:
        cases_service.transition(
            db,
            principal=principal_of(user),
            case_id=case.id,
            data=TransitionIn(to=stage, reason=reason if stage == stages[-1] else None),
            origin=Origin(),
        )
    db.flush()


def clocks(db: Any, case: Case) -> dict[str, CaseDeadline]:
    db.expire_all()
    rows = db.scalars(select(CaseDeadline).where(CaseDeadline.case_id == case.id)).all()
    codes = {k: v for k, v in db.execute(select(DeadlineRule.id, DeadlineRule.code))}
    return {f"{codes[r.rule_id]}@{r.source}": r for r in rows}


def rule(db: Any, code: str) -> DeadlineRule:
    return db.scalar(select(DeadlineRule).where(DeadlineRule.code == code))


def atc_court(db: Any) -> int:
    return db.scalar(
        select(Court.id)
        .where(Court.court_type == "anti_terrorism", Court.province == "Sindh")
        .order_by(Court.id)
        .limit(1)
    )


def sessions_court(db: Any) -> int:
    return db.scalar(
        select(Court.id)
        .join(District, District.id == Court.district_id)
        .where(District.code == "KHI-S", Court.court_type.in_(("sessions", "additional_sessions")))
        .order_by(Court.id)
        .limit(1)
    )


def pin_clock(monkeypatch: pytest.MonkeyPatch, at: datetime) -> None:
    monkeypatch.setattr(api.db, "utcnow", lambda: at)


@pytest.fixture
def dp(make_user):
    return make_user("district_prosecutor", district="KHI-S")


# --- the rules as data ------------------------------------------------------------------------


def test_seed_rules_have_their_machine_side(db):
    interim = rule(db, "CRPC_173_INTERIM_REPORT")
    assert (interim.trigger, interim.after_rule, interim.met_by) == (
        "fir",
        "CRPC_173_INVESTIGATION",
        "report_received",
    )
    atc = rule(db, "ATA_19_7_DECISION")
    assert (atc.trigger, atc.met_by, atc.case_category, atc.court_type) == (
        "filed",
        "judgment",
        "ata",
        "anti_terrorism",
    )
    assert rule(db, "CRPC_417_2A_AGGRIEVED").trigger == "acquittal"
    target = rule(db, "CPS_SCRUTINY_TARGET")
    assert (target.offset_days, target.trigger, target.met_by, target.confidence) == (
        3,
        "report_received",
        "scrutiny_decided",
        "target",
    )
    # the provincial scrutiny rules keep their empty period: listed, never computed
    for code in ("SD_CPS_SCRUTINY", "KP_PS_SCRUTINY", "CRPC_417_3_SPECIAL_LEAVE", "CRPC_61_PRODUCTION"):
        assert not deadlines.computable(rule(db, code)), code
    every = db.scalars(select(DeadlineRule)).all()
    for r in every:
        assert r.trigger in (None, *deadlines.EVENTS) and r.met_by in (None, *deadlines.EVENTS)
        if r.after_rule:
            assert rule(db, r.after_rule).trigger == r.trigger
    assert sum(deadlines.computable(r) for r in every) == 9


def test_loader_fills_machine_columns_of_old_rows_but_never_an_edited_one(db):
    old = rule(db, "CRPC_173_INVESTIGATION")
    edited = rule(db, "ATA_19_7_DECISION")
    db.execute(
        text(
            "UPDATE deadline_rules SET trigger = NULL, met_by = NULL, alert_days = NULL, "
            "alert_roles = NULL, version = 1 WHERE code = 'CRPC_173_INVESTIGATION'"
        )
    )
    db.execute(
        text(
            "UPDATE deadline_rules SET trigger = NULL, met_by = NULL, case_category = NULL, "
            "court_type = NULL, alert_days = NULL, alert_roles = NULL, version = 3 "
            "WHERE code = 'ATA_19_7_DECISION'"
        )
    )
    db.expire_all()
    added = load_reference(db)
    assert added["deadline_rules"] == 0
    db.expire_all()
    old, edited = rule(db, "CRPC_173_INVESTIGATION"), rule(db, "ATA_19_7_DECISION")
    assert (old.trigger, old.met_by, old.alert_days) == ("fir", "report_received", 3)
    assert (edited.trigger, edited.met_by, edited.version) == (None, None, 3)


def test_admin_api_returns_and_validates_the_machine_fields(client, as_role):
    admin = as_role("admin")
    listed = client.get(RULES, params={"limit": 200}, headers=admin).json()["items"]
    interim = next(r for r in listed if r["code"] == "CRPC_173_INTERIM_REPORT")
    assert interim["after_rule"] == "CRPC_173_INVESTIGATION" and interim["computed"] is True
    assert next(r for r in listed if r["code"] == "SD_CPS_SCRUTINY")["computed"] is False
    got = client.get(f"{RULES}/{interim['id']}", headers=admin)
    for bad, loc in (
        ({"trigger": "arrest"}, "trigger"),
        ({"met_by": "whenever"}, "met_by"),
        ({"offset_days": -1}, "offset_days"),
        ({"case_category": "ata,terror"}, "case_category"),
        ({"court_type": "supreme"}, "court_type"),
        ({"alert_roles": "lead,everyone"}, "alert_roles"),
        ({"alert_days": -2}, "alert_days"),
        ({"province": "Gilgit"}, "province"),
        ({"after_rule": "not a code"}, "after_rule"),
        ({"computed": True}, "computed"),
    ):
        r = client.patch(
            f"{RULES}/{interim['id']}", json=bad, headers={**admin, "If-Match": got.headers["etag"]}
        )
        assert r.status_code == 422, (bad, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        assert any(loc in e["loc"] for e in r.json()["errors"]), r.json()
    r = client.patch(
        f"{RULES}/{interim['id']}",
        json={"effective_from": "2026-01-10", "effective_to": "2026-01-01"},
        headers={**admin, "If-Match": got.headers["etag"]},
    )
    assert r.status_code == 422
    r = client.patch(
        f"{RULES}/{interim['id']}",
        json={
            "alert_days": 2,
            "alert_roles": "team,district_prosecutor",
            "court_type": "sessions,additional_sessions",
        },
        headers={**admin, "If-Match": got.headers["etag"]},
    )
    assert r.status_code == 200, r.text
    assert r.json()["alert_roles"] == "team,district_prosecutor" and r.json()["alert_days"] == 2
    created = client.post(
        RULES,
        json={
            "code": "TEST_RULE",
            "trigger_event": "report received",
            "offset_days": 2,
            "applies_to": "test",
            "legal_reference": "none",
            "trigger": "report_received",
            "met_by": "scrutiny_decided",
            "province": "Sindh",
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    assert created.json()["computed"] is True and created.json()["province"] == "Sindh"
    r = client.post(
        RULES,
        json={
            "code": "SELF_RULE",
            "trigger_event": "x",
            "applies_to": "x",
            "legal_reference": "x",
            "after_rule": "SELF_RULE",
        },
        headers=admin,
    )
    assert r.status_code == 422
    # only admins edit rules
    prosecutor = as_role("prosecutor")
    r = client.patch(
        f"{RULES}/{interim['id']}", json={"alert_days": 1}, headers={**prosecutor, "If-Match": "*"}
    )
    assert r.status_code == 403


# --- the engine (pure) ------------------------------------------------------------------------


def test_working_days_skip_sundays_and_the_provinces_holidays(db):
    sindh = deadlines.WorkCalendar.load(db, "Sindh")
    kp = deadlines.WorkCalendar.load(db, "Khyber Pakhtunkhwa")
    thursday = date(2025, 3, 27)
    # Fri 28, Sat 29, (Sun 30, Eid 31 Mar-2 Apr), Thu 3, (Sindh: 4 Apr), Sat 5, (Sun 6), Mon 7
    assert deadlines.add_working_days(thursday, 5, sindh) == date(2025, 4, 7)
    # KP does not keep 4 April: Thu 3, Fri 4, Sat 5
    assert deadlines.add_working_days(thursday, 5, kp) == date(2025, 4, 5)
    assert deadlines.add_working_days(thursday, 0, sindh) == thursday
    # a Sunday alone: Sat 22 Nov 2025 + 1 working day is Mon 24
    assert deadlines.add_working_days(date(2025, 11, 22), 1, sindh) == date(2025, 11, 24)
    # banks-only and christians-only days do not close the courts
    assert sindh.is_working(date(2025, 12, 26)) or date(2025, 12, 26).weekday() == 6
    working = SimpleNamespace(offset_days=5, offset_months=None, day_kind="working")
    calendar_days = SimpleNamespace(offset_days=5, offset_months=None, day_kind="calendar")
    assert deadlines.period_end(working, thursday, sindh) == date(2025, 4, 7)
    assert deadlines.period_end(calendar_days, thursday, sindh) == date(2025, 4, 1)  # never moved


def test_months_end_of_month_and_weekly_off_setting(db, monkeypatch):
    assert deadlines.add_months(date(2025, 8, 31), 6) == date(2026, 2, 28)
    assert deadlines.add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)
    assert deadlines.add_months(date(2025, 11, 15), 3) == date(2026, 2, 15)
    months = SimpleNamespace(offset_days=None, offset_months=6, day_kind="calendar")
    assert deadlines.period_end(months, date(2025, 8, 31), deadlines.WorkCalendar()) == date(2026, 2, 28)
    # the weekly off days are configurable (Friday and Sunday here)
    settings = api.db.get_settings().model_copy()
    object.__setattr__(settings, "weekly_off_days", [4, 6])
    monkeypatch.setattr(deadlines, "get_settings", lambda: settings)
    fri_sun = deadlines.WorkCalendar.load(db, "Khyber Pakhtunkhwa")
    assert fri_sun.off_days == {4, 6}
    assert deadlines.add_working_days(date(2025, 11, 20), 2, fri_sun) == date(2025, 11, 24)


def _rule(**kw: Any) -> SimpleNamespace:
    base = dict(
        id=1,
        code="R",
        trigger="fir",
        after_rule=None,
        met_by="report_received",
        offset_days=14,
        offset_months=None,
        day_kind="calendar",
        province=None,
        case_category=None,
        court_type=None,
        effective_from=None,
        effective_to=None,
    )
    return SimpleNamespace(**{**base, **kw})


def test_plan_effective_dates_jurisdiction_and_after_rule():
    fir = date(2026, 5, 10)
    facts = deadlines.Facts(province="Sindh", category="ordinary", court_type="sessions")
    facts.add("fir", fir, "case")
    old = _rule(id=1, code="OLD", offset_days=10, effective_to=date(2026, 5, 9))
    new = _rule(id=2, code="NEW", offset_days=20, effective_from=date(2026, 5, 10))
    after = _rule(id=3, code="AFTER", after_rule="NEW", offset_days=3)
    ata = _rule(id=4, code="ATA", case_category="ata")
    kp = _rule(id=5, code="KP", province="Khyber Pakhtunkhwa")
    atc = _rule(id=6, code="ATC", court_type="anti_terrorism")
    several = _rule(
        id=7, code="SEVERAL", case_category="ordinary,special", court_type="sessions,additional_sessions"
    )
    listed_only = _rule(id=8, code="LISTED", trigger=None)
    planned = deadlines.plan(
        [old, new, after, ata, kp, atc, several, listed_only], facts, deadlines.WorkCalendar()
    )
    assert set(planned) == {(2, "case"), (3, "case"), (7, "case")}
    assert planned[(2, "case")].due_date == fir + timedelta(days=20)
    assert planned[(3, "case")].due_date == fir + timedelta(days=23)
    assert planned[(3, "case")].triggered_on == fir
    # the awaited event on or after the trigger meets it
    facts.add("report_received", date(2026, 6, 1), "report:9")
    planned = deadlines.plan([new, after], facts, deadlines.WorkCalendar())
    assert planned[(2, "case")].status == "met" and planned[(2, "case")].met_on == date(2026, 6, 1)
    # closing the case waives what is still open
    facts = deadlines.Facts(province="Sindh", category="ordinary", court_type=None)
    facts.add("fir", fir, "case")
    facts.add("closed", date(2026, 5, 20), "closed")
    planned = deadlines.plan([new], facts, deadlines.WorkCalendar())
    assert planned[(2, "case")].status == "waived" and "closed" in planned[(2, "case")].note


# --- clocks from a case's events ----------------------------------------------------------------


def test_filing_starts_the_interim_report_clocks_overdue_without_a_report(client, db, dp, login):
    fir = deadlines.today() - timedelta(days=20)
    case = new_case(db, dp, fir_date=fir)
    found = clocks(db, case)
    assert set(found) == {"CRPC_173_INVESTIGATION@case", "CRPC_173_INTERIM_REPORT@case"}
    assert found["CRPC_173_INVESTIGATION@case"].due_date == fir + timedelta(days=14)
    assert found["CRPC_173_INTERIM_REPORT@case"].due_date == fir + timedelta(days=17)
    assert {r.district_id for r in found.values()} == {case.district_id}
    headers = login(dp.username)
    body = client.get(DEADLINES, params={"case_id": case.id}, headers=headers).json()
    assert body["total"] == 2
    interim = next(i for i in body["items"] if i["rule"] == "CRPC_173_INTERIM_REPORT")
    assert interim["overdue"] is True and interim["status"] == "open"
    assert interim["days_left"] == (fir + timedelta(days=17) - deadlines.today()).days < 0
    assert interim["case_number"] == case.number and interim["legal_reference"].startswith("CrPC s.173")
    assert [i["due_date"] for i in body["items"]] == sorted(i["due_date"] for i in body["items"])
    overdue = client.get(DEADLINES, params={"case_id": case.id, "overdue": "true"}, headers=headers).json()
    assert overdue["total"] == 2
    # a fresh FIR: open, not overdue
    fresh = new_case(db, dp, fir_date=deadlines.today() - timedelta(days=2))
    rows = client.get(DEADLINES, params={"case_id": fresh.id}, headers=headers).json()["items"]
    assert {r["overdue"] for r in rows} == {False} and all(r["days_left"] > 0 for r in rows)
    assert (
        client.get(DEADLINES, params={"case_id": fresh.id, "overdue": "true"}, headers=headers).json()[
            "total"
        ]
        == 0
    )
    assert (
        client.get(DEADLINES, params={"case_id": fresh.id, "overdue": "false"}, headers=headers).json()[
            "total"
        ]
        == 2
    )


def test_today_is_karachis_day_after_its_midnight(db, dp, monkeypatch):
    """At 00:30 in Karachi (19:30 UTC the day before) a report received today is not "in the
    future": the check read UTC's date, so for five hours a night today's date was refused (and
    three tests here failed in those hours)."""
    pin_clock(monkeypatch, datetime(2026, 3, 10, 19, 30, tzinfo=UTC))
    local_today = date(2026, 3, 11)
    assert deadlines.today() == local_today
    case = new_case(db, dp, fir_date=local_today - timedelta(days=5))

    def report(received_on: date) -> Any:
        data = PoliceReportIn(kind="interim", received_on=received_on)
        return records.add_report(db, principal=principal_of(dp), case_id=case.id, data=data, origin=Origin())

    assert report(local_today)[0].received_on == local_today
    with pytest.raises(ValidationFailed, match="future"):
        report(local_today + timedelta(days=1))


def test_a_police_report_meets_them_and_starts_the_scrutiny_clock(db, dp):
    fir = deadlines.today() - timedelta(days=20)
    case = new_case(db, dp, fir_date=fir)
    received = fir + timedelta(days=16)
    report, _ = records.add_report(
        db,
        principal=principal_of(dp),
        case_id=case.id,
        data=PoliceReportIn(kind="interim", received_on=received),
        origin=Origin(),
    )
    found = clocks(db, case)
    late, on_time = found["CRPC_173_INVESTIGATION@case"], found["CRPC_173_INTERIM_REPORT@case"]
    assert (late.status, late.met_on) == ("met", received) and late.met_on > late.due_date
    assert (on_time.status, on_time.met_on) == ("met", received) and on_time.met_on <= on_time.due_date
    scrutiny = found[f"CPS_SCRUTINY_TARGET@report:{report.id}"]
    assert (scrutiny.status, scrutiny.due_date) == ("open", received + timedelta(days=3))
    move(db, case, dp, "scrutiny")
    review, _ = records.add_review(
        db,
        principal=principal_of(dp),
        case_id=case.id,
        data=ScrutinyIn(
            police_report_id=report.id, decision="defective_returned", defects=["missing_site_plan"]
        ),
        origin=Origin(),
    )
    found = clocks(db, case)
    assert found[f"CPS_SCRUTINY_TARGET@report:{report.id}"].status == "met"
    assert found[f"CPS_SCRUTINY_TARGET@report:{report.id}"].met_on == deadlines.today()
    # the police resubmit: a new receipt, a new scrutiny clock
    move(db, case, dp, "returned")
    records.resubmit(
        db,
        principal=principal_of(dp),
        case_id=case.id,
        review_id=review.id,
        data=ScrutinyUpdate(resubmitted_on=deadlines.today()),
        if_match=f'"scrutiny-{review.id}-v{review.version}"',
        origin=Origin(),
    )
    found = clocks(db, case)
    again = found[f"CPS_SCRUTINY_TARGET@resubmitted:{review.id}"]
    assert again.status == "open" and again.due_date == deadlines.today() + timedelta(days=3)
    # the met and open clocks are history: recomputing changes nothing
    before = {k: (r.status, r.due_date, r.met_on, r.version) for k, r in found.items()}
    deadlines.recompute(db, db.get(Case, case.id))
    assert {k: (r.status, r.due_date, r.met_on, r.version) for k, r in clocks(db, case).items()} == before


def test_leaving_scrutiny_decides_it_without_a_review_record(db, dp):
    case = new_case(db, dp, fir_date=deadlines.today() - timedelta(days=10), court=sessions_court(db))
    report, _ = records.add_report(
        db,
        principal=principal_of(dp),
        case_id=case.id,
        data=PoliceReportIn(kind="final", received_on=deadlines.today() - timedelta(days=6)),
        origin=Origin(),
    )
    clock = f"CPS_SCRUTINY_TARGET@report:{report.id}"
    move(db, case, dp, "scrutiny")
    assert clocks(db, case)[clock].status == "open"
    move(db, case, dp, "filed")
    found = clocks(db, case)[clock]
    assert (found.status, found.met_on) == ("met", deadlines.today())
    # bulk-loaded data: a case in trial with a report and no moves on record
    loaded = new_case(db, dp, fir_date=deadlines.today() - timedelta(days=30))
    report, _ = records.add_report(
        db,
        principal=principal_of(dp),
        case_id=loaded.id,
        data=PoliceReportIn(kind="final", received_on=deadlines.today() - timedelta(days=20)),
        origin=Origin(),
    )
    assert clocks(db, loaded)[f"CPS_SCRUTINY_TARGET@report:{report.id}"].status == "open"
    set_stage(db, loaded, "evidence", stage_changed_at=datetime.now(UTC) - timedelta(days=2))
    deadlines.recompute(db, db.get(Case, loaded.id))
    found = clocks(db, loaded)[f"CPS_SCRUTINY_TARGET@report:{report.id}"]
    assert (found.status, found.met_on) == ("met", deadlines.today() - timedelta(days=2))


def test_ata_case_in_an_atc_gets_the_ata_clocks(db, dp):
    fir = deadlines.today() - timedelta(days=40)
    ata = new_case(db, dp, fir_date=fir, category="ata", court=atc_court(db), offences=(("ATA", "7(1)(a)"),))
    found = clocks(db, ata)
    assert "ATA_19_1_INVESTIGATION@case" in found
    work = deadlines.WorkCalendar.load(db, "Sindh")
    assert found["ATA_19_1_INVESTIGATION@case"].due_date == deadlines.add_working_days(fir, 30, work)
    assert found["ATA_19_1_INVESTIGATION@case"].due_date > fir + timedelta(days=30)  # Sundays skipped
    move(db, ata, dp, "scrutiny", "filed")
    filed_on = deadlines.local_date(
        db.scalar(
            select(CaseEvent.at)
            .where(CaseEvent.case_id == ata.id, CaseEvent.kind == "transition")
            .order_by(CaseEvent.id.desc())
            .limit(1)
        )
    )
    found = clocks(db, ata)
    assert found["ATA_19_7_DECISION@filed"].due_date == filed_on + timedelta(days=7)
    # the same rule does not reach an ordinary case, nor an ATA case before an ordinary court
    ordinary = new_case(db, dp, fir_date=fir, court=sessions_court(db))
    move(db, ordinary, dp, "scrutiny", "filed")
    assert not any(k.startswith("ATA_") for k in clocks(db, ordinary))
    elsewhere = new_case(
        db, dp, fir_date=fir, category="ata", court=sessions_court(db), offences=(("ATA", "7(1)(a)"),)
    )
    move(db, elsewhere, dp, "scrutiny", "filed")
    assert "ATA_19_7_DECISION@filed" not in clocks(db, elsewhere)
    assert "ATA_19_1_INVESTIGATION@case" in clocks(db, elsewhere)
    # judgment meets the ATC clock
    party = db.scalar(select(CaseParty).where(CaseParty.case_id == ata.id, CaseParty.role == "accused"))
    records.add_disposition(
        db,
        principal=principal_of(dp),
        case_id=ata.id,
        data=DispositionIn(
            party_id=party.id, outcome="convicted", sentence="life", decided_on=deadlines.today()
        ),
        origin=Origin(),
    )
    move(db, ata, dp, "judgment")
    assert clocks(db, ata)["ATA_19_7_DECISION@filed"].status == "met"


def test_acquittal_starts_the_appeal_clocks_and_an_appeal_meets_them(db, dp):
    fir = deadlines.today() - timedelta(days=100)
    case = new_case(db, dp, fir_date=fir, court=sessions_court(db))
    move(db, case, dp, "scrutiny", "filed")
    party = db.scalar(select(CaseParty).where(CaseParty.case_id == case.id, CaseParty.role == "accused"))
    decided = deadlines.today() - timedelta(days=5)
    records.add_disposition(
        db,
        principal=principal_of(dp),
        case_id=case.id,
        data=DispositionIn(party_id=party.id, outcome="acquitted", decided_on=decided),
        origin=Origin(),
    )
    found = clocks(db, case)
    source = f"acquittal:{decided.isoformat()}"
    assert found[f"CRPC_417_2A_AGGRIEVED@{source}"].due_date == decided + timedelta(days=30)
    assert found[f"LIM_ART157_STATE_APPEAL@{source}"].due_date == deadlines.add_months(decided, 6)
    assert f"ATA_25_4A_VICTIM_APPEAL@{source}" not in found  # an ordinary case
    move(db, case, dp, "judgment")
    move(db, case, dp, "appeal")
    found = clocks(db, case)
    assert {found[f"{c}@{source}"].status for c in ("CRPC_417_2A_AGGRIEVED", "LIM_ART157_STATE_APPEAL")} == {
        "met"
    }


def test_an_early_acquittal_and_closing_the_case(db, dp):
    case = new_case(db, dp, fir_date=deadlines.today() - timedelta(days=60), court=sessions_court(db))
    move(db, case, dp, "scrutiny", "filed")
    move(db, case, dp, "judgment", reason="s265k_acquittal")
    found = clocks(db, case)
    source = f"acquittal:{deadlines.today().isoformat()}"
    assert found[f"CRPC_417_2A_AGGRIEVED@{source}"].status == "open"
    move(db, case, dp, "closed", reason="no appeal: acquittal on merits accepted")
    found = clocks(db, case)
    appeal = found[f"CRPC_417_2A_AGGRIEVED@{source}"]
    assert appeal.status == "waived" and "closed" in appeal.note
    assert found["CRPC_173_INVESTIGATION@case"].status == "waived"


def test_changing_the_category_recomputes_the_jurisdiction(db, dp):
    case = new_case(db, dp, fir_date=deadlines.today() - timedelta(days=3))
    assert "ATA_19_1_INVESTIGATION@case" not in clocks(db, case)
    cases_service.update_case(
        db,
        principal=principal_of(dp),
        case_id=case.id,
        data=CaseUpdate(category="ata"),
        if_match=f'"case-{case.id}-v{case.version}"',
        origin=Origin(),
    )
    assert "ATA_19_1_INVESTIGATION@case" in clocks(db, case)
    case = db.get(Case, case.id)
    cases_service.update_case(
        db,
        principal=principal_of(dp),
        case_id=case.id,
        data=CaseUpdate(category="ordinary"),
        if_match=f'"case-{case.id}-v{case.version}"',
        origin=Origin(),
    )
    assert "ATA_19_1_INVESTIGATION@case" not in clocks(db, case)


def test_rule_effective_dates_choose_the_rule_in_force_on_the_fir_date(client, db, dp, as_role):
    admin = as_role("admin")
    fir = deadlines.today() - timedelta(days=10)
    common = {
        "trigger_event": "FIR recorded",
        "applies_to": "test",
        "legal_reference": "Test Act s.1",
        "trigger": "fir",
        "met_by": "report_received",
    }
    old = client.post(
        RULES,
        json={
            **common,
            "code": "TEST_OLD",
            "offset_days": 5,
            "effective_to": (fir - timedelta(days=1)).isoformat(),
        },
        headers=admin,
    )
    new = client.post(
        RULES,
        json={**common, "code": "TEST_NEW", "offset_days": 9, "effective_from": fir.isoformat()},
        headers=admin,
    )
    assert old.status_code == new.status_code == 201, (old.text, new.text)
    found = clocks(db, new_case(db, dp, fir_date=fir))
    assert "TEST_OLD@case" not in found
    assert found["TEST_NEW@case"].due_date == fir + timedelta(days=9)
    earlier = clocks(db, new_case(db, dp, fir_date=fir - timedelta(days=3)))
    assert "TEST_NEW@case" not in earlier
    assert earlier["TEST_OLD@case"].due_date == fir - timedelta(days=3) + timedelta(days=5)


def test_a_corrected_rule_reaches_open_clocks_through_recompute_rule_and_backfill(client, db, dp, as_role):
    fir = deadlines.today() - timedelta(days=5)
    case = new_case(db, dp, fir_date=fir)
    admin = as_role("admin")
    investigation = rule(db, "CRPC_173_INVESTIGATION")
    r = client.patch(
        f"{RULES}/{investigation.id}",
        json={"offset_days": 10},
        headers={**admin, "If-Match": f'"deadline_rule-{investigation.id}-v{investigation.version}"'},
    )
    assert r.status_code == 200, r.text
    # an edit alone leaves the clocks already running as they were
    assert clocks(db, case)["CRPC_173_INVESTIGATION@case"].due_date == fir + timedelta(days=14)
    assert deadlines.recompute_rule(db, rule_code="CRPC_173_INVESTIGATION") >= 1
    found = clocks(db, case)
    assert found["CRPC_173_INVESTIGATION@case"].due_date == fir + timedelta(days=10)
    assert found["CRPC_173_INTERIM_REPORT@case"].due_date == fir + timedelta(days=13)  # after_rule follows
    # a rule that loses its trigger: its open clocks go at the next backfill
    db.execute(text("UPDATE deadline_rules SET trigger = NULL WHERE code = 'CRPC_173_INTERIM_REPORT'"))
    db.expire_all()
    after, done = case.id - 1, 0
    while after is not None:
        count, after = deadlines.backfill(db, after_id=after, limit=2)
        done += count
    assert done >= 1
    assert set(clocks(db, case)) == {"CRPC_173_INVESTIGATION@case"}
    with pytest.raises(ValidationFailed):
        deadlines.recompute_rule(db, rule_code="NO_SUCH_RULE")


# --- the board: roles, hidden cases, waivers ----------------------------------------------------


BOARD_SEES = {
    # role -> which of the world's cases' clocks it sees (own: KHI-S, other: KHI-E, restricted: KHI-S)
    "prosecutor_general": {"own", "other", "restricted"},
    "auditor": {"own", "other", "restricted"},
    "district_prosecutor": {"own", "restricted"},
    "prosecutor_assigned": {"own"},
    "prosecutor_unassigned": set(),
    "clerk": {"own"},
    "clerk_other": {"other"},
    "monitor": {"own", "other"},
}


@pytest.mark.parametrize("role", [*BOARD_SEES, "admin", "trainer"])
def test_board_by_role(client, world: World, role):
    h = world.headers[role]
    r = client.get(DEADLINES, params={"limit": 200}, headers=h)
    if role in ("admin", "trainer"):
        assert r.status_code == 403 and r.headers["content-type"].startswith("application/problem+json")
        return
    assert r.status_code == 200, r.text
    seen = {i["case_id"] for i in r.json()["items"]}
    expected = {world.cases[k].id for k in BOARD_SEES[role]}
    assert seen & {c.id for c in world.cases.values()} == expected
    for key, case in world.cases.items():
        one = client.get(DEADLINES, params={"case_id": case.id}, headers=h).json()
        assert (one["total"] == 2) == (key in BOARD_SEES[role]), (role, key)
        row_id = client.get(
            DEADLINES, params={"case_id": case.id}, headers=world.headers["prosecutor_general"]
        ).json()["items"][0]["id"]
        got = client.get(f"{DEADLINES}/{row_id}", headers=h)
        assert got.status_code == (200 if key in BOARD_SEES[role] else 404), (role, key)
        if got.status_code == 200:
            assert got.headers["etag"] == got.json()["etag"]


def test_board_filters_and_bad_input(client, db, world: World):
    h = world.headers["prosecutor_general"]
    khi_s = world.cases["own"].district_id
    rows = client.get(DEADLINES, params={"district_id": khi_s, "limit": 200}, headers=h).json()["items"]
    assert rows and {r["case_id"] for r in rows} >= {world.cases["own"].id, world.cases["restricted"].id}
    assert world.cases["other"].id not in {r["case_id"] for r in rows}
    due = rows[0]["due_date"]
    ranged = client.get(DEADLINES, params={"due_from": due, "due_to": due, "limit": 200}, headers=h).json()
    assert ranged["total"] >= 1 and {r["due_date"] for r in ranged["items"]} == {due}
    by_rule = client.get(
        DEADLINES, params={"rule": "CRPC_173_INTERIM_REPORT", "limit": 200}, headers=h
    ).json()
    assert by_rule["total"] >= 3 and {r["rule"] for r in by_rule["items"]} == {"CRPC_173_INTERIM_REPORT"}
    desc = client.get(DEADLINES, params={"sort": "-due_date", "limit": 200}, headers=h).json()["items"]
    assert [r["due_date"] for r in desc] == sorted((r["due_date"] for r in desc), reverse=True)
    met = client.get(DEADLINES, params={"status": "met"}, headers=h).json()
    assert all(r["status"] == "met" for r in met["items"])
    for bad in (
        {"sort": "case_number"},
        {"status": "late"},
        {"overdue": "maybe"},
        {"due_from": "yesterday"},
        {"district_id": 0},
        {"rule": "lower case"},
        {"limit": 500},
    ):
        r = client.get(DEADLINES, params=bad, headers=h)
        assert r.status_code == 422, bad
        assert r.headers["content-type"].startswith("application/problem+json")


def test_waive_and_reopen(client, db, world: World, make_user, login):
    own = world.cases["own"]
    pg = world.headers["prosecutor_general"]
    row = client.get(
        DEADLINES, params={"case_id": own.id, "rule": "CRPC_173_INTERIM_REPORT"}, headers=pg
    ).json()["items"][0]
    url = f"{DEADLINES}/{row['id']}"
    body = {"status": "waived", "note": "Interim report filed directly with the Magistrate"}
    # a role that reads the clock but may not waive it
    for role in ("prosecutor_assigned", "clerk", "auditor", "monitor"):
        r = client.patch(url, json=body, headers={**world.headers[role], "If-Match": row["etag"]})
        assert r.status_code == 403, (role, r.text)
    # a district prosecutor of another district does not see the case
    other_dp = login(make_user("district_prosecutor", district="KHI-E").username)
    assert client.patch(url, json=body, headers={**other_dp, "If-Match": row["etag"]}).status_code == 404
    dp = world.headers["district_prosecutor"]
    assert client.patch(url, json=body, headers=dp).status_code == 428
    assert client.patch(url, json=body, headers={**dp, "If-Match": '"deadline-1-v99"'}).status_code == 412
    r = client.patch(url, json={"status": "waived"}, headers={**dp, "If-Match": row["etag"]})
    assert r.status_code == 422 and r.json()["errors"][0]["loc"] == ["body", "note"]
    for bad in ({"status": "met"}, {"status": "waived", "note": "x", "due_date": "2030-01-01"}):
        assert client.patch(url, json=bad, headers={**dp, "If-Match": row["etag"]}).status_code == 422
    r = client.patch(url, json=body, headers={**dp, "If-Match": row["etag"]})
    assert r.status_code == 200, r.text
    waived = r.json()
    assert waived["status"] == "waived" and waived["overdue"] is False and waived["note"] == body["note"]
    assert r.headers["etag"] == waived["etag"] != row["etag"]
    timeline = client.get(f"/api/v1/cases/{own.id}/timeline", params={"limit": 200}, headers=dp).json()[
        "items"
    ]
    assert any(e["kind"] == "deadline" and "waived" in e["summary"] for e in timeline)
    assert db.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.entity_type == "case_deadline", AuditEntry.entity_id == str(row["id"]))
    )
    # a waived clock stays waived when the case's clocks are recomputed
    deadlines.recompute(db, db.get(Case, own.id))
    assert client.get(url, headers=pg).json()["status"] == "waived"
    # the prosecutor general reopens it
    r = client.patch(
        url, json={"status": "open", "note": "waived by mistake"}, headers={**pg, "If-Match": waived["etag"]}
    )
    assert r.status_code == 200 and r.json()["status"] == "open" and r.json()["overdue"] is True
    # a met clock is history
    records.add_report(
        db,
        principal=principal_of(world.users["district_prosecutor"]),
        case_id=own.id,
        data=PoliceReportIn(kind="final", received_on=deadlines.today()),
        origin=Origin(),
    )
    met = client.get(url, headers=pg).json()
    assert met["status"] == "met" and met["met_late"] is True
    r = client.patch(url, json=body, headers={**dp, "If-Match": met["etag"]})
    assert r.status_code == 409


# --- the clock and speed --------------------------------------------------------------------------


def test_overdue_turns_at_midnight_in_karachi(client, db, world: World, monkeypatch):
    own = world.cases["own"]
    h = world.headers["prosecutor_general"]
    row = client.get(
        DEADLINES, params={"case_id": own.id, "rule": "CRPC_173_INTERIM_REPORT"}, headers=h
    ).json()["items"][0]
    due = date.fromisoformat(row["due_date"])
    # 23:30 in Karachi on the due date (18:30 UTC): due today, not overdue
    pin_clock(monkeypatch, datetime(due.year, due.month, due.day, 18, 30, tzinfo=UTC))
    r = client.get(f"{DEADLINES}/{row['id']}", headers=h).json()
    assert (r["overdue"], r["days_left"]) == (False, 0)
    # 00:30 the next day in Karachi, still the due date in UTC (19:30 UTC): overdue
    pin_clock(monkeypatch, datetime(due.year, due.month, due.day, 19, 30, tzinfo=UTC))
    r = client.get(f"{DEADLINES}/{row['id']}", headers=h).json()
    assert (r["overdue"], r["days_left"]) == (True, -1)
    listed = client.get(DEADLINES, params={"case_id": own.id, "overdue": "true"}, headers=h).json()
    assert row["id"] in {i["id"] for i in listed["items"]}


def _plan(db: Any, stmt: Any) -> str:
    compiled = stmt.compile(db.get_bind(), compile_kwargs={"literal_binds": True})
    explain = "EXPLAIN QUERY PLAN" if db.get_bind().dialect.name == "sqlite" else "EXPLAIN"
    return " | ".join(str(row[-1]) for row in db.execute(text(f"{explain} {compiled}")))


def test_overdue_of_a_district_is_an_index_range(db, world: World):
    """The board's hot query ("overdue deadlines of my district") starts from
    ix_case_deadlines_district_status_due, in due-date order, and reaches cases by primary key.
    The table gets clocks spread over every district first, and statistics, so that the planners
    choose as they would on a real installation."""
    districts = list(db.scalars(select(District.id)))
    rules = list(db.scalars(select(DeadlineRule.id)))
    cases = [c.id for c in world.cases.values()]
    start = deadlines.today() - timedelta(days=400)
    db.execute(
        CaseDeadline.__table__.insert(),
        [
            {
                "case_id": cases[i % len(cases)],
                "district_id": districts[i % len(districts)],
                "rule_id": rules[i % len(rules)],
                "source": f"bench:{i}",
                "triggered_on": start,
                "due_date": start + timedelta(days=i % 500),
                "status": ("open", "open", "met", "waived")[i % 4],
                "created_at": datetime.now(UTC),
                "version": 1,
            }
            for i in range(7000)
        ],
    )
    db.execute(text("ANALYZE"))
    dp = principal_of(world.users["district_prosecutor"])
    page = (
        deadlines.list_deadlines(db, dp, overdue=True)
        .order_by(CaseDeadline.due_date, CaseDeadline.id)
        .limit(50)
    )
    plan = _plan(db, page)
    assert "ix_case_deadlines_district_status_due" in plan, plan
    assert "TEMP B-TREE" not in plan, plan
    pg = principal_of(world.users["prosecutor_general"])
    stmt = deadlines.list_deadlines(db, pg, overdue=True, district_id=world.cases["own"].district_id)
    plan = _plan(db, stmt.order_by(CaseDeadline.due_date, CaseDeadline.id).limit(50))
    assert "ix_case_deadlines_district_status_due" in plan, plan
    # every status, in due-date order: a district's, and the province's
    page = deadlines.list_deadlines(db, dp).order_by(CaseDeadline.due_date, CaseDeadline.id).limit(50)
    assert "ix_case_deadlines_district_due" in _plan(db, page)
    page = deadlines.list_deadlines(db, pg).order_by(CaseDeadline.due_date, CaseDeadline.id).limit(50)
    assert "ix_case_deadlines_due" in _plan(db, page)
