"""Schedules in a real browser (issue 4): a district prosecutor assigns a case from the suggestions and
sees the workload move, then moves a prosecutor's cases to a colleague; a clerk schedules a hearing
that clashes and sees the warning before saving; a prosecutor records an adjournment (reason, side,
next date, witness examined); tasks, deadlines, the notifications bell, the calendar, the cause list
and the supervisors' dashboard. Screenshots of every new screen in English and Urdu (desktop and
phone) land in tests/artifacts/. The data each test needs is made through the API inside the test."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from urllib.parse import urlparse
from zoneinfo import ZoneInfo

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import shot
from tests.e2e.test_cases import DESKTOP, PHONE, _english, _signed_in, _token, _urdu
from tests.live import ROOT

PK = ZoneInfo("Asia/Karachi")
AXE = ROOT / "frontend" / "node_modules" / "axe-core" / "axe.min.js"


def _axe(page: Page, screen: str) -> None:
    """axe-core on the page as it stands: no serious or critical accessibility violation."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE))
    found = page.evaluate(
        """async () => (await axe.run(document, { resultTypes: ['violations'] })).violations
            .filter((v) => v.impact === 'serious' || v.impact === 'critical')
            .map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }))"""
    )
    assert found == [], f"{screen}: {found}"


class Api:
    """A signed-in API user for setting up a test's data."""

    def __init__(self, server: str, username: str) -> None:
        self.server = server
        self.headers = {"Authorization": f"Bearer {_token(server, username)}"}
        self.me = self.get("/api/v1/users/me")

    def get(self, path: str, **params: object) -> dict:
        r = httpx.get(f"{self.server}{path}", params=params, headers=self.headers)
        assert r.status_code == 200, r.text
        return r.json()

    def post(self, path: str, body: dict, status: int = 201) -> dict:
        r = httpx.post(f"{self.server}{path}", json=body, headers=self.headers)
        assert r.status_code == status, r.text
        return r.json()


def _file_case(clerk: Api, fir: str, title: str, *, court_id: int | None = None) -> dict:
    district = clerk.me["district_id"]
    station = clerk.get("/api/v1/reference/police-stations", district_id=district, limit=1)["items"][0]
    offence = clerk.get("/api/v1/reference/offences", q="324", limit=1)["items"][0]
    body: dict = {
        "district_id": district,
        "category": "ordinary",
        "title": title,
        "fir": {"number": fir, "date": "2026-01-10", "police_station_id": station["id"]},
        "offences": [{"offence_id": offence["id"], "stage_added": "fir"}],
        "accused": [{"name": "Zafar Iqbal", "custody_status": "on_bail"}],
    }
    case = clerk.post("/api/v1/cases", body)
    if court_id is not None:
        r = httpx.get(f"{clerk.server}/api/v1/cases/{case['id']}", headers=clerk.headers)
        patched = httpx.patch(
            f"{clerk.server}/api/v1/cases/{case['id']}",
            json={"court_id": court_id},
            headers={**clerk.headers, "If-Match": r.headers["ETag"]},
        )
        assert patched.status_code == 200, patched.text
    return case


def _court(api: Api) -> dict:
    return api.get("/api/v1/reference/courts", district_id=api.me["district_id"], limit=1)["items"][0]


def _court_day(api: Api, after: date) -> date:
    """The first day after `after` that is neither a Sunday nor a public holiday."""
    holidays = {h["date"] for h in api.get("/api/v1/reference/holidays", limit=200)["items"]}
    day = after + timedelta(days=1)
    while day.weekday() == 6 or day.isoformat() in holidays:
        day += timedelta(days=1)
    return day


def _at(day: date, hh: int, mm: int = 0) -> str:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=PK).isoformat()


def _workload_cell(page: Page, prosecutor_id: int, col: str) -> int:
    cell = page.locator(
        f"[data-testid='workload-table'] tr[data-prosecutor='{prosecutor_id}'] td[data-col='{col}']"
    )
    expect(cell).to_be_visible()
    return int(re.sub(r"[^\d]", "", cell.inner_text()))


