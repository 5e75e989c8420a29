"""A short schemathesis run in every pytest pass (``make fuzz`` is the long one): a live server over
a fresh database of the pass's kind (a new SQLite file, or a new database in the pass's PostgreSQL
cluster), seeded with the demo; every operation of its /openapi.json, every check, a few examples
per operation, as two district prosecutors of different districts and an administrator (see
tests/fuzz/). Zero failures expected.

Then product bugs the fuzzer found, pinned as plain regression tests on the same server."""

from __future__ import annotations

import base64
import os
import re
import tempfile
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import live
from tests.fuzz import runner

#: examples per operation in the short run (the coverage phase adds its boundary cases on top)
SHORT_EXAMPLES = int(os.environ.get("CMMS_FUZZ_SHORT_EXAMPLES", "3"))
#: a 1x1 PNG
PNG_1X1 = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="


@pytest.fixture(scope="module")
def demo(database_url: str) -> Iterator[tuple[str, str, Path]]:
    tmp = Path(tempfile.mkdtemp(prefix="cmms-fuzz-"))
    with runner.demo_server(database_url, tmp) as (base, url):
        yield base, url, tmp


def test_schemathesis_finds_nothing(demo: tuple[str, str, Path]) -> None:
    base, url, tmp = demo
    outcome = runner.run(
        base,
        url,
        tmp / "fuzz",
        max_examples=SHORT_EXAMPLES,
        phases="examples,coverage,fuzzing",
        seed=20260101,
    )
    operations = re.search(r"Operations:\s+(\d+) selected / (\d+) total", outcome.output)
    assert operations, outcome.output[-4000:]
    assert operations.group(1) == operations.group(2), "every operation is fuzzed"
    assert outcome.returncode == 0, outcome.output[-30000:]


def _headers(base: str, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {live.sign_in(base, username)}"}


def test_a_reused_idempotency_key_leaves_no_write_lock_behind(demo: tuple[str, str, Path]) -> None:
    """The 422 for a key reused with another request was raised with the request's session still
    open: on SQLite the process's write lock stayed taken and every later write waited 30 s, then
    failed (503), for good."""
    base = demo[0]
    headers = {**_headers(base, "admin.demo"), "Idempotency-Key": "fuzz-regression-1"}
    url = f"{base}/api/v1/reference/adjournment-reasons"

    def reason(code: str) -> dict[str, str]:
        return {"code": code, "label": f"Reason {code}", "attributed_to": "court"}

    with httpx.Client(timeout=20) as c:
        assert c.post(url, json=reason("FUZZ_A"), headers=headers).status_code == 201
        again = c.post(url, json=reason("FUZZ_B"), headers=headers)
        assert again.status_code == 422
        assert again.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]
        later = c.post(
            url, json=reason("FUZZ_C"), headers={k: v for k, v in headers.items() if k != "Idempotency-Key"}
        )
        assert later.status_code == 201, later.text


