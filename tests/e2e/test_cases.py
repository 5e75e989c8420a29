"""Case screens in a real browser: a clerk files a case (with a validation error first) and attaches
a document; a prosecutor opens the case assigned to them and moves it intake → scrutiny; screenshots
of the list, the form and the detail tabs in English and Urdu at desktop and phone widths."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import shot
from tests.e2e.test_shell import sign_in
from tests.live import DEMO_PASSWORD

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


def _token(server: str, username: str) -> str:
    r = httpx.post(f"{server}/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    r.raise_for_status()
    return r.json()["access_token"]


def _signed_in(page: Page, username: str) -> None:
    sign_in(page, username)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def _urdu(page: Page) -> None:
    page.get_by_test_id("lang-switch").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")


def _english(page: Page) -> None:
    if page.evaluate("document.documentElement.lang") == "ur":
        page.get_by_test_id("lang-switch").click()
        expect(page.locator("html")).to_have_attribute("dir", "ltr")


def _small_pdf(tmp_path: Path) -> Path:
    body = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
        b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    path = tmp_path / "fir-copy.pdf"
    path.write_bytes(body)
    return path


def _file_case(page: Page, fir_number: str) -> str:
    """Fill the new-case form as clerk.south (district prefilled); return the case URL."""
    page.goto("/cases/new")
    expect(page.get_by_role("heading", name="New case")).to_be_visible()
    station = page.get_by_label("Police station *")
    expect(station.locator("option").nth(1)).to_be_attached()
    station.select_option(index=1)
    page.get_by_label("FIR number *").fill(fir_number)
    page.get_by_label("FIR date *").fill("2026-03-02")
    page.get_by_label("Place of occurrence").fill("Saddar, near Empress Market")
    page.get_by_label("Name *").fill("Kashif Mehmood")
    page.get_by_label("Name in Urdu").first.fill("کاشف محمود")
    page.get_by_label("Father\u2019s name").first.fill("Mehmood Ali")
    # a malformed CNIC: the server's 422 appears beside the field and everything typed stays
    page.get_by_label("CNIC").first.fill("12345")
    page.get_by_label("Custody status *").select_option("judicial_custody")
    page.get_by_label("Find an offence").fill("302")
    page.get_by_test_id("offence-results").get_by_role("button").first.click()
    expect(page.get_by_test_id("charges-table")).to_contain_text("302")
    page.get_by_role("button", name="File case").click()
    expect(page.get_by_test_id("form-error")).to_be_visible()
    expect(page.locator(".field-invalid").first).to_be_visible()
    expect(page.get_by_label("Name *")).to_have_value("Kashif Mehmood")
    shot(page, "cases-new-error-en-1280")
    page.set_viewport_size(PHONE)
    shot(page, "cases-new-error-en-390")
    _urdu(page)
    shot(page, "cases-new-error-ur-390")
    page.set_viewport_size(DESKTOP)
    shot(page, "cases-new-error-ur-1280")
    _english(page)
    page.get_by_label("CNIC").first.fill("42101-1234567-1")
    page.get_by_role("button", name="File case").click()
    expect(page).to_have_url(re.compile(r"/cases/\d+$"))
    expect(page.get_by_test_id("case-number")).to_contain_text(re.compile(r"KHI-S-\d{4}-\d+"))
    return page.url


def test_clerk_files_a_case_and_attaches_a_document(page: Page, server: str, tmp_path: Path) -> None:
    _signed_in(page, "clerk.south")
    page.get_by_role("link", name="Cases", exact=True).first.click()
    expect(page.get_by_role("heading", name="Cases")).to_be_visible()
    expect(page.get_by_test_id("showing")).to_be_visible()
    url = _file_case(page, "E2E-101")
    expect(page.get_by_text("Intake").first).to_be_visible()
    shot(page, "case-detail-overview-en-1280")
    page.get_by_role("link", name=re.compile("^People")).click()
    expect(page.get_by_test_id("people-table")).to_contain_text("Kashif Mehmood")
    page.get_by_role("link", name=re.compile("^Offences")).click()
    expect(page.get_by_test_id("offences-table")).to_contain_text("302")
    shot(page, "case-detail-offences-en-1280")

    page.get_by_role("link", name="Documents").click()
    page.get_by_label("Title").fill("FIR copy")
    page.get_by_test_id("file-input").set_input_files(str(_small_pdf(tmp_path)))
    expect(page.get_by_test_id("documents-table")).to_contain_text("FIR copy")
    expect(page.get_by_test_id("upload-progress")).to_contain_text("Uploaded")
    shot(page, "case-detail-documents-en-1280")
    # the same kind and title again becomes version 2, the first kept
    page.get_by_label("Title").fill("FIR copy")
    page.get_by_test_id("file-input").set_input_files(str(_small_pdf(tmp_path)))
    expect(page.get_by_test_id("documents-table")).to_contain_text("v2")
    # download through the authorised endpoint (bearer → blob → save)
    with page.expect_download() as dl:
        page.get_by_test_id("documents-table").get_by_role("button", name="Download").first.click()
    assert dl.value.suggested_filename.endswith(".pdf")
    page.set_viewport_size(PHONE)
    _urdu(page)
    shot(page, "case-detail-documents-ur-390")
    page.set_viewport_size(DESKTOP)
    shot(page, "case-detail-documents-ur-1280")
    _english(page)

    # the new case is in the list, found by its FIR number
    page.goto("/cases?q=E2E-101")
    expect(page.get_by_test_id("cases-table")).to_contain_text("E2E-101")
    shot(page, "cases-list-en-1280")
    page.set_viewport_size(PHONE)
    shot(page, "cases-list-en-390")
    _urdu(page)
    shot(page, "cases-list-ur-390")
    page.set_viewport_size(DESKTOP)
    shot(page, "cases-list-ur-1280")
    page.goto(url)
    expect(page.get_by_test_id("case-number")).to_be_visible()
    shot(page, "case-detail-overview-ur-1280")
    page.set_viewport_size(PHONE)
    shot(page, "case-detail-overview-ur-390")
    _english(page)


def test_prosecutor_moves_an_assigned_case(page: Page, server: str) -> None:
    clerk = {"Authorization": f"Bearer {_token(server, 'clerk.south')}"}
    me = httpx.get(f"{server}/api/v1/users/me", headers=clerk).json()
    stations = httpx.get(
        f"{server}/api/v1/reference/police-stations",
        params={"district_id": me["district_id"], "limit": 1},
        headers=clerk,
    ).json()["items"]
    offence = httpx.get(
        f"{server}/api/v1/reference/offences", params={"q": "324", "limit": 1}, headers=clerk
    ).json()["items"][0]
    created = httpx.post(
        f"{server}/api/v1/cases",
        headers=clerk,
        json={
            "district_id": me["district_id"],
            "category": "ordinary",
            "title": "State vs Bilal Ahmed (E2E move)",
            "fir": {"number": "E2E-202", "date": "2026-02-14", "police_station_id": stations[0]["id"]},
            "offences": [{"offence_id": offence["id"], "stage_added": "fir"}],
            "accused": [{"name": "Bilal Ahmed", "custody_status": "on_bail"}],
        },
    )
    assert created.status_code == 201, created.text
    case = created.json()
    dp = {"Authorization": f"Bearer {_token(server, 'dp.south')}"}
    pp = {"Authorization": f"Bearer {_token(server, 'pp.south1')}"}
    pp_id = httpx.get(f"{server}/api/v1/users/me", headers=pp).json()["id"]
    assigned = httpx.post(
        f"{server}/api/v1/cases/{case['id']}/assignments",
        headers=dp,
        json={"prosecutor_id": pp_id, "role": "lead", "reason": "E2E"},
    )
    assert assigned.status_code == 201, assigned.text

    _signed_in(page, "pp.south1")
    page.get_by_role("link", name="Cases assigned to me").click()
    expect(page).to_have_url(re.compile(r"/cases\?prosecutor=me"))
    row = page.get_by_role("row").filter(has_text="E2E-202")
    expect(row).to_be_visible()
    row.get_by_role("link").first.click()
    expect(page.get_by_test_id("case-number")).to_have_text(case["number"])
    actions = page.get_by_test_id("case-actions")
    # only the legal next stages are offered
    expect(actions.get_by_role("button")).to_have_count(len(case["next_stages"]))
    actions.get_by_role("button", name="Move to Scrutiny").click()
    dialog = page.get_by_test_id("transition-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Note").fill("Challan received; starting scrutiny.")
    shot(page, "case-transition-dialog-en-1280")
    dialog.get_by_role("button", name="Move the case").click()
    expect(page.get_by_role("status").filter(has_text="Case moved to Scrutiny")).to_be_visible()
    expect(page.locator(".case-head [data-stage='scrutiny']")).to_be_visible()
    page.get_by_role("link", name="Timeline").click()
    timeline = page.get_by_test_id("timeline")
    expect(timeline.get_by_test_id("tl-move").last).to_have_text("Intake → Scrutiny")
    expect(timeline).to_contain_text("Challan received; starting scrutiny.")
    shot(page, "case-detail-timeline-en-1280")
    page.set_viewport_size(PHONE)
    shot(page, "case-detail-timeline-en-390")
    _urdu(page)
    shot(page, "case-detail-timeline-ur-390")
    page.set_viewport_size(DESKTOP)
    shot(page, "case-detail-timeline-ur-1280")
    _english(page)

    # scrutiny: a review found fit, then the memo generated from it lands among the documents
    page.get_by_role("link", name="Scrutiny").click()
    form = page.get_by_test_id("scrutiny-form")
    form.get_by_label("Decision").select_option("fit")
    form.get_by_label("Notes").fill("Challan complete; fit for trial.")
    form.get_by_role("button", name="Save review").click()
    expect(page.get_by_test_id("scrutiny-review")).to_contain_text("Fit for trial")
    expect(page.get_by_role("status").filter(has_text="Filed in court")).to_be_visible()
    page.get_by_test_id("generate-memo").first.click()
    expect(page.get_by_role("status").filter(has_text="added to the documents")).to_be_visible()
    shot(page, "case-detail-scrutiny-en-1280")
    _urdu(page)
    shot(page, "case-detail-scrutiny-ur-1280")
    page.set_viewport_size(PHONE)
    shot(page, "case-detail-scrutiny-ur-390")
    page.set_viewport_size(DESKTOP)
    _english(page)
    page.get_by_role("link", name="Documents").click()
    expect(page.get_by_test_id("documents-table")).to_contain_text("Scrutiny memo")


def test_clerk_imports_cases_dry_run_first(page: Page, server: str, tmp_path: Path) -> None:
    clerk = {"Authorization": f"Bearer {_token(server, 'clerk.south')}"}
    me = httpx.get(f"{server}/api/v1/users/me", headers=clerk).json()
    station = httpx.get(
        f"{server}/api/v1/reference/police-stations",
        params={"district_id": me["district_id"], "limit": 1},
        headers=clerk,
    ).json()["items"][0]["name"]
    csv = tmp_path / "firs.csv"
    csv.write_text(
        "district_code,fir_number,fir_date,police_station,category,sections,accused_name,accused_name_ur,custody_status\n"
        f"KHI-S,IMP-1,2026-01-05,{station},ordinary,PPC 302(b),Sajid Khan,ساجد خان,arrested\n"
        f"KHI-S,IMP-2,2026-01-06,{station},ordinary,PPC 324,Nadeem Shah,,on_bail\n",
        encoding="utf-8",
    )
    _signed_in(page, "clerk.south")
    page.get_by_role("link", name="Import cases").first.click()
    expect(page.get_by_role("heading", name="Import cases")).to_be_visible()
    page.get_by_test_id("import-file").set_input_files(str(csv))
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("Nothing has been saved yet")
    expect(page.get_by_test_id("import-rows").locator("tbody tr")).to_have_count(2)
    shot(page, "cases-import-dry-run-en-1280")
    page.get_by_test_id("import-run").click()
    expect(page.get_by_test_id("import-summary")).to_contain_text("2 case(s) created")
    expect(page.get_by_test_id("import-rows")).to_contain_text("KHI-S-")
    _urdu(page)
    page.set_viewport_size(PHONE)
    shot(page, "cases-import-done-ur-390")
    page.set_viewport_size(DESKTOP)
    _english(page)