def test_district_prosecutor_assigns_and_sees_the_workload_move(page: Page, server: str) -> None:
    clerk = Api(server, "clerk.south")
    dp = Api(server, "dp.south")
    case = _file_case(clerk, "E2E-W1", "State vs Zafar Iqbal (E2E workload)")

    _signed_in(page, "dp.south")
    # a district prosecutor lands on the district's figures
    expect(page.get_by_test_id("dashboard").locator("[data-figure]")).to_have_count(5)
    shot(page, "home-district-prosecutor-en-1280")
    page.get_by_role("link", name="Workload").first.click()
    expect(page.get_by_role("heading", name="Workload")).to_be_visible()
    expect(page.get_by_test_id("workload-table").locator("tbody tr[data-prosecutor]").first).to_be_visible()
    before = dp.get("/api/v1/workload")["items"]
    shot(page, "workload-en-1280")
    _axe(page, "workload")

    # the case: "Assign" offers the least-loaded prosecutors of the district, with their figures
    page.goto(f"/cases/{case['id']}")
    page.get_by_test_id("assign").click()
    dialog = page.get_by_test_id("assign-dialog")
    suggestions = dialog.get_by_test_id("suggestions")
    expect(suggestions.locator("li").first).to_be_visible()
    expect(suggestions).not_to_contain_text("Ayesha Memon")  # never the caller
    shot(page, "case-assign-suggestions-en-1280")
    _axe(page, "assign dialog")
    chosen = dialog.locator("input[name='as-who']:checked")
    chosen_id = int(chosen.get_attribute("value") or "0")
    dialog.get_by_label("Role").select_option("lead")
    dialog.get_by_label("Reason").fill("Least loaded prosecutor (E2E)")
    dialog.get_by_test_id("assign-submit").click()
    expect(page.get_by_test_id("assigned")).to_contain_text("assigned as lead")
    expect(page.get_by_test_id("team")).to_contain_text("lead")

    # back on the board, that prosecutor carries one more open case
    was = next(r for r in before if r["prosecutor_id"] == chosen_id)
    page.goto("/workload")
    expect(page.locator(f"tr[data-prosecutor='{chosen_id}'] td[data-col='open_cases']")).to_have_text(
        str(was["open_cases"] + 1)
    )
    expect(page.locator(f"tr[data-prosecutor='{chosen_id}'] td[data-col='lead_cases']")).to_have_text(
        str(was["lead_cases"] + 1)
    )

    # bulk: move every case of that prosecutor to a colleague, in one action
    row = page.locator(f"tr[data-prosecutor='{chosen_id}']")
    row.get_by_test_id("reassign").click()
    dialog = page.get_by_test_id("reassign-dialog")
    expect(dialog).to_be_visible()
    targets = dialog.get_by_test_id("reassign-targets")
    target_box = targets.locator("input[type='checkbox']").first
    target_box.check()
    dialog.get_by_label("Reason *").fill("On leave (E2E)")
    shot(page, "workload-reassign-en-1280")
    assert _workload_cell(page, chosen_id, "open_cases") >= 1
    dialog.get_by_test_id("reassign-submit").click()
    expect(page.get_by_test_id("reassign-result")).to_contain_text(case["number"])
    expect(page.locator(f"tr[data-prosecutor='{chosen_id}'] td[data-col='open_cases']")).to_have_text("0")
    shot(page, "workload-after-reassign-en-1280")
    page.set_viewport_size(PHONE)
    _urdu(page)
    shot(page, "workload-ur-390")
    page.set_viewport_size(DESKTOP)
    shot(page, "workload-ur-1280")
    _english(page)

    # the district prosecutor's dashboard: figures as cards, each a link to its list
    page.get_by_role("link", name="Dashboard").first.click()
    cards = page.get_by_test_id("dashboard")
    expect(cards.locator("[data-figure]")).to_have_count(5)
    shot(page, "dashboard-en-1280")
    _axe(page, "dashboard")
    cards.locator("[data-figure='overdue-deadlines'] a").click()
    expect(page.get_by_test_id("figure-table").locator("tbody a").first).to_be_visible()
    shot(page, "dashboard-list-en-1280")
    page.go_back()
    _urdu(page)
    expect(page.get_by_test_id("dashboard").locator("[data-figure]")).to_have_count(5)
    shot(page, "dashboard-ur-1280")
    page.set_viewport_size(PHONE)
    shot(page, "dashboard-ur-390")
    page.set_viewport_size(DESKTOP)
    _english(page)