def test_audited_reads_do_not_fail_beside_writes(demo: tuple[str, str, Path]) -> None:
    """The audited read of a case's people began as a reader and wrote its audit entry in that
    transaction: beside concurrent writes SQLite refused the upgrade and nearly every read was a
    503. (The same for document downloads, the audit log and the calendar feed URL.)"""
    base = demo[0]
    headers = _headers(base, "dp.south")
    case_id = httpx.get(f"{base}/api/v1/cases", headers=headers, timeout=20).json()["items"][0]["id"]
    seen: Counter[tuple[str, int]] = Counter()

    def read() -> None:
        with httpx.Client(headers=headers, timeout=60) as c:
            for _ in range(25):
                seen["people", c.get(f"{base}/api/v1/cases/{case_id}/people").status_code] += 1

    def write() -> None:
        with httpx.Client(headers=headers, timeout=60) as c:
            for i in range(25):
                note = {"body": f"fuzz regression note {i}"}
                seen["note", c.post(f"{base}/api/v1/cases/{case_id}/notes", json=note).status_code] += 1

    threads = [threading.Thread(target=f) for f in (read, read, write, write)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == Counter({("people", 200): 50, ("note", 201): 50})


def test_405_names_every_method_of_the_path(demo: tuple[str, str, Path]) -> None:
    """Starlette's 405 named only the first matching route's methods (``Allow: GET`` on /cases)."""
    base = demo[0]
    r = httpx.request("DELETE", f"{base}/api/v1/cases", headers=_headers(base, "dp.south"), timeout=20)
    assert r.status_code == 405
    assert r.headers["content-type"].startswith("application/problem+json")
    assert {m.strip() for m in r.headers["allow"].split(",")} == {"GET", "POST"}


def test_a_feed_token_that_was_never_issued_is_refused_not_a_500(demo: tuple[str, str, Path]) -> None:
    """The server percent-decodes the path: a token of non-ASCII text reached the hash (ASCII only)
    and answered 500 (found by `make fuzz`). A token is URL-safe base64 text; anything else is 422."""
    base = demo[0]
    for token in ("%ED%97%88E%0D%C2%9DH%1F%03%15m%C2%91%F1%89%82%9E%C3%9C", "%C3%9F5", "a%20b"):
        r = httpx.get(f"{base}/api/v1/calendar/feeds/{token}.ics", timeout=20)
        assert r.status_code == 422, (token, r.status_code)
        assert r.headers["content-type"].startswith("application/problem+json")


def test_an_empty_idempotency_key_is_refused(demo: tuple[str, str, Path]) -> None:
    base = demo[0]
    headers = {**_headers(base, "dp.south"), "Idempotency-Key": ""}
    r = httpx.post(f"{base}/api/v1/notifications/read-all", headers=headers, timeout=20)
    assert r.status_code == 422
    assert r.json()["errors"][0]["loc"] == ["header", "Idempotency-Key"]


def test_every_sort_parameter_is_its_lists_enum(demo: tuple[str, str, Path]) -> None:
    """A free-text ``sort`` let the fuzzer send values the list refused (422 for a schema-valid
    request): each list now publishes its allow-list as an enum, and refuses anything else naming
    the allowed values."""
    base = demo[0]
    schema = httpx.get(f"{base}/openapi.json", timeout=20).json()
    sorts = {
        path: param["schema"]
        for path, item in schema["paths"].items()
        for param in item.get("get", {}).get("parameters", [])
        if param["name"] == "sort"
    }
    assert len(sorts) >= 25, sorted(sorts)
    for path, sort in sorts.items():
        values = sort.get("enum") or [v for b in sort.get("anyOf", []) for v in b.get("enum", [])]
        assert values and all(f"-{v}" in values for v in values if not v.startswith("-")), (path, sort)
    headers = _headers(base, "dp.south")
    for value in sorts["/api/v1/tasks"]["enum"]:
        assert httpx.get(f"{base}/api/v1/tasks", params={"sort": value}, headers=headers).status_code == 200
    refused = httpx.get(f"{base}/api/v1/tasks", params={"sort": "title"}, headers=headers, timeout=20)
    assert refused.status_code == 422
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.json()["errors"][0]["loc"] == ["query", "sort"]
    assert (
        "'due_date'" in refused.json()["errors"][0]["msg"]
        and "'-created_at'" in refused.json()["errors"][0]["msg"]
    )


def test_numbers_are_not_dates_nor_booleans(demo: tuple[str, str, Path]) -> None:
    """pydantic's lax mode took 0 for 1970-01-01 (a cause list, a holiday, a next date), 0/1 for
    false/true and false for the integer 0; the schema says none of that."""
    base = demo[0]
    admin, dp = _headers(base, "admin.demo"), _headers(base, "dp.south")
    court = httpx.get(f"{base}/api/v1/reference/courts", headers=dp, timeout=20).json()["items"][0]["id"]
    with httpx.Client(timeout=20) as c:

        def status(method: str, path: str, *, who: dict[str, str], **kw: object) -> int:
            return c.request(method, f"{base}/api/v1{path}", headers=who, **kw).status_code  # type: ignore[arg-type]

        assert status("GET", f"/courts/{court}/cause-list", who=dp, params={"date": "0"}) == 422
        assert status("GET", f"/courts/{court}/cause-list", who=dp, params={"date": "2026-01-05"}) == 200
        holiday = {"date": 0, "name": "Fuzz day"}
        assert status("POST", "/reference/holidays", who=admin, json=holiday) == 422
        assert status("POST", "/reference/holidays", who=admin, json={**holiday, "date": "2031-02-03"}) == 201
        assert status("PATCH", "/tasks/1", who=dp, json={"checklist": [{"text": "x", "done": 0}]}) == 422
        assert status("PATCH", "/cases/1/people/1", who=dp, json={"age": False}) == 422
        assert status("PATCH", "/hearings/1", who=dp, json={"next_date": 0}) == 422
        assert status("GET", "/cases", who=dp, params={"restricted": "1"}) == 422
        assert status("GET", "/cases", who=dp, params={"restricted": "true"}) == 200
        assert status("GET", "/hearings", who=dp, params={"from": "0" * 40}) == 422
        assert status("GET", "/hearings", who=dp, params={"from": "2026-01-05T10:00:00"}) == 422  # no offset
        assert status("GET", "/hearings", who=dp, params={"from": "2026-01-05T10:00:00+05:00"}) == 200
        assert status("GET", "/hearings", who=dp, params={"from": "2026-01-05"}) == 200


def test_a_word_is_not_an_id(demo: tuple[str, str, Path]) -> None:
    """``/cases/import``, ``/hearings/check`` and ``/users/me`` matched the id routes beside them:
    PATCH answered 422 (an id that is not an integer) instead of 405, and Allow named PATCH on
    /users/me. Ids now match digits only."""
    base = demo[0]
    headers = _headers(base, "admin.demo")
    for method, path, allowed in (
        ("PATCH", "/api/v1/cases/import", {"POST"}),
        ("PATCH", "/api/v1/hearings/check", {"POST"}),
        ("OPTIONS", "/api/v1/users/me", {"GET"}),
        ("DELETE", "/api/v1/users/me", {"GET"}),
    ):
        r = httpx.request(method, f"{base}{path}", headers=headers, timeout=20)
        assert r.status_code == 405, (method, path, r.text)
        assert {m.strip() for m in r.headers["allow"].split(",")} == allowed, (method, path)
    assert httpx.get(f"{base}/api/v1/cases/abc", headers=headers, timeout=20).status_code == 404
    assert httpx.get(f"{base}/api/v1/users/0", headers=headers, timeout=20).status_code == 422


def test_person_suggestions_without_criteria_are_empty(demo: tuple[str, str, Path]) -> None:
    """No cnic and no name was a 422 no schema could announce; it now matches no one."""
    base = demo[0]
    r = httpx.get(f"{base}/api/v1/persons/suggest", headers=_headers(base, "dp.south"), timeout=20)
    assert r.status_code == 200 and r.json()["items"] == []


def test_a_download_documents_its_type(demo: tuple[str, str, Path]) -> None:
    """A PNG came back as image/png while the schema listed only application/octet-stream."""
    base = demo[0]
    schema = httpx.get(f"{base}/openapi.json", timeout=20).json()
    documented = set(
        schema["paths"]["/api/v1/documents/{document_id}/content"]["get"]["responses"]["200"]["content"]
    )
    headers = _headers(base, "dp.south")
    case_id = httpx.get(f"{base}/api/v1/cases", headers=headers, timeout=20).json()["items"][0]["id"]
    uploaded = [
        httpx.post(
            f"{base}/api/v1/cases/{case_id}/documents",
            files={"file": (name, content)},
            data={"kind": "correspondence", "title": f"Fuzz regression {name}"},
            headers=headers,
            timeout=20,
        )
        for name, content in (("dot.png", base64.b64decode(PNG_1X1)), ("note.txt", "A note, ہاں".encode()))
    ]
    assert [u.status_code for u in uploaded] == [201, 201], [u.text for u in uploaded]
    for document_id in (u.json()["id"] for u in uploaded):
        r = httpx.get(f"{base}/api/v1/documents/{document_id}/content", headers=headers, timeout=20)
        assert r.status_code == 200
        assert r.headers["content-type"].split(";")[0] in documented
