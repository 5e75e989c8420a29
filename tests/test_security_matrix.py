"""The security matrix: every route of the app x every role (and the anonymous caller) x, where the
route concerns a case or something hanging off one, the case's kind (own district, other district,
restricted, unassigned) - or, for district-scoped routes, the district (own, other).

The expected statuses come from DOMAIN.md and API.md, written out here, not read from the app:
anonymous → 401 (except the public routes API.md names), a role without the permission → 403, a case
hidden from the caller → 404 (never 403), allowed → the route's success status, with a valid body so
that a write expected to succeed really does. Every refused request must be problem+json, must not
leak the hidden case's content, and must change nothing (no audit entry is written).

``test_every_route_has_a_row`` is the standing test: a new route without a row fails the suite.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select, update

from api.audit.models import AuditEntry
from api.cases.models import Case, CaseParty, Charge, ScrutinyReview
from api.deadlines.models import CaseDeadline
from api.documents import memo
from api.monitoring import service as monitoring_service
from api.notifications import service as notifications
from api.reference import models as ref
from api.tasks.models import Task
from tests.conftest import PASSWORD
from tests.test_cases_support import (  # noqa: F401  (world_fixture: the `world` fixture)
    FIR_DATE,
    ROLES,
    World,
    assign,
    court_id,
    file_case,
    offence_id,
    set_stage,
    station_id,
    world_fixture,
)
from tests.test_hearings import at_local, court_day

OK, NO, HID, ANON = "ok", 403, 404, 401
#: the case kinds: own = KHI-S, assigned to prosecutor_assigned (lead); other = KHI-E; restricted =
#: KHI-S, restricted, nobody assigned; unassigned = KHI-S, unrestricted, nobody assigned
KINDS = ("own", "other", "restricted", "unassigned")
#: district-scoped routes: own = KHI-S (the world's district), other = KHI-E
DISTRICTS = ("own", "other")
DISTRICT_CODE = {"own": "KHI-S", "other": "KHI-E"}
ANONYMOUS = "anonymous"
ALL_ROLES = tuple(ROLES)
CALLERS = (*ALL_ROLES, ANONYMOUS)
#: answered without a bearer token (API.md: health, readiness, metrics, sign-in, refresh, and the
#: calendar feed, whose URL is the secret)
PUBLIC = {
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/metrics"),
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/refresh"),
    ("GET", "/api/v1/calendar/feeds/{token}.ics"),
}
#: in every world case (the accused's name): must never appear in a refusal
SECRET = "Imran"

# --- expectations: who sees which case (DOMAIN.md "Who uses it" and restricted cases) -----------

#: cases.read - and hearings.read, deadlines.read: the case scope itself
READ = {
    "prosecutor_general": (OK, OK, OK, OK),
    "district_prosecutor": (OK, HID, OK, OK),
    "prosecutor_assigned": (OK, HID, HID, HID),
    "prosecutor_unassigned": (HID, HID, HID, HID),
    "clerk": (OK, HID, HID, OK),
    "clerk_other": (HID, OK, HID, HID),
    "admin": (NO, NO, NO, NO),
    "auditor": (OK, OK, OK, OK),
    "monitor": (OK, OK, HID, OK),
    "trainer": (NO, NO, NO, NO),
}
#: cases.update, documents.upload, hearings.write: the auditor and the monitor change nothing
WRITE = {**READ, "auditor": (NO,) * 4, "monitor": (NO,) * 4}
#: cases.transition (prosecution work) and tasks.write: clerks may not
PROSECUTION = {**WRITE, "clerk": (NO,) * 4, "clerk_other": (NO,) * 4}
#: cases.assign: the district prosecutor (of the case's district) and the prosecutor general
ASSIGN = {**PROSECUTION, "prosecutor_assigned": (NO,) * 4, "prosecutor_unassigned": (NO,) * 4}
#: documents.read, tasks.read: monitors see no documents and no tasks
DOCUMENTS = {**READ, "monitor": (NO,) * 4}
#: a task per case, given by the prosecutor general to a reader of the case (own: the assigned
#: prosecutor, other: the other district's clerk, restricted: the district prosecutor, unassigned:
#: the clerk). Editing its title needs tasks.write (the assignee alone may only tick it)
TASK_EDIT = {
    **PROSECUTION,
    "clerk": (NO, HID, HID, NO),
    "clerk_other": (HID, NO, HID, HID),
    "auditor": (NO,) * 4,
}
#: the assignee ticks their own task without tasks.write; anyone else needs it
TASK_TICK = {**TASK_EDIT, "clerk": (NO, HID, HID, OK), "clerk_other": (HID, OK, HID, HID)}
#: waiving a deadline: the district prosecutor of the case's district and the prosecutor general;
#: a reader of the case who may not is 403, one who cannot see it 404
WAIVE = {
    **READ,
    "prosecutor_assigned": (NO, HID, HID, HID),
    "clerk": (NO, HID, HID, NO),
    "clerk_other": (HID, NO, HID, HID),
    "auditor": (NO,) * 4,
    "monitor": (NO, NO, HID, NO),
}
#: one's own notification about a case: shown only while the case is readable (any signed-in user
#: has a bell, so a role without case access sees 404, not 403)
NOTIFICATION = {role: tuple(HID if o == NO else o for o in row) for role, row in READ.items()}

#: district-scoped: dashboards and workload (reports.read / workload.read): the province-wide roles
#: any district, the district prosecutor their own only
SUPERVISE = {
    role: {
        "prosecutor_general": (OK, OK),
        "district_prosecutor": (OK, NO),
        "auditor": (OK, OK),
        "monitor": (OK, OK),
    }.get(role, (NO, NO))
    for role in ALL_ROLES
}
REASSIGN = {role: (OK, OK) if role == "prosecutor_general" else (NO, NO) for role in ALL_ROLES}
REASSIGN["district_prosecutor"] = (OK, NO)
#: filing: district prosecutors and clerks, in their own district only
FILE = {role: (NO, NO) for role in ALL_ROLES}
FILE |= {"district_prosecutor": (OK, NO), "clerk": (OK, NO), "clerk_other": (NO, OK)}
#: importing: the same roles; a row of another district is a row error of the file (422), the way
#: every other bad row is reported, not a 403 of the whole request (a judgment call: see the report)
IMPORT = {role: (NO, NO) for role in ALL_ROLES}
IMPORT |= {"district_prosecutor": (OK, 422), "clerk": (OK, 422), "clerk_other": (422, OK)}


def roles(*allowed: str) -> dict[str, str | int]:
    """A route that is not about a case: the roles named are allowed, the others get 403."""
    unknown = set(allowed) - set(ALL_ROLES)
    assert not unknown, unknown
    return {role: OK if role in allowed else NO for role in ALL_ROLES}


EVERYONE = roles(*ALL_ROLES)
PUBLIC_OK = {**EVERYONE, ANONYMOUS: OK}


def holders(table: Mapping[str, tuple[Any, ...]]) -> dict[str, str | int]:
    """The roles holding a case table's permission (those not refused everywhere) are allowed."""
    return roles(*(role for role, row in table.items() if set(row) != {NO}))


