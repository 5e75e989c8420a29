"""Standing tests built from the app's routes: a new route without a guard, a tag or a readable
operationId fails here. Also the committed OpenAPI document and the SPA fallback."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import routing
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from api.config import ROOT, get_settings
from api.main import create_app
from api.permissions import is_guard
from api.routing import UnitOfWorkRoute

#: answered without a bearer token (the calendar feed authenticates by the secret in its URL)
PUBLIC = {
    "/health",
    "/ready",
    "/metrics",
    "/api/v1/auth/token",
    "/api/v1/auth/refresh",
    "/api/v1/calendar/feeds/{token}.ics",
}
OPERATION_ID = re.compile(r"^[a-z]+(-[a-z]+)*$")


def all_api_routes(app: Any) -> list[APIRoute]:
    """Every APIRoute of the app, through included routers (FastAPI keeps them nested)."""
    contexts = routing.iter_route_contexts(app.routes)
    return [c.original_route for c in contexts if isinstance(c.original_route, APIRoute)]


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return create_app().openapi()


@pytest.fixture(scope="module")
def routes() -> list[APIRoute]:
    found = all_api_routes(create_app())
    assert len(found) > 20
    return found


def _guarded(dependant: Any) -> bool:
    return any((d.call is not None and is_guard(d.call)) or _guarded(d) for d in dependant.dependencies)


def _public(route: APIRoute) -> bool:
    return bool((route.openapi_extra or {}).get("x-cmms-public"))


def test_every_route_uses_the_unit_of_work(routes):
    for route in routes:
        assert isinstance(route, UnitOfWorkRoute), (
            f"{route.path} {route.methods}: use route_class=UnitOfWorkRoute"
        )


def test_every_route_has_a_tag_and_a_readable_operation_id(routes, schema):
    seen = set()
    for route in routes:
        assert route.tags, f"{route.path} has no tag"
        (method,) = route.methods
        op = schema["paths"][route.path_format][method.lower()]["operationId"]
        assert op.startswith(f"{route.tags[0]}-"), f"{route.path}: operationId {op!r} is not <tag>-<name>"
        assert OPERATION_ID.match(op), f"{route.path}: operationId {op!r} is not lowercase-hyphenated"
        assert op not in seen, f"duplicate operationId {op}"
        seen.add(op)


def test_single_resource_reads_and_writes_document_their_etag(schema):
    """API.md: every single-resource GET and write returns an ETag (and says so to clients)."""
    checked = 0
    for path, operations in schema["paths"].items():
        if not path.startswith("/api/v1/"):
            continue
        for method, op in operations.items():
            single_get = method == "get" and (path.endswith("}") or path.endswith("/me"))
            if not (single_get or method == "patch" or (method == "post" and "201" in op["responses"])):
                continue
            ok = next(status for status in ("200", "201") if status in op["responses"])
            assert "ETag" in op["responses"][ok].get("headers", {}), (
                f"{method.upper()} {path} does not document ETag"
            )
            checked += 1
    assert checked >= 20


def test_exactly_the_public_routes_are_public(routes):
    assert {r.path for r in routes if _public(r)} == PUBLIC


def test_every_other_route_is_guarded(routes):
    for route in routes:
        if _public(route):
            assert not _guarded(route.dependant), f"{route.path} is public but carries a guard"
            continue
        assert _guarded(route.dependant), f"{route.path} {route.methods} lacks api.permissions.require(...)"


def test_guarded_routes_document_401(routes, schema):
    for route in routes:
        if _public(route):
            continue
        for method in route.methods:
            op = schema["paths"][route.path_format][method.lower()]
            assert "401" in op["responses"], f"{method} {route.path} does not document 401"
            problem = op["responses"]["401"]["content"]
            assert "application/problem+json" in problem, f"{method} {route.path}"


def test_guarded_routes_refuse_anonymous_callers(routes, client):
    for route in routes:
        if _public(route):
            continue
        path = re.sub(r"\{[^}]+\}", "1", route.path)
        for method in route.methods:
            r = client.request(method, path)
            assert r.status_code == 401, f"{method} {path}: {r.status_code}"


BAD_PARAMETERS = {"limit": "0", "offset": "-1", "sort": "nonsense", "district_id": "x", "from": "soon"}


def test_refusals_come_before_parameter_errors(routes, client, as_role):
    """A caller who may not call a route learns that (401, 403), never what was wrong with the
    parameters; reads authenticate in the endpoint's thread (api/deferred.py), so this is checked
    route by route (403s on the reads, which change nothing)."""
    trainer = as_role("trainer")  # a role without case, schedule or report permissions
    forbidden = 0
    for route in routes:
        if _public(route):
            continue
        bad_path = re.sub(r"\{[^}]+\}", "0", route.path)  # ids start at 1: 0 is a 422 of its own
        for method in route.methods:
            r = client.request(method, bad_path, params=BAD_PARAMETERS)
            assert r.status_code == 401, f"anonymous {method} {bad_path}: {r.status_code}"
            if method != "GET":
                continue
            plain = client.get(re.sub(r"\{[^}]+\}", "1", route.path), headers=trainer)
            if plain.status_code == 403:
                forbidden += 1
                r = client.get(bad_path, params=BAD_PARAMETERS, headers=trainer)
                assert r.status_code == 403, f"trainer GET {bad_path}: {r.status_code}"
    assert forbidden > 20


def test_every_route_is_in_the_openapi_document(routes, schema):
    for route in routes:
        for method in route.methods:
            assert method.lower() in schema["paths"].get(route.path_format, {}), f"{method} {route.path}"


def test_committed_openapi_is_current():
    committed = json.loads((ROOT / "openapi" / "openapi.json").read_text(encoding="utf-8"))
    generated = json.loads(json.dumps(create_app().openapi()))
    assert committed == generated, "openapi/openapi.json is stale: run `make openapi`"


def test_openapi_has_bearer_scheme_and_tag_descriptions(schema):
    schemes = schema["components"]["securitySchemes"]
    assert any(s.get("type") == "oauth2" or s.get("scheme") == "bearer" for s in schemes.values())
    tags = {t["name"]: t for t in schema["tags"]}
    used = {tag for path in schema["paths"].values() for op in path.values() for tag in op["tags"]}
    assert used <= set(tags) and all(tags[t].get("description") for t in used)


@pytest.fixture
def spa_client(tmp_path: Path, db: Any):
    dist = tmp_path / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "index.html").write_text("<!doctype html><title>CMMS</title><div id=app></div>", encoding="utf-8")
    (dist / "assets" / "x.js").write_text("console.log(1)", encoding="utf-8")
    (dist / "favicon.svg").write_text("<svg/>", encoding="utf-8")
    settings = get_settings().model_copy(update={"spa_dir": dist})
    with TestClient(create_app(settings)) as c:
        yield c


def test_spa_fallback(spa_client):
    for path in ("/", "/cases/12", "/admin/users", "/login?next=/cases/1"):
        r = spa_client.get(path)
        assert r.status_code == 200, path
        assert r.headers["content-type"].startswith("text/html")
        assert "<div id=app>" in r.text
        assert "immutable" not in r.headers.get("cache-control", "")
    asset = spa_client.get("/assets/x.js")
    assert asset.status_code == 200 and asset.text == "console.log(1)"
    assert "immutable" in asset.headers["cache-control"]
    assert spa_client.get("/favicon.svg").text == "<svg/>"
    missing = spa_client.get("/assets/nope.js")
    assert missing.status_code == 404
    for path in ("/api/v1/nope", "/api/v1/nope/12", "/healthz/x"):
        r = spa_client.get(path)
        if path.startswith("/api/"):
            assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    assert spa_client.post("/cases/12").status_code in (404, 405)
    assert spa_client.post("/cases/12").headers["content-type"].startswith("application/problem+json")
    # no escaping the folder
    r = spa_client.get("/..%2f..%2fetc/passwd")
    assert "root:" not in r.text