def test_clerk_schedules_a_clashing_hearing_and_sees_the_warning(page: Page, server: str) -> None:
    clerk = Api(server, "clerk.south")
    dp = Api(server, "dp.south")
    pp = Api(server, "pp.south2")
    court = _court(clerk)
    first = _file_case(clerk, "E2E-H1", "State vs Yasir Arafat (E2E clash A)", court_id=court["id"])
    second = _file_case(clerk, "E2E-H2", "State vs Kamran Akmal (E2E clash B)", court_id=court["id"])
    for c in (first, second):
        dp.post(
            f"/api/v1/cases/{c['id']}/assignments",
            {"prosecutor_id": pp.me["id"], "role": "lead", "reason": "E2E"},
        )
    day = _court_day(clerk, datetime.now(PK).date() + timedelta(days=1))
    clerk.post(
        "/api/v1/hearings",
        {"case_id": first["id"], "court_id": court["id"], "starts_at": _at(day, 10), "purpose": "charge"},
    )

    _signed_in(page, "clerk.south")
    page.goto(f"/cases/{second['id']}?tab=hearings")
    page.get_by_test_id("schedule-hearing").click()
    form = page.get_by_test_id("hearing-form")
    expect(form.get_by_label("Court *")).to_have_value(str(court["id"]))
    form.get_by_label("Purpose *").select_option("prosecution_evidence")
    form.get_by_label("Date *").fill(day.isoformat())
    form.get_by_label("Time *").fill("10:30")
    # the warning shows BEFORE saving, naming the other case
    warning = form.get_by_test_id("clash-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(first["number"])
    expect(form.get_by_test_id("hearing-save")).to_have_text("Schedule despite the clash")
    shot(page, "hearing-form-clash-en-1280")
    _axe(page, "hearing form with a clash")
    _urdu(page)
    expect(page.get_by_test_id("clash-warning")).to_be_visible()
    shot(page, "hearing-form-clash-ur-1280")
    page.set_viewport_size(PHONE)
    shot(page, "hearing-form-clash-ur-390")
    page.set_viewport_size(DESKTOP)
    _english(page)
    # a time that does not overlap clears the warning; back to the clash, and save anyway
    form.get_by_label("Time *").fill("12:00")
    expect(form.get_by_test_id("clash-check")).to_have_attribute("data-state", "clear")
    form.get_by_label("Time *").fill("10:30")
    expect(form.get_by_test_id("clash-warning")).to_be_visible()
    form.get_by_test_id("hearing-save").click()
    done = page.get_by_test_id("hearing-done")
    expect(done).to_contain_text("Saved with a clash")
    expect(done).to_contain_text(first["number"])
    expect(page.get_by_test_id("hearings-upcoming")).to_contain_text("Prosecution evidence")
    shot(page, "case-hearings-en-1280")

    # the calendar marks both hearings as a clash; week, month and day views
    page.goto(f"/hearings?date={day.isoformat()}")
    week = page.get_by_test_id("cal-week")
    for c in (first, second):
        expect(week.locator(".chip-clash", has_text=c["number"])).to_have_count(1)
    shot(page, "calendar-week-en-1280")
    _axe(page, "calendar week")
    week.locator(".chip-clash", has_text=first["number"]).click()
    panel = page.get_by_test_id("hearing-panel")
    expect(panel).to_contain_text(first["number"])
    expect(panel).to_contain_text("another hearing at the same time")
    shot(page, "calendar-panel-en-1280")
    page.locator("[data-view='month']").click()
    expect(page.get_by_test_id("cal-month")).to_be_visible()
    expect(page.get_by_test_id("cal-main")).to_have_attribute("aria-busy", "false")
    month_day = page.get_by_test_id("cal-month").locator(f"td[data-date='{day.isoformat()}']")
    expect(month_day.locator(".chip-clash").first).to_be_visible()
    shot(page, "calendar-month-en-1280")
    _axe(page, "calendar month")
    page.locator("[data-view='day']").click()
    expect(page.get_by_test_id("cal-day")).to_contain_text(second["number"])
    shot(page, "calendar-day-en-1280")
    _urdu(page)
    shot(page, "calendar-day-ur-1280")
    page.locator("[data-view='week']").click()
    shot(page, "calendar-week-ur-1280")
    page.set_viewport_size(PHONE)
    shot(page, "calendar-week-ur-390")
    page.locator("[data-view='month']").click()
    expect(page.get_by_test_id("cal-month")).to_be_visible()
    expect(page.get_by_test_id("cal-main")).to_have_attribute("aria-busy", "false")
    shot(page, "calendar-month-ur-390")
    page.set_viewport_size(DESKTOP)
    _english(page)

    # the court's cause list for that day: printable, and the PDF
    page.goto(f"/courts/{court['id']}/cause-list?date={day.isoformat()}")
    table = page.get_by_test_id("cause-table")
    expect(table).to_contain_text(first["number"])
    expect(table).to_contain_text(second["number"])
    shot(page, "cause-list-en-1280")
    _axe(page, "cause list")
    page.emulate_media(media="print")
    shot(page, "cause-list-print-en")
    page.emulate_media(media="screen")
    with page.expect_download() as dl:
        page.get_by_test_id("cause-pdf").click()
    assert dl.value.suggested_filename.endswith(".pdf")
    page.set_viewport_size(PHONE)
    shot(page, "cause-list-en-390")
    page.set_viewport_size(DESKTOP)
    _urdu(page)
    shot(page, "cause-list-ur-1280")
    _english(page)


def test_prosecutor_records_an_adjournment(page: Page, server: str) -> None:
    clerk = Api(server, "clerk.south")
    dp = Api(server, "dp.south")
    pp = Api(server, "pp.south1")
    court = _court(clerk)
    case = _file_case(clerk, "E2E-A1", "State vs Shoaib Malik (E2E adjournment)", court_id=court["id"])
    dp.post(
        f"/api/v1/cases/{case['id']}/assignments",
        {"prosecutor_id": pp.me["id"], "role": "lead", "reason": "E2E"},
    )
    pp.post(
        f"/api/v1/cases/{case['id']}/people",
        {"role": "witness", "name": "Hassan Raza", "witness_status": "summoned", "protected": False},
    )
    # a hearing that began an hour ago, its outcome still to record
    began = datetime.now(PK) - timedelta(hours=1)
    clerk.post(
        "/api/v1/hearings",
        {
            "case_id": case["id"],
            "court_id": court["id"],
            "starts_at": began.isoformat(),
            "purpose": "prosecution_evidence",
        },
    )
    next_day = _court_day(clerk, datetime.now(PK).date() + timedelta(days=6))

    _signed_in(page, "pp.south1")
    page.goto(f"/cases/{case['id']}?tab=hearings")
    # first a look in Urdu (the language is chosen before a dialog opens), then the real thing
    _urdu(page)
    page.get_by_test_id("hearings-past").get_by_test_id("record-outcome").click()
    dialog = page.get_by_test_id("outcome-dialog")
    dialog.locator("input[name='oc-outcome'][value='adjourned']").check()
    dialog.locator("#oc-reason").select_option("PROSECUTION_SOUGHT_TIME")
    expect(dialog.locator("#oc-side")).to_have_value("prosecution")
    shot(page, "hearing-outcome-ur-1280")
    page.set_viewport_size(PHONE)
    shot(page, "hearing-outcome-ur-390")
    page.set_viewport_size(DESKTOP)
    page.keyboard.press("Escape")
    expect(dialog).to_have_count(0)
    _english(page)

    page.get_by_test_id("hearings-past").get_by_test_id("record-outcome").click()
    dialog = page.get_by_test_id("outcome-dialog")
    dialog.get_by_label("Adjourned").check()
    dialog.get_by_label("Reason for adjournment *").select_option("PROSECUTION_SOUGHT_TIME")
    # the side comes from the reason list, prefilled
    expect(dialog.get_by_label("Attributed to")).to_have_value("prosecution")
    dialog.get_by_label("Next date").fill(next_day.isoformat())
    dialog.get_by_label("Time of the next hearing").fill("11:00")
    dialog.get_by_label("Hassan Raza").check()
    shot(page, "hearing-outcome-en-1280")
    _axe(page, "outcome dialog")
    dialog.get_by_test_id("outcome-save").click()
    done = page.get_by_test_id("hearing-done")
    expect(done).to_contain_text("Outcome recorded: Adjourned")
    expect(done).to_contain_text("Next hearing")
    expect(page.get_by_test_id("hearings-past")).to_contain_text("Adjourned")
    expect(page.get_by_test_id("hearings-past")).to_contain_text("Prosecution")
    expect(page.get_by_test_id("hearings-upcoming")).to_contain_text("Prosecution evidence")
    shot(page, "case-hearings-after-outcome-en-1280")
    # in Urdu the reason reads in Urdu (the reference list's words), not in English
    _urdu(page)
    expect(page.get_by_test_id("hearings-past")).to_contain_text("استغاثہ نے وقت مانگا")
    expect(page.get_by_test_id("hearings-past")).not_to_contain_text("Prosecution sought time")
    expect(done).to_contain_text("ملتوی")  # the saved notice is reworded too
    shot(page, "case-hearings-after-outcome-ur-1280")
    _english(page)
    # the witness is now recorded as examined
    page.get_by_role("link", name=re.compile("^People")).click()
    person = page.locator("[data-testid='people-table'] tr", has_text="Hassan Raza")
    expect(person.get_by_test_id("witness-select")).to_have_value("examined")

    # the prosecutor's private calendar feed lists the next hearing, without a bearer header
    page.goto("/hearings")
    feed = page.get_by_test_id("feed-panel")
    feed.locator("summary").click()
    feed.get_by_role("button", name="Show my calendar address").click()
    url = feed.get_by_test_id("feed-url").input_value()
    assert url.endswith(".ics")
    ics = httpx.get(f"{server}{urlparse(url).path}")
    assert ics.status_code == 200
    assert ics.headers["content-type"].startswith("text/calendar")
    unfolded = ics.text.replace("\r\n ", "")  # RFC 5545 folds long lines
    assert "BEGIN:VCALENDAR" in unfolded and case["number"] in unfolded
    shot(page, "calendar-feed-en-1280")


def test_tasks_deadlines_and_the_bell(page: Page, server: str) -> None:
    clerk = Api(server, "clerk.south")
    dp = Api(server, "dp.south")
    pp = Api(server, "pp.south1")
    case = _file_case(clerk, "E2E-T1", "State vs Babar Azam (E2E tasks)")
    dp.post(
        f"/api/v1/cases/{case['id']}/assignments",
        {"prosecutor_id": pp.me["id"], "role": "lead", "reason": "E2E"},
    )
    today = datetime.now(PK).date().isoformat()
    # the district prosecutor gives the prosecutor a task due today: it notifies them
    dp.post(
        "/api/v1/tasks",
        {
            "title": "Obtain the forensic report (E2E)",
            "assignee_id": pp.me["id"],
            "due_date": today,
            "case_id": case["id"],
            "checklist": [
                {"text": "Write to the forensic lab", "done": False},
                {"text": "Collect the report", "done": False},
            ],
            "status": "open",
        },
    )
    # a new task's due date cannot be in the past: overdue ones are those time overtook (the demo's)
    overdue = pp.get("/api/v1/tasks", assignee_id="me", overdue="true")["total"]

    _signed_in(page, "pp.south1")
    # a prosecutor lands on their day: today's and tomorrow's hearings, what is overdue
    expect(page.get_by_test_id("my-day")).to_contain_text("Today")
    expect(page.get_by_test_id("my-day")).to_contain_text(f"{overdue} overdue task(s)")
    shot(page, "home-prosecutor-day-en-1280")
    expect(page.get_by_test_id("bell-count")).to_be_visible()
    page.get_by_test_id("bell").click()
    panel = page.get_by_test_id("bell-panel")
    expect(panel).to_contain_text(case["number"])
    shot(page, "bell-open-en-1280")
    _axe(page, "notifications")
    _urdu(page)
    page.get_by_test_id("bell").click()
    expect(page.get_by_test_id("bell-panel")).to_be_visible()
    shot(page, "bell-open-ur-1280")
    page.set_viewport_size(PHONE)
    shot(page, "bell-open-ur-390")
    page.set_viewport_size(DESKTOP)
    page.keyboard.press("Escape")
    _english(page)

    page.get_by_role("link", name="Tasks").first.click()
    expect(page.get_by_role("heading", name="My tasks")).to_be_visible()
    table = page.get_by_test_id("tasks-table")
    expect(table.locator("tbody[data-task]").first).to_be_visible()
    # every overdue task, and only those, is highlighted
    expect(table.locator("tbody.row-overdue")).to_have_count(overdue)
    expect(table.locator("tbody.row-overdue [data-testid='due-badge']")).to_have_count(overdue)
    row = table.locator("tbody[data-task]", has_text="Obtain the forensic report (E2E)")
    expect(row.get_by_test_id("due-badge")).to_have_text("Due today")
    row.get_by_role("button", name=re.compile("Obtain the forensic report")).click()
    row.get_by_label("Write to the forensic lab").check()
    expect(row).to_contain_text("1 of 2 done")
    shot(page, "tasks-en-1280")
    _axe(page, "tasks")
    page.set_viewport_size(PHONE)
    shot(page, "tasks-en-390")
    _urdu(page)
    shot(page, "tasks-ur-390")
    page.set_viewport_size(DESKTOP)
    _english(page)

    # a task of one's own, from the case
    page.goto(f"/cases/{case['id']}?tab=tasks")
    page.get_by_test_id("new-case-task").click()
    form = page.get_by_test_id("task-form")
    form.get_by_test_id("task-save").click()
    expect(form.locator(".field-invalid").first).to_be_visible()  # the title is required: shown beside it
    form.get_by_label("Title *").fill("Prepare the witness list (E2E)")
    form.get_by_label("New checklist item").fill("Call the investigation officer")
    form.get_by_role("button", name="Add item").click()
    form.get_by_test_id("task-save").click()
    expect(page.get_by_test_id("tasks-table")).to_contain_text("Prepare the witness list (E2E)")
    expect(page.get_by_test_id("case-deadlines")).to_be_visible()
    shot(page, "case-tasks-en-1280")

    # the deadlines board: the FIR is weeks old with no police report, so its clock is overdue
    page.get_by_role("link", name="Deadlines").first.click()
    page.get_by_test_id("dl-overdue").check()
    expect(page).to_have_url(re.compile(r"overdue=true"))
    table = page.get_by_test_id("deadlines-table")
    expect(table.locator("tr[data-deadline]", has_text=case["number"]).first).to_be_visible()
    expect(table.get_by_test_id("due-badge").first).to_contain_text("Overdue")
    shot(page, "deadlines-en-1280")
    _axe(page, "deadlines")
    _urdu(page)
    shot(page, "deadlines-ur-1280")
    _axe(page, "deadlines in Urdu")
    page.set_viewport_size(PHONE)
    shot(page, "deadlines-ur-390")
    page.set_viewport_size(DESKTOP)
    _english(page)