CASE_READERS = holders(READ)
ADMIN = roles("admin")


# --- the request of a cell --------------------------------------------------------------------


@dataclass
class Req:
    path: dict[str, Any] = field(default_factory=dict)
    json: Any = None
    data: dict[str, Any] | None = None
    files: dict[str, Any] | None = None
    params: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Ctx:
    """One test's world and what the cells build on it (made once, on demand)."""

    client: Any
    db: Any
    world: World
    make_user: Callable[..., Any]
    login: Callable[..., dict[str, str]]
    cache: dict[Any, Any] = field(default_factory=dict)

    def user(self, role: str) -> Any:
        return self.world.users[role]

    def case(self, kind: str) -> Case:
        return self.world.cases[kind]

    def district_id(self, kind: str) -> int:
        return self.ids[DISTRICT_CODE[kind]]

    @property
    def ids(self) -> dict[str, int]:
        if "districts" not in self.cache:
            self.cache["districts"] = {d.code: d.id for d in self.db.scalars(select(ref.District))}
        return self.cache["districts"]

    def once(self, key: Any, make: Callable[[], Any]) -> Any:
        if key not in self.cache:
            self.cache[key] = make()
        return self.cache[key]

    def as_pg(self, method: str, url: str, **kw: Any) -> Any:
        r = self.client.request(method, url, headers=self.world.headers["prosecutor_general"], **kw)
        assert r.status_code in (200, 201), r.text
        return r.json()


_n = itertools.count(1)


def n() -> int:
    return next(_n)


def letters(i: int) -> str:
    out = ""
    for _ in range(4):
        i, d = divmod(i, 26)
        out += chr(65 + d)
    return out


def hearing_day(c: Ctx) -> date:
    return c.once("day", lambda: court_day(c.db, date.today() + timedelta(days=12)))


def hearing_body(c: Ctx, kind: str, hour: int = 11) -> dict[str, Any]:
    case = c.case(kind)
    return {
        "case_id": case.id,
        "court_id": court_id(c.db, "KHI-E" if kind == "other" else "KHI-S"),
        "starts_at": at_local(hearing_day(c), hour),
        "purpose": "bail",
        "prosecutor_id": None,
    }


