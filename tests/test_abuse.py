"""Abuse: huge and chunked bodies (413 as they arrive, never read whole), deep nesting, invalid UTF-8
in bodies, query strings and forms, NUL, very long strings in every text field of every write schema
(422 at the field; the limit itself is stored whole, so the columns are wide enough), SQL and HTML in
every text field (stored and returned verbatim, tables intact, searches with them answer 200), and
upload names and types (traversal, Unicode, renamed executables). The text fields are generated from
the write schemas of the app's routes, so a new field or a new write route is covered (or fails
here until it is)."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import re
import types
import typing
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import annotated_types
import pytest
from fastapi import routing
from fastapi.routing import APIRoute
from pydantic import BaseModel
from sqlalchemy import func, select, text

from api import limits
from api.cases.models import Case, CaseNote
from api.config import get_settings
from api.documents import intake
from api.limits import FORM_ALLOWANCE, MIB
from api.reference.models import District, Holiday, Offence
from api.schema_rules import NO_NUL
from tests.conftest import PASSWORD
from tests.test_cases_support import (  # noqa: F401
    World,
    assign,
    court_id,
    file_case,
    set_stage,
    world_fixture,
)

SQL = (
    "'; DROP TABLE cases; --",
    '" OR 1=1 --',
    "1; DELETE FROM users WHERE 1=1",
    "x' UNION SELECT * FROM users--",
)
HTML = ("<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "</textarea><svg onload=alert(1)>")
HOSTILE = SQL + HTML
ZONE = ZoneInfo(get_settings().timezone)


def problem(r: Any, status: int | tuple[int, ...]) -> dict[str, Any]:
    statuses = status if isinstance(status, tuple) else (status,)
    assert r.status_code in statuses, (r.status_code, r.text[:500])
    assert r.headers["content-type"] == "application/problem+json", r.headers["content-type"]
    body = r.json()
    assert body["status"] == r.status_code and body["type"].startswith("https://cmms.example/problems/")
    return body


def count(db: Any, model: Any) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model))


# --- the write schemas' text fields, from the app's routes ----------------------------------------


def _all_routes() -> list[APIRoute]:
    from api.main import create_app

    contexts = routing.iter_route_contexts(create_app().routes)
    return [c.original_route for c in contexts if isinstance(c.original_route, APIRoute)]


def _flat(annotation: Any) -> list[Any]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, list, typing.Annotated):
        return [a for arg in typing.get_args(annotation) for a in _flat(arg)]
    return [annotation]


@dataclass(frozen=True)
class TextField:
    """One text field of a write body: its path inside the body (``("accused", 0, "name")``)."""

    model: str
    path: tuple[str | int, ...]
    max_length: int | None
    pattern: str | None

    @property
    def name(self) -> str:
        return f"{self.model}.{self.path[-1]}"


def text_fields(model: type[BaseModel], prefix: tuple[str | int, ...] = ()) -> list[TextField]:
    """Every ``str`` field of ``model`` and of the models inside it (a list's first element)."""
    out: list[TextField] = []
    for name, info in model.model_fields.items():
        kinds = _flat(info.annotation)
        is_list = typing.get_origin(info.annotation) is list or any(
            typing.get_origin(a) is list for a in typing.get_args(info.annotation)
        )
        here = (*prefix, name, 0) if is_list else (*prefix, name)
        for kind in kinds:
            if isinstance(kind, type) and issubclass(kind, BaseModel):
                out.extend(text_fields(kind, here))
        if str in kinds:
            max_length = next(
                (m.max_length for m in info.metadata if isinstance(m, annotated_types.MaxLen)), None
            )
            pattern = next(
                (getattr(m, "pattern", None) for m in info.metadata if getattr(m, "pattern", None)), None
            )
            out.append(TextField(model.__name__, here, max_length, pattern))
    return out


def write_routes() -> dict[tuple[str, str], type[BaseModel]]:
    """(method, path) → the JSON body model, for every write route whose body holds text."""
    found = {}
    for route in _all_routes():
        if route.body_field is None:
            continue
        for kind in _flat(route.body_field.field_info.annotation):
            if isinstance(kind, type) and issubclass(kind, BaseModel) and text_fields(kind):
                for method in route.methods:
                    found[(method, route.path_format)] = kind
    return found


WRITE_ROUTES = write_routes()


def put(body: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    """Set ``value`` at ``path`` inside ``body``, making the dicts and one-element lists on the way."""
    node: Any = body
    for here, nxt in itertools.pairwise(path):
        if isinstance(here, int):
            while len(node) <= here:
                node.append({} if isinstance(nxt, str) else [])
            node = node[here]
        else:
            node = node.setdefault(here, [] if isinstance(nxt, int) else {})
    last = path[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append(None)
    node[last] = value


def strings_in(data: Any) -> set[str]:
    if isinstance(data, str):
        return {data}
    if isinstance(data, dict):
        return {s for v in data.values() for s in strings_in(v)}
    if isinstance(data, list):
        return {s for v in data for s in strings_in(v)}
    return set()


# --- a valid call of every write route ---------------------------------------------------------


@dataclass
class Call:
    """A valid request of one write route; the text fields are filled in by the tests. ``read``
    turns the answer into the JSON where the stored values must come back (default: the answer)."""

    method: str
    url: str
    body: dict[str, Any]
    headers: dict[str, str]
    read: Callable[[Any], Any] | None = None
    expect: int | tuple[int, ...] = 200


#: text fields holding a code of a vocabulary, checked by the service (their own tests prove it);
#: the tests here keep the base body's value, and prove only that overlong values are refused
CODES = {"TransitionIn.reason", "DispositionIn.reason", "AdjournmentIn.reason"}
#: secrets: never returned; a new password is proven stored by signing in with it
SECRETS = {
    "UserCreate.password",
    "PasswordReset.password",
    "PasswordChange.current_password",
    "PasswordChange.new_password",
}
#: routes that store nothing: their answer is checked (2xx), not a read-back
NO_STORE = {("POST", "/api/v1/hearings/check")}
#: routes whose bodies are tested apart (public sign-in: the text is a credential, never stored)
APART = {("POST", "/api/v1/auth/refresh"), ("POST", "/api/v1/auth/token")}

_serial = itertools.count(1)
_days = itertools.count(5)


@dataclass
class Stage:
    client: Any
    db: Any
    world: World
    make_user: Any
    login: Any
    extra: dict[str, Any] = field(default_factory=dict)

    def h(self, key: str) -> dict[str, str]:
        return self.world.headers[key]

    def get(self, url: str, who: str = "district_prosecutor") -> Any:
        r = self.client.get(url, headers=self.h(who))
        assert r.status_code == 200, (url, r.text)
        return r

    def etag(self, url: str, who: str = "district_prosecutor") -> dict[str, str]:
        return {**self.h(who), "If-Match": self.get(url, who).headers["etag"]}

    def new_case(self) -> Case:
        case = file_case(
            self.db, self.world.users["clerk"], parties=[{"role": "witness", "name": "Witness One"}]
        )
        assign(self.db, case, self.world.users["prosecutor_assigned"])
        return case

    def court_day(self) -> date:
        day = date.today() + timedelta(days=next(_days) * 2)
        while day.weekday() == 6 or self.db.scalar(select(Holiday.id).where(Holiday.date == day)):
            day += timedelta(days=1)
        return day

    def starts_at(self) -> str:
        return datetime.combine(self.court_day(), time(10), ZONE).isoformat()


@pytest.fixture
def stage(client, db, world, make_user, login) -> Stage:
    s = Stage(client, db, world, make_user, login)
    s.extra["court"] = court_id(db, "KHI-S")
    s.extra["district"] = db.scalar(select(District.id).where(District.code == "KHI-S"))
    s.extra["offence"] = db.scalar(select(Offence.id).order_by(Offence.id).limit(1))
    return s


def _case_create(s: Stage) -> Call:
    station = s.db.scalar(
        text("SELECT id FROM police_stations WHERE district_id = :d ORDER BY id LIMIT 1"),
        {"d": s.extra["district"]},
    )
    body = {
        "district_id": s.extra["district"],
        "category": "ordinary",
        "fir": {
            "number": f"AB{next(_serial)}",
            "date": (date.today() - timedelta(days=3)).isoformat(),
            "police_station_id": station,
        },
        "offences": [{"offence_id": s.extra["offence"]}],
        "accused": [{"name": "A"}],
        "complainant": {"name": "C"},
        "parties": [{"role": "witness", "name": "W"}],
    }
    return Call(
        "POST",
        "/api/v1/cases",
        body,
        s.h("clerk"),
        read=lambda r: s.get(f"/api/v1/cases/{r.json()['id']}").json(),
        expect=201,
    )


def _case_update(s: Stage) -> Call:
    case = s.new_case()
    return Call("PATCH", f"/api/v1/cases/{case.id}", {}, s.etag(f"/api/v1/cases/{case.id}"))


def _transition(s: Stage) -> Call:
    case = s.new_case()
    return Call(
        "POST",
        f"/api/v1/cases/{case.id}/transitions",
        {"to": "scrutiny"},
        s.h("district_prosecutor"),
        read=lambda r: s.get(f"/api/v1/cases/{case.id}/timeline").json(),
    )


def _assignment(s: Stage) -> Call:
    case = s.new_case()
    pp = s.make_user("prosecutor", district="KHI-S")
    return Call(
        "POST",
        f"/api/v1/cases/{case.id}/assignments",
        {"prosecutor_id": pp.id, "role": "associate"},
        s.h("district_prosecutor"),
        expect=201,
    )


def _person_create(s: Stage) -> Call:
    case = s.new_case()
    return Call("POST", f"/api/v1/cases/{case.id}/people", {"role": "witness"}, s.h("clerk"), expect=201)


def _witness(s: Stage) -> tuple[Case, dict[str, Any]]:
    case = s.new_case()
    people = s.get(f"/api/v1/cases/{case.id}/people").json()["items"]
    return case, next(p for p in people if p["role"] == "witness")


def _person_update(s: Stage) -> Call:
    case, witness = _witness(s)
    headers = {**s.h("clerk"), "If-Match": witness["etag"]}
    return Call("PATCH", f"/api/v1/cases/{case.id}/people/{witness['id']}", {}, headers)


def _police_report(s: Stage) -> Call:
    case = s.new_case()
    body = {"kind": "interim", "received_on": date.today().isoformat()}
    return Call("POST", f"/api/v1/cases/{case.id}/police-reports", body, s.h("clerk"), expect=201)


def _scrutiny(s: Stage) -> Call:
    case = s.new_case()
    set_stage(s.db, case, "scrutiny")
    body = {"decision": "defective_returned", "defects": ["other"], "returned_on": date.today().isoformat()}
    return Call("POST", f"/api/v1/cases/{case.id}/scrutiny", body, s.h("district_prosecutor"), expect=201)


def _disposition(s: Stage) -> Call:
    case = s.new_case()
    set_stage(s.db, case, "judgment")
    people = s.get(f"/api/v1/cases/{case.id}/people").json()["items"]
    accused = next(p for p in people if p["role"] == "accused")
    body = {"party_id": accused["id"], "outcome": "convicted", "decided_on": date.today().isoformat()}
    return Call("POST", f"/api/v1/cases/{case.id}/dispositions", body, s.h("district_prosecutor"), expect=201)


def _note(s: Stage) -> Call:
    case = s.new_case()
    return Call("POST", f"/api/v1/cases/{case.id}/notes", {}, s.h("clerk"), expect=201)


def _reassign(s: Stage) -> Call:
    case = s.new_case()
    to = s.make_user("prosecutor", district="KHI-S")
    body = {
        "from_prosecutor_id": s.world.users["prosecutor_assigned"].id,
        "to_prosecutor_ids": [to.id],
        "district_id": s.extra["district"],
    }
    return Call(
        "POST",
        "/api/v1/reassignments",
        body,
        s.h("district_prosecutor"),
        read=lambda r: s.get(f"/api/v1/cases/{case.id}/timeline").json(),
        expect=201,
    )


def _hearing_body(s: Stage) -> dict[str, Any]:
    case = s.new_case()
    return {"case_id": case.id, "court_id": s.extra["court"], "starts_at": s.starts_at(), "purpose": "charge"}


def _hearing_create(s: Stage) -> Call:
    return Call("POST", "/api/v1/hearings", _hearing_body(s), s.h("district_prosecutor"), expect=201)


def _hearing_check(s: Stage) -> Call:
    return Call("POST", "/api/v1/hearings/check", _hearing_body(s), s.h("district_prosecutor"))


def _hearing_update(s: Stage) -> Call:
    r = s.client.post("/api/v1/hearings", json=_hearing_body(s), headers=s.h("district_prosecutor"))
    assert r.status_code == 201, r.text
    hid = r.json()["id"]
    return Call("PATCH", f"/api/v1/hearings/{hid}", {}, s.etag(f"/api/v1/hearings/{hid}"))


def _task_create(s: Stage) -> Call:
    case = s.new_case()
    body = {"assignee_id": s.world.users["prosecutor_assigned"].id, "case_id": case.id}
    return Call("POST", "/api/v1/tasks", body, s.h("district_prosecutor"), expect=201)


def _task_update(s: Stage) -> Call:
    case = s.new_case()
    body = {"title": "Task", "assignee_id": s.world.users["prosecutor_assigned"].id, "case_id": case.id}
    r = s.client.post("/api/v1/tasks", json=body, headers=s.h("district_prosecutor"))
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    return Call("PATCH", f"/api/v1/tasks/{tid}", {}, s.etag(f"/api/v1/tasks/{tid}"))


def _deadline_update(s: Stage) -> Call:
    case = s.new_case()
    deadlines = s.get(f"/api/v1/deadlines?case_id={case.id}&status=open").json()["items"]
    assert deadlines, "filing a case opens statutory deadlines"
    did = deadlines[0]["id"]
    return Call("PATCH", f"/api/v1/deadlines/{did}", {"status": "waived"}, s.etag(f"/api/v1/deadlines/{did}"))


def _user_create(s: Stage) -> Call:
    body = {"username": f"abuse{next(_serial)}", "roles": ["clerk"], "district_id": s.extra["district"]}
    return Call("POST", "/api/v1/users", body, s.h("admin"), expect=201)


def _user_update(s: Stage) -> Call:
    user = s.make_user("clerk", district="KHI-S")
    return Call("PATCH", f"/api/v1/users/{user.id}", {}, s.etag(f"/api/v1/users/{user.id}", "admin"))


def _password_reset(s: Stage) -> Call:
    user = s.make_user("clerk", district="KHI-S")
    s.extra["password_user"] = user.username
    return Call("POST", f"/api/v1/users/{user.id}/password", {}, s.h("admin"), expect=(200, 204))


def _password_change(s: Stage) -> Call:
    user = s.make_user("clerk", district="KHI-S")
    s.extra["password_user"] = user.username
    body = {"current_password": PASSWORD}
    return Call("POST", "/api/v1/users/me/password", body, s.login(user.username), expect=(200, 204))


def _code(prefix: str) -> str:
    return f"{prefix}{next(_serial)}"


REFERENCE_BASES: dict[str, Callable[[Stage], dict[str, Any]]] = {
    "districts": lambda s: {
        "code": "".join(chr(65 + int(d)) for d in str(next(_serial)).zfill(4)),
        "province": "Sindh",
    },
    "courts": lambda s: {"province": "Sindh", "district_id": s.extra["district"], "court_type": "sessions"},
    "police-stations": lambda s: {"district_id": s.extra["district"]},
    "offences": lambda s: {
        "statute": _code("AB"),
        "ata_scheduled": "no",
        "bailable": "no",
        "cognizable": "yes",
        "compoundable": "no",
    },
    "adjournment-reasons": lambda s: {"code": _code("ABUSE_"), "attributed_to": "court"},
    "holidays": lambda s: {"date": (date.today() + timedelta(days=400 + next(_serial))).isoformat()},
    "deadline-rules": lambda s: {"code": _code("ABUSE_RULE_"), "offset_days": 10},
}


def _reference_create(kind: str) -> Callable[[Stage], Call]:
    def make(s: Stage) -> Call:
        return Call("POST", f"/api/v1/reference/{kind}", REFERENCE_BASES[kind](s), s.h("admin"), expect=201)

    return make


def _reference_update(kind: str) -> Callable[[Stage], Call]:
    def make(s: Stage) -> Call:
        base = REFERENCE_BASES[kind](s)
        for f in text_fields(WRITE_ROUTES[("POST", f"/api/v1/reference/{kind}")]):
            if f.pattern is None and f.path[-1] not in base and f.name not in CODES:
                put(base, f.path, f"Base value {next(_serial)}")
        r = s.client.post(f"/api/v1/reference/{kind}", json=base, headers=s.h("admin"))
        assert r.status_code == 201, r.text
        item = r.json()["id"]
        return Call(
            "PATCH",
            f"/api/v1/reference/{kind}/{item}",
            {},
            s.etag(f"/api/v1/reference/{kind}/{item}", "admin"),
        )

    return make


SCENARIOS: dict[tuple[str, str], Callable[[Stage], Call]] = {
    ("POST", "/api/v1/cases"): _case_create,
    ("PATCH", "/api/v1/cases/{case_id}"): _case_update,
    ("POST", "/api/v1/cases/{case_id}/transitions"): _transition,
    ("POST", "/api/v1/cases/{case_id}/assignments"): _assignment,
    ("POST", "/api/v1/cases/{case_id}/people"): _person_create,
    ("PATCH", "/api/v1/cases/{case_id}/people/{party_id}"): _person_update,
    ("POST", "/api/v1/cases/{case_id}/police-reports"): _police_report,
    ("POST", "/api/v1/cases/{case_id}/scrutiny"): _scrutiny,
    ("POST", "/api/v1/cases/{case_id}/dispositions"): _disposition,
    ("POST", "/api/v1/cases/{case_id}/notes"): _note,
    ("POST", "/api/v1/reassignments"): _reassign,
    ("POST", "/api/v1/hearings"): _hearing_create,
    ("POST", "/api/v1/hearings/check"): _hearing_check,
    ("PATCH", "/api/v1/hearings/{hearing_id}"): _hearing_update,
    ("POST", "/api/v1/tasks"): _task_create,
    ("PATCH", "/api/v1/tasks/{task_id}"): _task_update,
    ("PATCH", "/api/v1/deadlines/{deadline_id}"): _deadline_update,
    ("POST", "/api/v1/users"): _user_create,
    ("PATCH", "/api/v1/users/{user_id}"): _user_update,
    ("POST", "/api/v1/users/{user_id}/password"): _password_reset,
    ("POST", "/api/v1/users/me/password"): _password_change,
    **{("POST", f"/api/v1/reference/{k}"): _reference_create(k) for k in REFERENCE_BASES},
    **{("PATCH", f"/api/v1/reference/{k}/{{item_id}}"): _reference_update(k) for k in REFERENCE_BASES},
}


#: varied letters for passwords, which must not be "too simple" (a long run of one letter is)
_PASSPHRASE = "Quartz-Zebra-7-Violet-" + "".join(chr(0x0627 + k % 25) for k in range(300))


def fill(call: Call, model: type[BaseModel], make: Callable[[int, TextField], str]) -> dict[TextField, str]:
    """Put ``make(i, field)`` into every free-text field of the call's body; returns what was put.
    A password gets the same value followed by a varied passphrase (cut to the field's limit)."""
    put_in: dict[TextField, str] = {}
    for i, f in enumerate(text_fields(model)):
        if f.pattern is not None or f.name in CODES or f.name == "PasswordChange.current_password":
            continue
        value = make(i, f)
        if f.name in SECRETS:
            value = f"{value[:40]} {_PASSPHRASE}"[: f.max_length]
        put(call.body, f.path, value)
        put_in[f] = value
    return put_in


def send(s: Stage, call: Call, **kw: Any) -> Any:
    return s.client.request(call.method, call.url, json=call.body, headers=call.headers, **kw)


def stored(s: Stage, call: Call, route: tuple[str, str], r: Any, put_in: dict[TextField, str]) -> None:
    """Every value sent comes back exactly (secrets: signing in with them works)."""
    expect = call.expect if isinstance(call.expect, tuple) else (call.expect,)
    assert r.status_code in expect, (call.method, call.url, r.status_code, r.text[:800])
    if route in NO_STORE:
        return
    shown = [f for f in put_in if f.name not in SECRETS]
    back = strings_in(call.read(r) if call.read else r.json()) if shown else set()
    for f, value in put_in.items():
        if f.name in SECRETS:
            user = s.extra["password_user"] if "password_user" in s.extra else call.body["username"]
            got = s.client.post("/api/v1/auth/token", data={"username": user, "password": value})
            assert got.status_code == 200, (f.name, value, got.text)
        else:
            assert value in back, (f.name, value, "not returned verbatim")


def test_every_write_route_with_text_has_a_scenario():
    assert set(WRITE_ROUTES) - APART == set(SCENARIOS)


def test_every_text_field_of_every_write_is_bounded():
    unbounded = [
        (route, f.name)
        for route, model in WRITE_ROUTES.items()
        for f in text_fields(model)
        if f.max_length is None and f.pattern is None
    ]
    assert not unbounded, unbounded


ROUTE_IDS = [f"{m} {p}" for m, p in SCENARIOS]
ROUNDS = 4


@pytest.mark.parametrize("route", list(SCENARIOS), ids=ROUTE_IDS)
def test_every_text_field_refuses_overlong_holds_its_limit_and_keeps_sql_and_html_verbatim(stage, route):
    """One route's text fields (one world for the three, to stay fast):
    1. longer than the limit (and 100,000 characters): 422 naming the field, nothing written;
    2. exactly at the limit, in Urdu letters (several bytes each): stored whole and returned (on
       PostgreSQL this proves the VARCHAR(n) columns are wide enough);
    3. SQL and HTML: stored and returned verbatim, as text (field i gets payload i+round, so every
       field meets several payloads and every payload many fields)."""
    model = WRITE_ROUTES[route]
    overlong_is_refused_at_the_field(stage, route, model)

    call = SCENARIOS[route](stage)
    put_in = fill(call, model, lambda i, f: (f"{i}ب" + "ب" * f.max_length)[: f.max_length])
    stored(stage, call, route, send(stage, call), put_in)

    for round_ in range(ROUNDS):
        call = SCENARIOS[route](stage)
        put_in = fill(
            call, model, lambda i, f, r=round_: f"{i}#{HOSTILE[(i + r) % len(HOSTILE)]}"[: f.max_length]
        )
        stored(stage, call, route, send(stage, call), put_in)
    for table in ("cases", "users", "persons"):  # the tables the SQL names are there, rows and all
        assert stage.db.scalar(text(f"SELECT count(*) FROM {table}")) > 0


def overlong_is_refused_at_the_field(stage: Stage, route: tuple[str, str], model: type[BaseModel]) -> None:
    call = SCENARIOS[route](stage)
    audit_before = stage.db.scalar(text("SELECT count(*) FROM audit_entries"))
    for f in text_fields(model):
        for length in ((f.max_length + 1,) if f.max_length else ()) + (100_000,):
            body = json.loads(json.dumps(call.body))
            put(body, f.path, "x" * length)
            r = stage.client.request(call.method, call.url, json=body, headers=call.headers)
            errors = problem(r, 422)["errors"]
            assert ["body", *f.path] in [e["loc"] for e in errors], (f.name, length, errors)
    assert stage.db.scalar(text("SELECT count(*) FROM audit_entries")) == audit_before


# --- huge bodies: refused as they arrive, never read whole -----------------------------------------


def drive(
    app: Any, method: str, path: str, headers: dict[str, str], chunks: Iterator[bytes], query: bytes = b""
) -> tuple[int, dict[str, Any], int]:
    """Run one request through the ASGI app with a body sent in chunks; returns the status, the
    JSON answer and how many chunks the app asked for (a body read whole asks for all of them)."""
    asked = 0
    sent: list[dict[str, Any]] = []
    pending = iter(chunks)

    async def receive() -> dict[str, Any]:
        nonlocal asked
        chunk = next(pending, None)
        if chunk is None:
            return {"type": "http.request", "body": b"", "more_body": False}
        asked += 1
        return {"type": "http.request", "body": chunk, "more_body": True}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], json.loads(body), asked


def json_chunks(total: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """A syntactically valid JSON object of ``total`` bytes, in chunks."""
    head, tail = b'{"title": "', b'"}'
    yield head
    left = total - len(head) - len(tail)
    while left > 0:
        n = min(chunk, left)
        yield b"a" * n
        left -= n
    yield tail


@pytest.mark.parametrize(
    ("method", "path", "extra"),
    [
        ("POST", "/api/v1/cases", {}),
        ("POST", "/api/v1/cases", {"Idempotency-Key": "abuse-huge-1"}),
        ("PATCH", "/api/v1/cases/{case}", {"If-Match": '"x"'}),
        ("POST", "/api/v1/cases/{case}/notes", {}),
        ("POST", "/api/v1/auth/token", {"Content-Type": "application/x-www-form-urlencoded"}),
    ],
)
def test_a_streamed_20_mib_body_is_abandoned_at_the_limit(app, db, world, method, path, extra):
    """No Content-Length (chunked): the bytes are counted as they arrive and the request fails with
    a 413 problem as soon as they pass the limit; nothing is stored."""
    headers = {**world.headers["clerk"], "Content-Type": "application/json", **extra}
    cases, notes = count(db, Case), count(db, CaseNote)
    chunk = 64 * 1024
    status, answer, asked = drive(
        app, method, path.format(case=world.cases["own"].id), headers, json_chunks(20 * MIB, chunk)
    )
    limit = get_settings().max_body_kb * 1024
    assert status == 413 and answer["type"].endswith("/payload-too-large"), answer
    assert answer["status"] == 413 and str(limit // MIB) in answer["detail"]
    assert asked <= limit // chunk + 2, asked  # 20 MiB would be 320 chunks
    assert (count(db, Case), count(db, CaseNote)) == (cases, notes)


def test_a_declared_oversize_body_is_refused_before_a_byte_is_read(app, world):
    headers = {
        **world.headers["clerk"],
        "Content-Type": "application/json",
        "Content-Length": str(20 * MIB),
    }
    status, answer, asked = drive(app, "POST", "/api/v1/cases", headers, json_chunks(20 * MIB))
    assert (status, asked) == (413, 0) and answer["type"].endswith("/payload-too-large")
    # anonymous callers too: nobody gets to make the server read 20 MiB
    status, _, asked = drive(app, "POST", "/api/v1/cases", {"Content-Length": str(20 * MIB)}, iter(()))
    assert (status, asked) == (413, 0)


def test_huge_json_through_the_client_is_a_413_problem(client, db, world):
    cases = count(db, Case)
    body = b'{"title": "' + b"a" * (20 * MIB) + b'"}'
    headers = {**world.headers["clerk"], "Content-Type": "application/json"}
    body_json = problem(client.post("/api/v1/cases", content=body, headers=headers), 413)
    assert body_json["title"] == "Payload too large" and body_json["request_id"]
    assert count(db, Case) == cases


def test_the_limit_is_exact_and_a_setting(client, world, monkeypatch):
    monkeypatch.setattr(get_settings(), "max_body_kb", 4)
    case = world.cases["own"].id
    headers = {**world.headers["clerk"], "Content-Type": "application/json"}

    def note(size: int) -> Any:
        body = b'{"body": "' + b"n" * (size - 12) + b'"}'
        assert len(body) == size
        return client.post(f"/api/v1/cases/{case}/notes", content=body, headers=headers)

    assert note(4096).status_code == 201
    assert problem(note(4097), 413)["detail"] == "The request body is larger than the limit of 4 KiB."


def test_uploads_keep_their_own_limit(client, world, monkeypatch):
    """multipart/form-data may reach max_upload_mb (the documents' own limit), not max_body_kb."""
    monkeypatch.setattr(get_settings(), "max_body_kb", 1)
    monkeypatch.setattr(get_settings(), "max_upload_mb", 1)
    case = world.cases["own"].id
    h = world.headers["clerk"]
    r = client.post(
        f"/api/v1/cases/{case}/documents",
        headers=h,
        files={"file": ("big.txt", b"statement\n" * 50_000, "text/plain")},
        data={"kind": "other", "title": "Half a MiB"},
    )
    assert r.status_code == 201, r.text
    r = client.post(
        f"/api/v1/cases/{case}/documents",
        headers=h,
        files={"file": ("big.txt", b"a" * (MIB + FORM_ALLOWANCE + 1), "text/plain")},
        data={"kind": "other", "title": "Too big"},
    )
    problem(r, 413)
    assert limits.FORM_ALLOWANCE == intake.FORM_ALLOWANCE and limits.MIB == intake.MIB


def test_an_oversize_upload_is_refused_before_a_byte_is_read(app, world, monkeypatch):
    monkeypatch.setattr(get_settings(), "max_upload_mb", 1)
    headers = {
        **world.headers["clerk"],
        "Content-Type": "multipart/form-data; boundary=x",
        "Content-Length": str(2 * MIB),
    }
    status, answer, asked = drive(
        app, "POST", f"/api/v1/cases/{world.cases['own'].id}/documents", headers, iter([b"x" * MIB] * 2)
    )
    assert (status, asked) == (413, 0) and answer["type"].endswith("/payload-too-large")


# --- deep nesting ----------------------------------------------------------------------------------


def nested(depth: int, kind: str) -> bytes:
    if kind == "arrays":
        return b"[" * depth + b"]" * depth
    if kind == "objects":
        return b'{"a":' * depth + b"1" + b"}" * depth
    return b'{"a":[' * depth + b"1" + b"]}" * depth


@pytest.mark.parametrize("kind", ["arrays", "objects", "mixed"])
def test_deep_nesting_is_a_4xx_problem_not_a_crash(client, db, world, caplog, kind):
    for depth in (100_000, 5_000):
        deep_nesting_is_refused(client, db, world, caplog, kind, depth)


def deep_nesting_is_refused(client: Any, db: Any, world: World, caplog: Any, kind: str, depth: int) -> None:
    case = world.cases["own"].id
    headers = {**world.headers["clerk"], "Content-Type": "application/json"}
    cases, notes = count(db, Case), count(db, CaseNote)
    caplog.set_level(logging.WARNING)
    for method, url, extra in (
        ("POST", "/api/v1/cases", {}),
        ("POST", "/api/v1/cases", {"Idempotency-Key": f"deep-{kind}-{depth}"}),
        ("POST", f"/api/v1/cases/{case}/notes", {}),
        ("PATCH", f"/api/v1/cases/{case}", {"If-Match": '"x"'}),
        ("POST", "/api/v1/tasks", {}),
    ):
        body = problem(
            client.request(method, url, content=nested(depth, kind), headers={**headers, **extra}), (400, 422)
        )
        assert body["status"] in (400, 422)
    assert (count(db, Case), count(db, CaseNote)) == (cases, notes)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], caplog.text[:2000]


def test_nesting_inside_a_field_is_422_at_the_field(client, world):
    """Shallow enough to parse (300 levels), deep where a string is expected."""
    case = world.cases["own"].id
    value = json.loads(nested(300, "mixed"))
    r = client.post(f"/api/v1/cases/{case}/notes", json={"body": value}, headers=world.headers["clerk"])
    assert ["body", "body"] in [e["loc"] for e in problem(r, 422)["errors"]]


# --- invalid UTF-8, NUL ----------------------------------------------------------------------------


BAD_JSON = [
    b'{"body": "\xff\xfe"}',  # bytes that are never UTF-8
    b'{"body": "\xc0\xaf"}',  # an overlong encoding of "/"
    b'{"body": "\xed\xa0\x80"}',  # a surrogate, encoded
    b'{"body": "caf\xe9"}',  # Latin-1
    b'{"body": "a\\ud800b"}',  # a lone surrogate, escaped
    b'{"body": "a\\u0000b"}',  # NUL (PostgreSQL cannot store it; refused the same on both)
    b'{"body": "a\x00b"}',  # a raw NUL inside a JSON string
]


def test_invalid_utf8_and_nul_in_json_are_refused_and_nothing_is_stored(client, db, world):
    for raw in BAD_JSON:
        bad_json_is_refused(client, db, world, raw)


def bad_json_is_refused(client: Any, db: Any, world: World, raw: bytes) -> None:
    notes = count(db, CaseNote)
    headers = {**world.headers["clerk"], "Content-Type": "application/json"}
    body = problem(
        client.post(f"/api/v1/cases/{world.cases['own'].id}/notes", content=raw, headers=headers), (400, 422)
    )
    if body["status"] == 422 and b"\\u" in raw:  # decoded, then refused at the field
        assert ["body", "body"] in [e["loc"] for e in body["errors"]], body
    assert count(db, CaseNote) == notes


def test_nul_is_refused_at_the_field_in_every_free_text_field(stage):
    """The same answer on SQLite (which would store it) and PostgreSQL (which cannot)."""
    for route, make in SCENARIOS.items():
        model = WRITE_ROUTES[route]
        call = make(stage)
        for f in text_fields(model):
            if f.pattern is not None or f.name in SECRETS or f.name in CODES:
                continue
            body = json.loads(json.dumps(call.body))
            put(body, f.path, "a\x00b")
            r = stage.client.request(call.method, call.url, json=body, headers=call.headers)
            assert ["body", *f.path] in [e["loc"] for e in problem(r, 422)["errors"]], (route, f.name)


@pytest.mark.parametrize(
    "query", [b"q=%FF%FE", b"q=%C0%AF", b"q=%ED%A0%80", b"q=caf%E9", b"q=ok&x=%80", b"q=a%00b"]
)
def test_invalid_utf8_in_a_query_string_is_400(client, world, query):
    r = client.get("/api/v1/cases?" + query.decode("latin-1"), headers=world.headers["clerk"])
    body = problem(r, 400)
    assert body["type"].endswith("/bad-request") and "query string" in body["detail"]


@pytest.mark.parametrize(
    "form", [b"username=%FF&password=x", b"username=admin&password=%C3%28", b"username=\xe9&password=x"]
)
def test_invalid_utf8_in_a_form_is_400_and_no_failed_sign_in_is_counted(client, db, form):
    entries = db.scalar(text("SELECT count(*) FROM audit_entries"))
    throttles = db.scalar(text("SELECT count(*) FROM login_throttle"))
    r = client.post(
        "/api/v1/auth/token", content=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert problem(r, 400)["detail"] == "The form body is not valid percent-encoded UTF-8 (or holds a NUL)."
    assert db.scalar(text("SELECT count(*) FROM audit_entries")) == entries
    assert db.scalar(text("SELECT count(*) FROM login_throttle")) == throttles


def test_invalid_utf8_in_upload_fields_is_422(client, world):
    b = b"abuseboundary"
    body = b"".join(
        [
            b"--" + b + b'\r\nContent-Disposition: form-data; name="kind"\r\n\r\nother\r\n',
            b"--" + b + b'\r\nContent-Disposition: form-data; name="title"\r\n\r\n\xff\xfe title\r\n',
            b"--" + b + b'\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n',
            b"Content-Type: text/plain\r\n\r\nplain text\r\n--" + b + b"--\r\n",
        ]
    )
    case = world.cases["own"].id
    headers = {**world.headers["clerk"], "Content-Type": "multipart/form-data; boundary=" + b.decode()}
    r = client.post(f"/api/v1/cases/{case}/documents", content=body, headers=headers)
    assert ["body", "title"] in [e["loc"] for e in problem(r, 422)["errors"]]
    assert client.get(f"/api/v1/cases/{case}/documents", headers=world.headers["clerk"]).json()["total"] == 0


# --- searches and sign-in with hostile text ----------------------------------------------------------


def text_query_parameters() -> list[tuple[str, str]]:
    """(path, parameter) of every text query parameter of a GET route without path parameters."""
    found = []
    for route in _all_routes():
        if "GET" not in route.methods or "{" in route.path:
            continue
        for param in route.dependant.query_params:
            if str in _flat(param.field_info.annotation):
                found.append((route.path, param.alias or param.name))
    return found


def test_the_published_schema_of_every_text_query_parameter_excludes_nul(app):
    """The server refuses a query string holding a NUL (400) for every parameter; the OpenAPI says
    so (a client generating valid requests from it, like schemathesis, never sends one), while
    every other text, hostile or not, stays valid under it."""
    schema = app.openapi()
    checked = 0
    for path, operations in schema["paths"].items():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                if parameter["in"] != "query":
                    continue
                for branch in parameter["schema"].get("anyOf", [parameter["schema"]]):
                    if branch.get("type") != "string" or {"enum", "format"} & branch.keys():
                        continue
                    pattern = re.compile(branch.get("pattern", ""))
                    assert not pattern.search("a\x00b"), (path, parameter["name"], branch)
                    if branch["pattern"] == NO_NUL:  # free text: anything else goes
                        checked += 1
                        for text_ in (*HOSTILE, "محمد", "\u202e", ""):
                            assert pattern.search(text_), (path, parameter["name"], text_)
    assert checked, "no free-text query parameter found"


def test_raw_bytes_in_a_query_string_are_400(app, world):
    status, answer, _ = drive(app, "GET", "/api/v1/cases", world.headers["clerk"], iter(()), query=b"q=\xff")
    assert status == 400 and "query string" in answer["detail"]


def test_every_text_query_parameter_takes_sql_html_and_odd_text(client, db, world, make_user, login):
    """Searches and filters with hostile text answer 200, or 422 at the parameter (a value it must
    not hold: a NUL, a code that is not one); the hostile title is found as text."""
    pg = login(make_user("prosecutor_general", "admin").username)
    case = world.cases["own"]
    hostile_title = "State v. '; DROP TABLE cases; -- <script>alert(1)</script>"
    h = world.headers["district_prosecutor"]
    etag = client.get(f"/api/v1/cases/{case.id}", headers=h).headers["etag"]
    r = client.patch(
        f"/api/v1/cases/{case.id}", json={"title": hostile_title}, headers={**h, "If-Match": etag}
    )
    assert r.status_code == 200, r.text
    params = text_query_parameters()
    assert ("/api/v1/cases", "q") in params and ("/api/v1/users", "q") in params
    odd = ["%", "_", "\\", "*", "'", '"', "\u202e", "محمد", "👮", "e\u0301"]
    for url, param in params:
        for q in (*HOSTILE, *odd):
            r = client.get(url, params={param: q}, headers=pg)
            assert r.status_code in (200, 422), (url, param, q, r.status_code, r.text[:300])
            if r.status_code == 422:
                assert ["query", param] in [e["loc"] for e in problem(r, 422)["errors"]], (url, param, q)
        nul = client.get(url, params={param: "a\x00b"}, headers=pg)  # refused for every parameter alike
        assert "NUL" in problem(nul, 400)["detail"], (url, param)
    assert count(db, Case) >= 3
    found = client.get("/api/v1/cases", params={"q": "DROP TABLE"}, headers=h)
    assert found.status_code == 200, found.text
    assert case.id in [c["id"] for c in found.json()["items"]], "the hostile title is found as text"


# --- uploads: names and types (tests/test_documents.py proves the size limit, the type allow-list
# --- for renamed executables, HTML and SVG, and the name sanitiser piece by piece) -------------------


def upload_raw(client: Any, case_id: int, headers: dict[str, str], filename: bytes, content: bytes) -> Any:
    """A hand-built multipart body: the filename exactly as given (NUL and control bytes too)."""
    b = b"abuseboundary"
    body = b"".join(
        [
            b"--" + b + b'\r\nContent-Disposition: form-data; name="kind"\r\n\r\nother\r\n',
            b"--"
            + b
            + b'\r\nContent-Disposition: form-data; name="title"\r\n\r\nUpload '
            + str(next(_serial)).encode()
            + b"\r\n",
            b"--" + b + b'\r\nContent-Disposition: form-data; name="file"; filename="' + filename + b'"\r\n',
            b"Content-Type: application/octet-stream\r\n\r\n" + content + b"\r\n--" + b + b"--\r\n",
        ]
    )
    return client.post(
        f"/api/v1/cases/{case_id}/documents",
        headers={**headers, "Content-Type": "multipart/form-data; boundary=" + b.decode()},
        content=body,
    )


NAMES = [
    b"../../etc/passwd",
    b"..\\..\\..\\windows\\win.ini",
    b"/etc/shadow",
    b"C:\\Windows\\System32\\cmd.exe",
    b"\\\\server\\share\\x.txt",
    b"a\x00b.txt",
    b"bell\x07tab\tesc\x1bdel\x7f.txt",
    "\u0628\u06cc\u0627\u0646 \u06af\u0648\u0627\u06c1.txt".encode(),  # Urdu
    "invoice\u202etxt.exe".encode(),  # RTL override: would show as invoiceexe.txt
    "\u2067evil\u2069\u200f.txt".encode(),  # isolates and marks
    "re\u0301sume\u0301.txt".encode(),  # combining marks (NFD), stored NFC
    "\U0001f46e\u200d\u2642\ufe0f police \U0001f694.txt".encode(),  # emoji with joiners
    ("\u0645" * 1000 + ".txt").encode(),  # very long, several bytes a letter
    b"x" * 1000,
    b'a"; filename="evil.html',
    b"semi;colon,comma%22quote%0d%0a.txt",
    b"CON.txt",
    b"...",
    b"",
]


def test_hostile_filenames_are_stored_sanitised_and_downloaded_safely(client, world):
    for raw in NAMES:
        hostile_filename_is_sanitised(client, world, raw)


def hostile_filename_is_sanitised(client: Any, world: World, raw: bytes) -> None:
    case, h = world.cases["own"].id, world.headers["clerk"]
    r = upload_raw(client, case, h, raw, b"a witness statement\n")
    assert r.status_code == 201, r.text
    name = r.json()["filename"]
    assert name.endswith(".txt") and 1 <= len(name) <= 150, name
    assert not set(name) & set('/\\<>:"|?*'), name
    assert not re.search(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069\u061c]", name), name
    assert name == unicodedata.normalize("NFC", name) and not name.startswith((".", " "))
    assert name.split(".")[0].upper() not in {"CON", "PRN", "AUX", "NUL"}
    got = client.get(r.json()["content_url"], headers=h)
    assert got.status_code == 200 and got.content == b"a witness statement\n"
    disposition = got.headers["content-disposition"]
    assert disposition.isascii() and "\r" not in disposition and "\n" not in disposition
    m = re.fullmatch(
        r'attachment; filename="([^"\\]*)"; filename\*=UTF-8\'\'([A-Za-z0-9%._~!$&\'()*+,;=:@-]*)',
        disposition,
    )
    assert m, disposition
    assert unquote(m.group(2)) == name
    assert got.headers["x-content-type-options"] == "nosniff"
    assert "sandbox" in got.headers["content-security-policy"]


def test_stored_files_are_named_by_their_checksum_only(client, world):
    case, h = world.cases["own"].id, world.headers["clerk"]
    for raw in NAMES[:6]:
        assert upload_raw(client, case, h, raw, f"content {raw!r}\n".encode()).status_code == 201
    root = get_settings().files_dir
    stored_files = [p for p in root.rglob("*") if p.is_file() and ".staging" not in p.parts]
    assert stored_files and all(re.fullmatch(r"[0-9a-f]{64}", p.name) for p in stored_files), stored_files
    assert not (root.parent / "etc").exists() and not (root / ".." / "etc" / "passwd").exists()


@pytest.mark.parametrize(
    ("filename", "content"),
    [
        ("notes.txt", b"\xef\xbb\xbf<html><body onload=alert(1)>"),  # HTML behind a byte-order mark
        ("drawing.svg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
        (
            "data.txt",
            b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><x>&e;</x>",
        ),
        ("statement.txt", b"MZ\x90\x00" + b"\x00" * 60 + b"This program cannot be run in DOS mode"),
        ("photo.jpg", b"#!/bin/sh\nrm -rf /\n\x00"),
    ],
)
def test_more_renamed_files_are_refused_415(client, world, filename, content):
    r = upload_raw(client, world.cases["own"].id, world.headers["clerk"], filename.encode(), content)
    assert problem(r, 415)["type"].endswith("/unsupported-media-type")


def test_a_real_pdf_named_html_is_served_as_a_pdf_attachment(client, world):
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(0, 10, "<script>alert(1)</script>")
    r = upload_raw(client, world.cases["own"].id, world.headers["clerk"], b"page.html", bytes(pdf.output()))
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == "page.html.pdf" and r.json()["media_type"] == "application/pdf"
    got = client.get(r.json()["content_url"], headers=world.headers["clerk"])
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;")


# --- the SPA renders user text as text -----------------------------------------------------------


def test_the_spa_never_renders_html_from_data():
    """No v-html, innerHTML and the like anywhere in the SPA's sources: Vue's text interpolation
    escapes everything, so stored HTML shows as text (tests/e2e/test_abuse_render.py sees it)."""
    src = Path(__file__).resolve().parent.parent / "frontend" / "src"
    files = [p for p in src.rglob("*") if p.suffix in (".vue", ".ts", ".js")]
    assert len(files) > 10
    risky = re.compile(
        r"v-html|innerHTML|outerHTML|insertAdjacentHTML|document\.write|createContextualFragment|srcdoc"
    )
    found = [(str(p.relative_to(src)), m.group()) for p in files for m in risky.finditer(p.read_text())]
    assert not found, found
