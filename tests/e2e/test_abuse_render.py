"""Stored HTML is shown as text: a case, its accused and witness, a note and a task whose text is
``<img src=x onerror=…>`` and ``<script>…</script>`` (made through the API) are opened in the SPA's
screens; the text is visible literally, no element is made from it and no script of it runs
(``window.__pwned`` stays undefined, no dialog opens). Screenshots land in tests/artifacts/."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import shot
from tests.e2e.test_shell import sign_in
from tests.live import DEMO_PASSWORD

IMG = "<img src=x onerror=window.__pwned=1>"
SCRIPT = "<script>window.__pwned=1</script>"
BOTH = f"{IMG} {SCRIPT}"


def _headers(server: str, username: str) -> dict[str, str]:
    r = httpx.post(f"{server}/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD})
    r.raise_for_status()
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


def _ok(r: httpx.Response) -> Any:
    assert r.status_code in (200, 201), r.text
    return r.json()


def _hostile_case(server: str) -> dict[str, Any]:
    clerk = _headers(server, "clerk.south")
    me = _ok(httpx.get(f"{server}/api/v1/users/me", headers=clerk))
    station = _ok(
        httpx.get(
            f"{server}/api/v1/reference/police-stations",
            params={"district_id": me["district_id"], "limit": 1},
            headers=clerk,
        )
    )["items"][0]
    offence = _ok(httpx.get(f"{server}/api/v1/reference/offences", params={"limit": 1}, headers=clerk))[
        "items"
    ][0]
    case = _ok(
        httpx.post(
            f"{server}/api/v1/cases",
            headers=clerk,
            json={
                "district_id": me["district_id"],
                "category": "ordinary",
                "title": f"State v. {BOTH}",
                "fir": {
                    "number": "XSS-1",
                    "date": (date.today() - timedelta(days=5)).isoformat(),
                    "police_station_id": station["id"],
                    "occurrence_place": IMG,
                    "brief_facts": f"Facts: {BOTH}",
                },
                "offences": [{"offence_id": offence["id"]}],
                "accused": [{"name": IMG, "father_name": SCRIPT, "address": BOTH}],
                "parties": [{"role": "witness", "name": SCRIPT, "notes": BOTH}],
            },
        )
    )
    _ok(httpx.post(f"{server}/api/v1/cases/{case['id']}/notes", headers=clerk, json={"body": f"Note {BOTH}"}))
    dp = _headers(server, "dp.south")
    me_dp = _ok(httpx.get(f"{server}/api/v1/users/me", headers=dp))
    _ok(
        httpx.post(
            f"{server}/api/v1/tasks",
            headers=dp,
            json={
                "title": f"Task {IMG}",
                "description": SCRIPT,
                "assignee_id": me_dp["id"],
                "case_id": case["id"],
                "checklist": [{"text": SCRIPT}],
            },
        )
    )
    return case


def _nothing_ran(page: Page, dialogs: list[str]) -> None:
    assert page.evaluate("typeof window.__pwned") == "undefined"
    assert dialogs == []
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("script", has_text="__pwned").count() == 0


def test_stored_html_is_shown_as_text_and_never_runs(page: Page, server: str) -> None:
    case = _hostile_case(server)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    sign_in(page, "dp.south")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    page.goto("/cases?q=XSS-1")
    row = page.get_by_role("row").filter(has_text="XSS-1")
    expect(row).to_contain_text(f"State v. {BOTH}")
    _nothing_ran(page, dialogs)
    shot(page, "abuse-case-list")

    page.goto(f"/cases/{case['id']}")
    expect(page.get_by_test_id("case-number")).to_have_text(case["number"])
    expect(page.get_by_text(f"State v. {BOTH}").first).to_be_visible()
    _nothing_ran(page, dialogs)
    shot(page, "abuse-case-overview")

    for tab, texts in (
        ("people", [IMG, SCRIPT]),
        ("notes", [f"Note {BOTH}"]),
        ("tasks", [f"Task {IMG}"]),
    ):
        page.goto(f"/cases/{case['id']}?tab={tab}")
        for text in texts:
            expect(page.get_by_text(text, exact=False).first).to_be_visible()
        _nothing_ran(page, dialogs)
        shot(page, f"abuse-case-{tab}")

    page.goto("/tasks")
    expect(page.get_by_text(f"Task {IMG}").first).to_be_visible()
    _nothing_ran(page, dialogs)
    shot(page, "abuse-tasks")