def hearing(c: Ctx, kind: str) -> int:
    return c.once(
        ("hearing", kind), lambda: c.as_pg("POST", "/api/v1/hearings", json=hearing_body(c, kind, 9))["id"]
    )


#: who is given each case's task (a reader of the case, see TASK_EDIT)
TASK_ASSIGNEE = {
    "own": "prosecutor_assigned",
    "other": "clerk_other",
    "restricted": "district_prosecutor",
    "unassigned": "clerk",
}


def task(c: Ctx, kind: str) -> int:
    def make() -> int:
        body = {
            "title": "Summon the IO",
            "assignee_id": c.user(TASK_ASSIGNEE[kind]).id,
            "case_id": c.case(kind).id,
        }
        return c.as_pg("POST", "/api/v1/tasks", json=body)["id"]

    return c.once(("task", kind), make)


def deadline(c: Ctx, kind: str) -> int:
    """A clock of the case (filing starts the interim report clocks), open again for each cell."""
    row = c.once(
        ("deadline", kind),
        lambda: c.db.scalar(
            select(CaseDeadline.id)
            .where(CaseDeadline.case_id == c.case(kind).id)
            .order_by(CaseDeadline.id)
            .limit(1)
        ),
    )
    assert row is not None, f"the {kind} case has no deadline"
    c.db.execute(update(CaseDeadline).where(CaseDeadline.id == row).values(status="open", note=None))
    c.db.flush()
    return row


def document(c: Ctx, kind: str) -> dict[str, Any]:
    def make() -> dict[str, Any]:
        return c.as_pg(
            "POST",
            f"/api/v1/cases/{c.case(kind).id}/documents",
            files={"file": ("statement.txt", f"Statement of {SECRET} Khan".encode(), "text/plain")},
            data={"kind": "other", "title": "Statement"},
        )

    return c.once(("document", kind), make)


def new_review(c: Ctx, kind: str) -> int:
    row = ScrutinyReview(
        case_id=c.case(kind).id, decision="defective_returned", defects=["missing_site_plan"]
    )
    c.db.add(row)
    c.db.flush()
    return row.id


def review(c: Ctx, kind: str) -> int:
    return c.once(("review", kind), lambda: new_review(c, kind))


def open_task(c: Ctx, kind: str) -> int:
    """The case's task, open again for each cell (so that ticking it is a real change)."""
    task_id = task(c, kind)
    c.db.execute(update(Task).where(Task.id == task_id).values(status="open", completed_at=None))
    c.db.flush()
    return task_id


def first_accused(c: Ctx, kind: str) -> int:
    return c.db.scalar(
        select(CaseParty.id).where(CaseParty.case_id == c.case(kind).id, CaseParty.role == "accused").limit(1)
    )


def new_charge(c: Ctx, kind: str) -> int:
    charge = Charge(case_id=c.case(kind).id, offence_id=offence_id(c.db, "PPC", "324"))
    c.db.add(charge)
    c.db.flush()
    return charge.id


def new_offence(c: Ctx, kind: str) -> int:
    """A PPC section not yet charged on the case."""
    charged = select(Charge.offence_id).where(Charge.case_id == c.case(kind).id)
    stmt = select(ref.Offence.id).where(ref.Offence.statute == "PPC", ref.Offence.id.not_in(charged))
    return c.db.scalar(stmt.order_by(ref.Offence.id).offset(n() % 20).limit(1))


def notification(c: Ctx, role: str, kind: str | None, *, owner: str | None = None) -> int:
    user = c.user(owner) if owner else me(c, role)
    rows = notifications.notify(
        c.db,
        user_ids=[user.id],
        kind="note",
        message=f"Note {n()}",
        case_id=c.case(kind).id if kind else None,
        link=None,
    )
    c.db.flush()
    return rows[0].id


def feed_token(c: Ctx, role: str) -> str:
    who = "prosecutor_general" if role == ANONYMOUS else role
    r = c.client.get("/api/v1/calendar/feed-url", headers=c.world.headers[who])
    assert r.status_code == 200, r.text
    return r.json()["url"].rsplit("/", 1)[1].removesuffix(".ics")


def refresh_token(c: Ctx, role: str) -> str:
    who = me(c, role)
    r = c.client.post("/api/v1/auth/token", data={"username": who.username, "password": PASSWORD})
    assert r.status_code == 200, r.text
    return r.json()["refresh_token"]


def case_body(c: Ctx, kind: str) -> dict[str, Any]:
    district = DISTRICT_CODE[kind]
    return {
        "district_id": c.ids[district],
        "category": "ordinary",
        "restricted": False,
        "fir": {
            "number": f"M{n()}",
            "date": FIR_DATE.isoformat(),
            "police_station_id": station_id(c.db, district),
        },
        "offences": [{"offence_id": offence_id(c.db, "PPC", "302(b)")}],
        "accused": [{"name": "Asif Raza", "custody_status": "arrested"}],
        "complainant": {"name": "Sajid Ali"},
    }


def import_csv(c: Ctx, kind: str) -> dict[str, Any]:
    district = DISTRICT_CODE[kind]
    station = c.db.scalar(
        select(ref.PoliceStation.name).where(ref.PoliceStation.id == station_id(c.db, district))
    )
    csv = (
        "district_code,fir_number,fir_date,police_station,category,sections,accused_name\n"
        f"{district},I{n()},{FIR_DATE.isoformat()},{station},ordinary,PPC 302(b),Asif Raza\n"
    )
    return {"file": ("cases.csv", csv.encode(), "text/csv")}


def reassignment(c: Ctx, kind: str) -> dict[str, Any]:
    district = DISTRICT_CODE[kind]
    leaving = c.make_user("prosecutor", district=district)
    taking = c.make_user("prosecutor", district=district)
    assign(
        c.db, file_case(c.db, c.user("clerk" if kind == "own" else "clerk_other"), district=district), leaving
    )
    return {
        "from_prosecutor_id": leaving.id,
        "to_prosecutor_ids": [taking.id],
        "district_id": c.ids[district],
        "reason": "On leave",
    }


def me(c: Ctx, role: str) -> Any:
    """The caller's user (the anonymous caller borrows the clerk's, e.g. to sign in)."""
    return c.user("clerk" if role == ANONYMOUS else role)


def first_id(c: Ctx, model: Any) -> int:
    return c.db.scalar(select(model.id).order_by(model.id).limit(1))


ANY = {"If-Match": "*"}


# --- the table --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    method: str
    path: str
    expect: Mapping[str, Any]  # role → outcome, or a tuple of outcomes by kind
    call: Callable[[Ctx, str, str | None], Req] | None = None
    kinds: tuple[str, ...] = ()
    variant: str = ""

    @property
    def id(self) -> str:
        return f"{self.method} {self.path}" + (f" [{self.variant}]" if self.variant else "")

    def outcomes(self) -> dict[tuple[str, str | None], Any]:
        """Every cell: (caller, kind) → the expected outcome."""
        expect = dict(self.expect)
        if (self.method, self.path) not in PUBLIC:
            assert ANONYMOUS not in expect, f"{self.id}: anonymous is 401 on a guarded route"
            expect[ANONYMOUS] = (ANON,) * len(self.kinds) if self.kinds else ANON
        assert set(expect) == set(CALLERS), f"{self.id}: rows for {sorted(set(CALLERS) ^ set(expect))}"
        cells: dict[tuple[str, str | None], Any] = {}
        for caller, want in expect.items():
            if self.kinds:
                assert isinstance(want, tuple) and len(want) == len(self.kinds), f"{self.id} {caller}"
                cells.update({(caller, k): w for k, w in zip(self.kinds, want, strict=True)})
            else:
                assert not isinstance(want, tuple), f"{self.id} {caller}"
                cells[(caller, None)] = want
        return cells


def case_row(method: str, path: str, expect: Mapping[str, Any], call: Any = None, variant: str = "") -> Row:
    return Row(method, path, expect, call, KINDS, variant)


def district_row(method: str, path: str, expect: Mapping[str, Any], call: Any, variant: str = "") -> Row:
    return Row(method, path, expect, call, DISTRICTS, variant)


C = "/api/v1/cases/{case_id}"
REF = "/api/v1/reference"
REFERENCE = {
    # path: (model, a new item, a change)
    "districts": (
        ref.District,
        lambda c: {
            "code": f"T{letters(n())}",
            "name": "Test District",
            "province": "Sindh",
            "division": "Karachi",
        },
        {"notes": "Checked."},
    ),
    "courts": (
        ref.Court,
        lambda c: {
            "province": "Sindh",
            "district_id": c.ids["KHI-S"],
            "court_type": "sessions",
            "name": f"Test Sessions Court {n()}",
        },
        {"notes": "Checked."},
    ),
    "police-stations": (
        ref.PoliceStation,
        lambda c: {"district_id": c.ids["KHI-S"], "name": f"Test Police Station {n()}"},
        {"notes": "Checked."},
    ),
    "offences": (
        ref.Offence,
        lambda c: {
            "statute": "TESTACT",
            "section": str(n()),
            "title": "A test offence",
            "ata_scheduled": "no",
            "bailable": "yes",
            "cognizable": "yes",
            "compoundable": "no",
        },
        {"notes": "Checked."},
    ),
    "adjournment-reasons": (
        ref.AdjournmentReason,
        lambda c: {"code": f"TEST_{n()}", "label": "A test reason", "attributed_to": "court"},
        {"label": "A renamed reason"},
    ),
    "holidays": (
        ref.Holiday,
        lambda c: {"date": (date(2031, 1, 1) + timedelta(days=n())).isoformat(), "name": "Test Holiday"},
        {"notes": "Checked."},
    ),
    "deadline-rules": (
        ref.DeadlineRule,
        lambda c: {
            "code": f"TEST_RULE_{n()}",
            "trigger_event": "x",
            "applies_to": "x",
            "legal_reference": "x",
        },
        {"notes": "Checked."},
    ),
}


def _reference_rows() -> list[Row]:
    rows = []
    for name, (model, new, change) in REFERENCE.items():
        rows += [
            Row("GET", f"{REF}/{name}", EVERYONE),
            Row(
                "GET",
                f"{REF}/{name}/{{item_id}}",
                EVERYONE,
                lambda c, r, k, model=model: Req(path={"item_id": first_id(c, model)}),
            ),
            Row("POST", f"{REF}/{name}", ADMIN, lambda c, r, k, new=new: Req(json=new(c))),
            Row(
                "PATCH",
                f"{REF}/{name}/{{item_id}}",
                ADMIN,
                lambda c, r, k, model=model, change=change: Req(
                    path={"item_id": first_id(c, model)}, json=change, headers=ANY
                ),
            ),
        ]
    return rows


ROWS: list[Row] = [
    # --- the platform: public, sign-in, one's own profile
    Row("GET", "/health", PUBLIC_OK),
    Row("GET", "/ready", PUBLIC_OK),
    Row("GET", "/metrics", PUBLIC_OK),
    Row(
        "POST",
        "/api/v1/auth/token",
        PUBLIC_OK,
        lambda c, r, k: Req(data={"username": me(c, r).username, "password": PASSWORD}),
    ),
    Row(
        "POST",
        "/api/v1/auth/refresh",
        PUBLIC_OK,
        lambda c, r, k: Req(json={"refresh_token": refresh_token(c, r)}),
    ),
    Row("POST", "/api/v1/auth/logout", EVERYONE),
    Row("GET", "/api/v1/users/me", EVERYONE),
    Row(
        "POST",
        "/api/v1/users/me/password",
        EVERYONE,
        lambda c, r, k: Req(json={"current_password": PASSWORD, "new_password": "Another-Horse-Battery-42"}),
    ),
    # --- users (admin)
    Row("GET", "/api/v1/users", ADMIN),
    Row(
        "POST",
        "/api/v1/users",
        ADMIN,
        lambda c, r, k: Req(
            json={
                "username": f"matrix{n()}",
                "password": "Another-Horse-Battery-42",
                "full_name": "Matrix User",
                "roles": ["prosecutor"],
            }
        ),
    ),
    Row("GET", "/api/v1/users/{user_id}", ADMIN, lambda c, r, k: Req(path={"user_id": c.user("clerk").id})),
    Row(
        "PATCH",
        "/api/v1/users/{user_id}",
        ADMIN,
        lambda c, r, k: Req(
            path={"user_id": c.make_user("prosecutor").id}, json={"full_name": "Renamed"}, headers=ANY
        ),
    ),
    Row(
        "POST",
        "/api/v1/users/{user_id}/password",
        ADMIN,
        lambda c, r, k: Req(
            path={"user_id": c.make_user("prosecutor").id}, json={"password": "Another-Horse-Battery-42"}
        ),
    ),
    # --- reference data: everyone reads, the admin edits
    *_reference_rows(),
    # --- cases
    Row("GET", "/api/v1/cases", CASE_READERS),
    district_row("POST", "/api/v1/cases", FILE, lambda c, r, k: Req(json=case_body(c, k))),
    case_row("GET", C, READ),
    case_row("GET", f"{C}/timeline", READ),
    case_row("GET", f"{C}/people", READ),
    case_row("GET", f"{C}/offences", READ),
    case_row("GET", f"{C}/police-reports", READ),
    case_row("GET", f"{C}/scrutiny", READ),
    case_row("GET", f"{C}/dispositions", READ),
    case_row("GET", f"{C}/notes", READ),
    case_row("PATCH", C, WRITE, lambda c, r, k: Req(json={"ctd_number": f"CTD-{n()}"}, headers=ANY)),
    case_row(
        "POST",
        f"{C}/transitions",
        PROSECUTION,
        lambda c, r, k: Req(json={"to": "charge"}) if set_stage(c.db, c.case(k), "filed") is None else Req(),
    ),
    case_row(
        "POST",
        f"{C}/assignments",
        ASSIGN,
        lambda c, r, k: Req(json={"prosecutor_id": c.make_user("prosecutor").id, "role": "associate"}),
    ),
    case_row(
        "POST", f"{C}/people", WRITE, lambda c, r, k: Req(json={"role": "witness", "name": f"Witness {n()}"})
    ),
    case_row(
        "PATCH",
        f"{C}/people/{{party_id}}",
        WRITE,
        lambda c, r, k: Req(
            path={"party_id": first_accused(c, k)}, json={"notes": f"note {n()}"}, headers=ANY
        ),
    ),
    case_row(
        "POST",
        f"{C}/offences",
        WRITE,
        lambda c, r, k: Req(json={"offence_id": new_offence(c, k), "party_id": None}),
    ),
    case_row(
        "DELETE",
        f"{C}/offences/{{charge_id}}",
        WRITE,
        lambda c, r, k: Req(path={"charge_id": new_charge(c, k)}),
    ),
    case_row(
        "POST",
        f"{C}/police-reports",
        WRITE,
        lambda c, r, k: Req(json={"kind": "interim", "received_on": FIR_DATE.isoformat()}),
    ),
    case_row(
        "POST",
        f"{C}/scrutiny",
        PROSECUTION,
        lambda c, r, k: (
            Req(json={"decision": "fit"}) if set_stage(c.db, c.case(k), "scrutiny") is None else Req()
        ),
    ),
    case_row(
        "PATCH",
        f"{C}/scrutiny/{{review_id}}",
        PROSECUTION,
        lambda c, r, k: Req(
            path={"review_id": new_review(c, k)}, json={"resubmitted_on": FIR_DATE.isoformat()}, headers=ANY
        ),
    ),
    case_row(
        "POST",
        f"{C}/dispositions",
        PROSECUTION,
        lambda c, r, k: (
            Req(
                json={
                    "party_id": first_accused(c, k),
                    "charge_id": new_charge(c, k),
                    "outcome": "acquitted",
                    "decided_on": FIR_DATE.isoformat(),
                }
            )
            if set_stage(c.db, c.case(k), "arguments") is None
            else Req()
        ),
    ),
    case_row("POST", f"{C}/notes", WRITE, lambda c, r, k: Req(json={"body": "Seen."})),
    district_row("POST", "/api/v1/cases/import", IMPORT, lambda c, r, k: Req(files=import_csv(c, k))),
    Row(
        "GET",
        "/api/v1/persons/suggest",
        holders(WRITE),
        lambda c, r, k: Req(params={"name": "imr"}),
    ),
    # --- documents
    case_row(
        "POST",
        f"{C}/documents",
        WRITE,
        lambda c, r, k: Req(
            files={"file": ("note.txt", b"A note for the file.", "text/plain")},
            data={"kind": "other", "title": f"Note {n()}"},
        ),
    ),
    case_row("GET", f"{C}/documents", DOCUMENTS),
    case_row(
        "GET",
        "/api/v1/documents/{document_id}",
        DOCUMENTS,
        lambda c, r, k: Req(path={"document_id": document(c, k)["id"]}),
    ),
    case_row(
        "GET",
        "/api/v1/documents/{document_id}/content",
        DOCUMENTS,
        lambda c, r, k: Req(path={"document_id": document(c, k)["id"]}),
    ),
    case_row(
        "POST",
        f"{C}/scrutiny/{{review_id}}/memo",
        WRITE,
        lambda c, r, k: Req(path={"review_id": review(c, k)}),
    ),
    # --- counsel
    district_row(
        "GET", "/api/v1/workload", SUPERVISE, lambda c, r, k: Req(params={"district_id": c.district_id(k)})
    ),
    case_row("GET", f"{C}/assignment-suggestions", ASSIGN),
    district_row("POST", "/api/v1/reassignments", REASSIGN, lambda c, r, k: Req(json=reassignment(c, k))),
    # --- hearings
    case_row("POST", "/api/v1/hearings", WRITE, lambda c, r, k: Req(json=hearing_body(c, k))),
    case_row("POST", "/api/v1/hearings/check", WRITE, lambda c, r, k: Req(json=hearing_body(c, k))),
    Row("GET", "/api/v1/hearings", CASE_READERS),
    case_row(
        "GET", "/api/v1/hearings/{hearing_id}", READ, lambda c, r, k: Req(path={"hearing_id": hearing(c, k)})
    ),
    case_row(
        "PATCH",
        "/api/v1/hearings/{hearing_id}",
        WRITE,
        lambda c, r, k: Req(path={"hearing_id": hearing(c, k)}, json={"notes": f"by {r}"}, headers=ANY),
    ),
    Row(
        "GET",
        "/api/v1/courts/{court_id}/cause-list",
        CASE_READERS,
        lambda c, r, k: Req(
            path={"court_id": court_id(c.db, "KHI-S")}, params={"date": hearing_day(c).isoformat()}
        ),
    ),
    # --- calendar
    Row("GET", "/api/v1/calendar/feed-url", EVERYONE),
    Row("POST", "/api/v1/calendar/feed-url/rotate", EVERYONE),
    Row(
        "GET",
        "/api/v1/calendar/feeds/{token}.ics",
        PUBLIC_OK,
        lambda c, r, k: Req(path={"token": feed_token(c, r)}),
        variant="the owner's feed",
    ),
    Row(
        "GET",
        "/api/v1/calendar/feeds/{token}.ics",
        {caller: HID for caller in CALLERS},
        lambda c, r, k: Req(path={"token": "x" * 43}),
        variant="an unknown token",
    ),
    # --- tasks
    Row("GET", "/api/v1/tasks", holders(DOCUMENTS)),
    case_row(
        "POST",
        "/api/v1/tasks",
        PROSECUTION,
        lambda c, r, k: Req(
            json={"title": "Call the witness", "assignee_id": me(c, r).id, "case_id": c.case(k).id}
        ),
    ),
    case_row("GET", "/api/v1/tasks/{task_id}", DOCUMENTS, lambda c, r, k: Req(path={"task_id": task(c, k)})),
    case_row(
        "PATCH",
        "/api/v1/tasks/{task_id}",
        TASK_EDIT,
        lambda c, r, k: Req(path={"task_id": task(c, k)}, json={"title": f"Renamed {n()}"}, headers=ANY),
        variant="edit",
    ),
    case_row(
        "PATCH",
        "/api/v1/tasks/{task_id}",
        TASK_TICK,
        lambda c, r, k: Req(path={"task_id": open_task(c, k)}, json={"status": "done"}, headers=ANY),
        variant="tick",
    ),
    # --- deadlines
    Row("GET", "/api/v1/deadlines", CASE_READERS),
    case_row(
        "GET",
        "/api/v1/deadlines/{deadline_id}",
        READ,
        lambda c, r, k: Req(path={"deadline_id": deadline(c, k)}),
    ),
    case_row(
        "PATCH",
        "/api/v1/deadlines/{deadline_id}",
        WAIVE,
        lambda c, r, k: Req(
            path={"deadline_id": deadline(c, k)},
            json={"status": "waived", "note": "Court on vacation"},
            headers=ANY,
        ),
    ),
    # --- notifications: one's own bell
    Row("GET", "/api/v1/notifications", EVERYONE),
    Row("GET", "/api/v1/notifications/unread-count", EVERYONE),
    Row("POST", "/api/v1/notifications/read-all", EVERYONE),
    case_row(
        "POST",
        "/api/v1/notifications/{notification_id}/read",
        NOTIFICATION,
        lambda c, r, k: Req(path={"notification_id": notification(c, r, k)}),
        variant="one's own, about a case",
    ),
    Row(
        "POST",
        "/api/v1/notifications/{notification_id}/read",
        EVERYONE,
        lambda c, r, k: Req(path={"notification_id": notification(c, r, None)}),
        variant="one's own",
    ),
    Row(
        "POST",
        "/api/v1/notifications/{notification_id}/read",
        {role: HID for role in ALL_ROLES},
        lambda c, r, k: Req(
            path={"notification_id": notification(c, r, None, owner="admin" if r != "admin" else "clerk")}
        ),
        variant="someone else's",
    ),
    # --- dashboards, audit
    district_row(
        "GET",
        "/api/v1/monitoring/districts/{district_id}",
        SUPERVISE,
        lambda c, r, k: Req(path={"district_id": c.district_id(k)}),
    ),
    *(
        district_row(
            "GET",
            f"/api/v1/monitoring/districts/{{district_id}}/{figure}",
            SUPERVISE,
            lambda c, r, k: Req(path={"district_id": c.district_id(k)}),
        )
        for figure in monitoring_service.FIGURES
    ),
    Row("GET", "/api/v1/audit", roles("prosecutor_general", "auditor")),
]


# --- the tests --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def app_routes() -> dict[tuple[str, str], int]:
    """(method, path) → the route's success status, for every route of the app."""
    from api.main import create_app
    from tests.test_routes import all_api_routes

    found: dict[tuple[str, str], int] = {}
    for route in all_api_routes(create_app()):
        for method in route.methods:
            found[(method, route.path_format)] = route.status_code or 200
    return found


def test_every_route_has_a_row(app_routes):
    """The standing test: a route without a row (or a row without a route) fails here."""
    table = {(row.method, row.path) for row in ROWS}
    assert not set(app_routes) - table, f"routes without a row: {sorted(set(app_routes) - table)}"
    assert not table - set(app_routes), f"rows without a route: {sorted(table - set(app_routes))}"
    ids = [row.id for row in ROWS]
    assert len(ids) == len(set(ids)), "a row appears twice"


def test_every_row_names_every_caller_and_kind():
    for row in ROWS:
        cells = row.outcomes()
        assert len(cells) == len(CALLERS) * max(1, len(row.kinds))
        assert all(w in (OK, ANON, NO, HID, 422) for w in cells.values()), row.id


@pytest.fixture(name="mworld")
def matrix_world_fixture(db, world: World) -> World:
    """The cases world plus a fourth case: KHI-S, unrestricted, nobody assigned."""
    world.cases["unassigned"] = file_case(db, world.users["clerk"])
    return world


#: POSTs that change no case or user record: a clash check, one's own bell, the calendar feed's
#: secret, and the refresh rotation (sign-in and logout are audited; reuse ends the sign-in)
UNAUDITED = {
    "POST /api/v1/auth/refresh",
    "POST /api/v1/hearings/check",
    "POST /api/v1/notifications/read-all",
    "POST /api/v1/notifications/{notification_id}/read [one's own]",
    "POST /api/v1/notifications/{notification_id}/read [one's own, about a case]",
    "POST /api/v1/calendar/feed-url/rotate",
}
MEMO_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n%%EOF\n"


def _audit_count(db: Any) -> int:
    return db.scalar(select(func.count()).select_from(AuditEntry))


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_matrix(client, db, mworld: World, make_user, login, app_routes, row: Row, monkeypatch):
    # access is what is tested here: the memo's PDF (slow to typeset) is a stand-in of one page
    monkeypatch.setattr(memo, "render", lambda data: MEMO_PDF)
    ctx = Ctx(client=client, db=db, world=mworld, make_user=make_user, login=login)
    success = app_routes[(row.method, row.path)]
    failures = []
    for (caller, kind), want in row.outcomes().items():
        req = row.call(ctx, caller, kind) if row.call else Req()
        params = dict(req.path)
        if kind is not None and row.kinds == KINDS and "{case_id}" in row.path:
            params.setdefault("case_id", mworld.cases[kind].id)
        url = row.path.format(**params)
        headers = {**({} if caller == ANONYMOUS else mworld.headers[caller]), **req.headers}
        before = _audit_count(db)
        r = client.request(
            row.method, url, json=req.json, data=req.data, files=req.files, params=req.params, headers=headers
        )
        where = f"{caller} on {kind or '-'}"
        if want == OK:
            if r.status_code != success:
                failures.append(f"{where}: {r.status_code} (want {success}) {r.text[:200]}")
            elif row.method != "GET" and row.id not in UNAUDITED and _audit_count(db) == before:
                failures.append(f"{where}: {r.status_code} but the write left no audit entry")
            continue
        if r.status_code != want:
            failures.append(f"{where}: {r.status_code} (want {want}) {r.text[:200]}")
            continue
        if not r.headers.get("content-type", "").startswith("application/problem+json"):
            failures.append(f"{where}: {want} is not problem+json")
        if want == ANON and r.headers.get("www-authenticate") != "Bearer":
            failures.append(f"{where}: 401 without WWW-Authenticate: Bearer")
        if SECRET in r.text:
            failures.append(f"{where}: the refusal shows the case's content")
        if _audit_count(db) != before:
            failures.append(f"{where}: a refused request wrote an audit entry")
    assert not failures, f"{row.id}\n" + "\n".join(failures)


def test_a_hidden_case_looks_like_no_case(client, mworld: World):
    """No oracle: a case the caller may not see is refused exactly as a case that does not exist."""
    missing = 999_999_999
    hidden = mworld.cases["other"].id
    headers = mworld.headers["district_prosecutor"]  # holds every case permission; KHI-S only
    checked = 0
    for row in ROWS:
        if row.kinds != KINDS or "{case_id}" not in row.path or row.call is not None:
            continue
        answers = [
            client.request(row.method, row.path.format(case_id=case_id), headers=headers)
            for case_id in (hidden, missing)
        ]
        assert [a.status_code for a in answers] == [HID, HID], row.id
        shapes = [{k: a.json()[k] for k in ("type", "title", "status", "detail")} for a in answers]
        assert shapes[0] == shapes[1], row.id
        checked += 1
    assert checked >= 10
