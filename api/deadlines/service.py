"""Statutory deadlines: the computation engine, the case-event handlers that start and meet the
clocks, and the board (list, waive). Keyword-only functions taking ``session``; they never commit.

How a clock works
-----------------
A deadline rule (``reference.DeadlineRule``) names a ``trigger`` and a ``met_by`` from ``EVENTS``.
When a case event of kind ``trigger`` happens, a ``CaseDeadline`` row is created for every rule
whose jurisdiction (province, case category, court type) fits the case and that is in force on the
trigger date (``effective_from``/``effective_to``: the law in force when the clock starts governs).
Its due date is the trigger date plus ``offset_months`` and ``offset_days`` (calendar days, or
working days skipping the weekly off days and the holidays of the case's province); a rule with
``after_rule`` starts when that other rule's period ends (the interim report: 3 days after the 14).
When the awaited ``met_by`` event happens on or after the trigger date, the clock is ``met``.

Everything is derived from the case's own records (FIR date, police reports, scrutiny reviews,
stage moves on the timeline, dispositions), so ``recompute(session, case)`` rebuilds a case's clocks
at any time; the event handlers just call it. It is idempotent (one row per case, rule and
``source``, the occurrence that started it) and never touches a clock a person waived or one already
met. When the case is closed, the clocks still open are waived ("case closed").

Calendar-day periods are not moved off a holiday: the due date shown is never later than the law's
(Limitation Act s.4 may allow the next working day for some filings; the earlier date is the safe
alert). Rule edits: existing open clocks keep the due date they were given; a correction is applied
to them by ``recompute_rule`` (``cmms deadlines backfill --rule CODE``), an amendment is entered as
a new rule with ``effective_from`` (and ``effective_to`` on the old one).
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, delete, insert, or_, select
from sqlalchemy.orm import Session

from api import db, events
from api.audit import service as audit
from api.cases import service as cases_service
from api.cases.access import attached_scope, only_district, readable_filter
from api.cases.models import Case, CaseEvent, Disposition, PoliceReport, ScrutinyReview
from api.concurrency import check_if_match
from api.config import get_settings
from api.deadlines.models import CaseDeadline
from api.errors import Conflict, Forbidden, NotFound, ValidationFailed
from api.pagination import COUNT_CAP, DEFAULT_COUNT_CAP
from api.permissions import Principal, Role
from api.reference.models import Court, DeadlineRule, District, Holiday

ETAG_KIND = "deadline"

EVENTS: tuple[str, ...] = (
    "fir",
    "report_received",
    "scrutiny_decided",
    "filed",
    "charge_framed",
    "judgment",
    "acquittal",
    "conviction",
    "appeal_filed",
    "closed",
)
"""The vocabulary of ``DeadlineRule.trigger`` and ``DeadlineRule.met_by``: what happens to a case,
each read from the case's own records, with the date it counts from.

- ``fir``: the FIR is recorded (s.154 CrPC): the case's FIR date. One per case.
- ``report_received``: a police report (s.173 CrPC: interim, final, supplementary, cancellation)
  reaches the prosecution (its ``received_on``), or a report returned as defective is resubmitted
  (the review's ``resubmitted_on``): one clock per report or resubmission.
- ``scrutiny_decided``: a prosecutor records a scrutiny decision (fit, defective and returned,
  discharge recommended): the local date of the review; or the case leaves stage ``scrutiny``
  (returned, filed, closed), which decides it even when no review was recorded (for a case past
  scrutiny with no such move on record, the day it reached its current stage).
- ``filed``: the case is filed in court (a move to stage ``filed``): the court takes cognizance.
  ATC rules add ``court_type=anti_terrorism``. A revival from ``dormant`` does not count.
- ``charge_framed``: the charge is framed (a move to ``charge``; Dawn reads ATA s.19(7)'s trigger as
  "after indictment": an admin may switch ATA_19_7_DECISION to it).
- ``judgment``: the trial ends in judgment (a move to ``judgment``).
- ``acquittal``: an accused is acquitted (a disposition ``acquitted``, its ``decided_on``), or the
  judgment is an acquittal under s.265-K / s.249-A: one clock per order date.
- ``conviction``: an accused is convicted (a disposition ``convicted``): one clock per order date.
- ``appeal_filed``: an appeal is filed (a move to ``appeal``).
- ``closed``: the case is closed (a move to ``closed``).
"""

#: case event kinds (``api.events``) after which a case's clocks are recomputed
HANDLED_KINDS = ("created", "police_report", "scrutiny", "scrutiny_resubmitted", "transition", "disposition")
#: stage moves that are events of the vocabulary (the stage reached → the event)
STAGE_EVENTS = {
    "filed": "filed",
    "charge": "charge_framed",
    "judgment": "judgment",
    "appeal": "appeal_filed",
    "closed": "closed",
}
#: reasons of an early judgment that are an acquittal (api.cases.lifecycle.EARLY_JUDGMENT_REASONS)
ACQUITTAL_REASONS = ("s265k_acquittal", "s249a_acquittal")
#: who is reminded of a rule's deadlines (``DeadlineRule.alert_roles``, comma-separated)
ALERT_ROLES = ("lead", "team", "district_prosecutor")
#: Monday = 0 … Sunday = 6. Pakistan's weekly holiday is Sunday (holidays README: configurable;
#: a ``weekly_off_days`` setting overrides it when present)
DEFAULT_WEEKLY_OFF = (6,)
#: holiday scopes that close the courts everywhere (the province's own scope is added per case);
#: ``banks-only`` and ``federal-christians-only`` do not close them
NATIONAL_SCOPES = ("federal",)
#: who may waive or reopen a clock: the case's district prosecutor and the prosecutor general
WAIVERS = (Role.district_prosecutor, Role.prosecutor_general)


# --- the clock --------------------------------------------------------------------------------


def today() -> date:
    """Today in the service's zone (settings.timezone), from ``api.db.utcnow`` (tests pin it)."""
    return db.local_date()


local_date = db.local_date


def weekly_off_days() -> frozenset[int]:
    return frozenset(getattr(get_settings(), "weekly_off_days", None) or DEFAULT_WEEKLY_OFF)


@dataclass(frozen=True)
class WorkCalendar:
    """The days a court is closed: the weekly off days and the holidays of one province."""

    off_days: frozenset[int] = frozenset(DEFAULT_WEEKLY_OFF)
    holidays: frozenset[date] = frozenset()

    def is_working(self, day: date) -> bool:
        return day.weekday() not in self.off_days and day not in self.holidays

    @classmethod
    def load(cls, session: Session, province: str | None) -> WorkCalendar:
        scopes = [*NATIONAL_SCOPES, *([province] if province else [])]
        days = session.scalars(select(Holiday.date).where(Holiday.scope.in_(scopes)))
        return cls(off_days=weekly_off_days(), holidays=frozenset(days))


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter: 31 Aug + 6 = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def add_working_days(start: date, days: int, work: WorkCalendar) -> date:
    """``days`` working days after ``start`` (the start day itself not counted)."""
    if days and len(work.off_days) >= 7:
        raise ValueError("no working days in the week")
    current, counted = start, 0
    while counted < days:
        current += timedelta(days=1)
        if work.is_working(current):
            counted += 1
    return current


def period_end(rule: Any, start: date, work: WorkCalendar) -> date:
    """The last day of a rule's period starting (exclusive) on ``start``."""
    end = add_months(start, rule.offset_months) if rule.offset_months else start
    days = rule.offset_days or 0
    if rule.day_kind == "working":
        return add_working_days(end, days, work)
    return end + timedelta(days=days)


def computable(rule: Any) -> bool:
    """A rule is computed only with a trigger, an awaited event and a period."""
    return bool(rule.trigger and rule.met_by and (rule.offset_days is not None or rule.offset_months))


def _listed(value: str | None) -> set[str]:
    return {v.strip() for v in (value or "").split(",") if v.strip()}


@dataclass
class Facts:
    """What the engine needs to know about a case (gathered by ``facts_of``; built directly by tests
    and bulk tools)."""

    province: str | None
    category: str
    court_type: str | None
    #: vocabulary event → [(date, order, source)], in time order. ``order`` ranks what happened
    #: on the same day: a scrutiny decision meets a resubmission's clock only if it came after it
    occurrences: dict[str, list[tuple[date, float, str]]] = field(default_factory=dict)

    def add(self, event: str, on: date, source: str, order: float = 0.0) -> None:
        seen = self.occurrences.setdefault(event, [])
        if all(s != source for _, _, s in seen):
            seen.append((on, order, source))
            seen.sort()


def applies(rule: Any, facts: Facts, on: date) -> bool:
    """The rule's jurisdiction fits the case and the rule is in force on ``on``."""
    if rule.effective_from is not None and on < rule.effective_from:
        return False
    if rule.effective_to is not None and on > rule.effective_to:
        return False
    if rule.province and rule.province != facts.province:
        return False
    if rule.case_category and facts.category not in _listed(rule.case_category):
        return False
    return not (rule.court_type and facts.court_type not in _listed(rule.court_type))


@dataclass(frozen=True)
class Planned:
    triggered_on: date
    due_date: date
    status: str  # open | met | waived (the case is closed)
    met_on: date | None = None
    note: str | None = None


def plan(rules: Sequence[Any], facts: Facts, work: WorkCalendar) -> dict[tuple[int, str], Planned]:
    """The clocks a case should have: {(rule id, source): Planned}. Pure: no database."""
    by_code = {r.code: r for r in rules}
    closed = facts.occurrences.get("closed")
    closed_on = closed[0][0] if closed else None
    out: dict[tuple[int, str], Planned] = {}
    for rule in rules:
        if not computable(rule):
            continue
        for on, order, source in facts.occurrences.get(rule.trigger, ()):
            if not applies(rule, facts, on):
                continue
            start = on
            if rule.after_rule:
                base = by_code.get(rule.after_rule)
                if base is None or base.trigger != rule.trigger or not applies(base, facts, on):
                    continue
                start = period_end(base, on, work)
            due = period_end(rule, start, work)
            met_on = next(
                (d for d, o, _ in facts.occurrences.get(rule.met_by, ()) if (d, o) >= (on, order)), None
            )
            if met_on is not None:
                out[(rule.id, source)] = Planned(on, due, "met", met_on)
            elif closed_on is not None and closed_on >= on:
                out[(rule.id, source)] = Planned(
                    on, due, "waived", note=f"Case closed on {closed_on.isoformat()}"
                )
            else:
                out[(rule.id, source)] = Planned(on, due, "open")
    return out


# --- cases' facts and the sync ----------------------------------------------------------------


def active_rules(session: Session) -> list[DeadlineRule]:
    return list(session.scalars(select(DeadlineRule).order_by(DeadlineRule.id)))


#: cases per IN (...) list when many cases are handled at once
CHUNK = 500


def facts_for(session: Session, cases: Sequence[Case]) -> dict[int, Facts]:
    """Read the cases' records into ``Facts``: six queries for the whole batch, each on an index by
    case id, so a backfill does not pay per case."""
    ids = [c.id for c in cases]
    districts = {c.district_id for c in cases}
    provinces = {
        i: p
        for i, p in session.execute(select(District.id, District.province).where(District.id.in_(districts)))
    }
    court_ids = {c.court_id for c in cases if c.court_id is not None}
    court_types = (
        {i: t for i, t in session.execute(select(Court.id, Court.court_type).where(Court.id.in_(court_ids)))}
        if court_ids
        else {}
    )
    out: dict[int, Facts] = {}
    for c in cases:
        facts = Facts(
            province=provinces.get(c.district_id),
            category=c.category,
            court_type=court_types.get(c.court_id) if c.court_id is not None else None,
        )
        facts.add("fir", c.fir_date, "case")
        out[c.id] = facts
    for case_id, report_id, received in session.execute(
        select(PoliceReport.case_id, PoliceReport.id, PoliceReport.received_on).where(
            PoliceReport.case_id.in_(ids)
        )
    ):
        out[case_id].add("report_received", received, f"report:{report_id}")
    for case_id, review_id, reviewed_at, resubmitted in session.execute(
        select(
            ScrutinyReview.case_id,
            ScrutinyReview.id,
            ScrutinyReview.reviewed_at,
            ScrutinyReview.resubmitted_on,
        ).where(ScrutinyReview.case_id.in_(ids))
    ):
        out[case_id].add("scrutiny_decided", local_date(reviewed_at), f"review:{review_id}", order=review_id)
        if resubmitted is not None:  # after the review that returned it, before the next one
            out[case_id].add(
                "report_received", resubmitted, f"resubmitted:{review_id}", order=review_id + 0.5
            )
    moves = session.execute(
        select(CaseEvent.case_id, CaseEvent.at, CaseEvent.details)
        .where(CaseEvent.case_id.in_(ids), CaseEvent.kind == "transition")
        .order_by(CaseEvent.case_id, CaseEvent.at, CaseEvent.id)
    )
    for case_id, at, details in moves:
        details = details or {}
        on = local_date(at)
        if details.get("from") == "scrutiny":
            # leaving scrutiny decides it, even with no review recorded: after that day's new
            # reports, before any resubmission (ordered after its review)
            out[case_id].add("scrutiny_decided", on, f"moved:{on.isoformat()}", order=0.25)
        event = STAGE_EVENTS.get(details.get("to", ""))
        if event is None or details.get("from") == "dormant":
            continue
        out[case_id].add(event, on, event)  # the first time the case reached the stage
        if event == "judgment" and details.get("reason") in ACQUITTAL_REASONS:
            out[case_id].add("acquittal", on, f"acquittal:{on.isoformat()}")
    for c in cases:
        # a case past scrutiny whose move out of it is not on record (imported or bulk-loaded
        # data): decided, at the latest, when it reached the stage it is in
        stage = c.dormant_from if c.stage == "dormant" else c.stage
        known = out[c.id].occurrences.get("scrutiny_decided", ())
        if stage not in ("intake", "scrutiny", None) and not any(s.startswith("moved:") for *_, s in known):
            out[c.id].add("scrutiny_decided", local_date(c.stage_changed_at), "stage", order=0.25)
    for case_id, outcome, decided in session.execute(
        select(Disposition.case_id, Disposition.outcome, Disposition.decided_on).where(
            Disposition.case_id.in_(ids), Disposition.outcome.in_(("acquitted", "convicted"))
        )
    ):
        event = "acquittal" if outcome == "acquitted" else "conviction"
        out[case_id].add(event, decided, f"{event}:{decided.isoformat()}")
    return out


def facts_of(session: Session, case: Case) -> Facts:
    return facts_for(session, [case])[case.id]


def _sync(
    session: Session,
    cases: Sequence[Case],
    planned: Mapping[int, Mapping[tuple[int, str], Planned]],
    *,
    rule_ids: set[int] | None,
) -> None:
    """Make the cases' rows match their plans. Met and waived rows are history: never changed.
    Open rows follow the plan (due date, met, waived on closing) or go when no rule calls for them
    any more (``rule_ids``: only those rules' rows are considered). New rows go in one insert."""
    by_case: dict[int, dict[tuple[int, str], CaseDeadline]] = {c.id: {} for c in cases}
    for row in session.scalars(select(CaseDeadline).where(CaseDeadline.case_id.in_(list(by_case)))):
        if rule_ids is None or row.rule_id in rule_ids:
            by_case[row.case_id][(row.rule_id, row.source)] = row
    stale: list[int] = []
    fresh: list[dict[str, Any]] = []
    now = db.utcnow()
    for case in cases:
        existing, wanted = by_case[case.id], planned[case.id]
        stale += [row.id for key, row in existing.items() if row.status == "open" and key not in wanted]
        for key, p in wanted.items():
            if rule_ids is not None and key[0] not in rule_ids:
                continue
            row = existing.get(key)
            if row is None:
                fresh.append(
                    {
                        "case_id": case.id,
                        "district_id": case.district_id,
                        "rule_id": key[0],
                        "source": key[1],
                        "triggered_on": p.triggered_on,
                        "due_date": p.due_date,
                        "status": p.status,
                        "met_on": p.met_on,
                        "note": p.note,
                        "created_at": now,
                        "version": 1,
                    }
                )
            elif row.status == "open":
                if row.triggered_on != p.triggered_on:
                    row.triggered_on = p.triggered_on
                if row.due_date != p.due_date:
                    row.due_date = p.due_date
                if p.status != "open":
                    row.status, row.met_on, row.note = p.status, p.met_on, p.note
    session.flush()
    if stale:
        session.execute(
            delete(CaseDeadline)
            .where(CaseDeadline.id.in_(stale))
            .execution_options(synchronize_session="fetch")
        )
    if fresh:
        session.execute(insert(CaseDeadline), fresh)


def recompute_many(
    session: Session,
    cases: Sequence[Case],
    *,
    rules: Sequence[DeadlineRule] | None = None,
    calendars: dict[str | None, WorkCalendar] | None = None,
    rule_ids: set[int] | None = None,
) -> None:
    """Bring the clocks of some cases up to date with their records and the rules (in chunks of
    ``CHUNK`` cases, a few queries each). ``rules`` and ``calendars`` (per province) may be passed
    by a caller handling many batches."""
    rules = active_rules(session) if rules is None else rules
    calendars = {} if calendars is None else calendars
    for i in range(0, len(cases), CHUNK):
        chunk = cases[i : i + CHUNK]
        facts = facts_for(session, chunk)
        planned = {}
        for case in chunk:
            province = facts[case.id].province
            if province not in calendars:
                calendars[province] = WorkCalendar.load(session, province)
            planned[case.id] = plan(rules, facts[case.id], calendars[province])
        _sync(session, chunk, planned, rule_ids=rule_ids)


def recompute(session: Session, case: Case, *, rule_ids: set[int] | None = None) -> list[CaseDeadline]:
    """Bring one case's clocks up to date with its records and the rules; returns its deadlines.
    What the event handlers call."""
    recompute_many(session, [case], rule_ids=rule_ids)
    return list(
        session.scalars(
            select(CaseDeadline)
            .where(CaseDeadline.case_id == case.id)
            .order_by(CaseDeadline.due_date, CaseDeadline.id)
            .execution_options(populate_existing=True)
        )
    )


def _rule_family(rules: Sequence[DeadlineRule], code: str) -> set[int]:
    rule = next((r for r in rules if r.code == code), None)
    if rule is None:
        raise ValidationFailed.at(["rule"], f"No deadline rule {code!r}.")
    return {rule.id} | {r.id for r in rules if r.after_rule == rule.code}


def backfill(
    session: Session, *, rule_code: str | None = None, after_id: int = 0, limit: int = 2000
) -> tuple[int, int | None]:
    """One batch of a backfill: recompute the clocks of up to ``limit`` cases with ids above
    ``after_id`` (every rule, or with ``rule_code`` only that rule's clocks and those that start
    after it). Returns (cases done, the ``after_id`` of the next batch, or None when finished).
    The caller commits between batches::

        after = 0
        while after is not None:
            with unit_of_work() as s:
                _, after = deadlines.backfill(s, after_id=after)
    """
    rules = active_rules(session)
    rule_ids = _rule_family(rules, rule_code) if rule_code is not None else None
    cases = list(session.scalars(select(Case).where(Case.id > after_id).order_by(Case.id).limit(limit)))
    recompute_many(session, cases, rules=rules, rule_ids=rule_ids)
    return len(cases), (cases[-1].id if len(cases) == limit else None)


def recompute_rule(session: Session, *, rule_code: str) -> int:
    """Apply a corrected rule to the cases that have one of its clocks open; returns how many.
    (A rule newly given a trigger reaches older cases through ``backfill``.)"""
    rules = active_rules(session)
    rule_ids = _rule_family(rules, rule_code)
    case_ids = session.scalars(
        select(CaseDeadline.case_id)
        .where(CaseDeadline.rule_id.in_(rule_ids), CaseDeadline.status == "open")
        .distinct()
    ).all()
    for i in range(0, len(case_ids), CHUNK):
        cases = list(session.scalars(select(Case).where(Case.id.in_(case_ids[i : i + CHUNK]))))
        recompute_many(session, cases, rules=rules, rule_ids=rule_ids)
    return len(case_ids)


# --- event handlers -------------------------------------------------------------------------


@events.on(*HANDLED_KINDS)
def _case_event(session: Session, event: CaseEvent, case: Case) -> None:
    recompute(session, case)


@events.on("updated")
def _case_edited(session: Session, event: CaseEvent, case: Case) -> None:
    changes = (event.details or {}).get("changes") or {}
    if "category" in changes or "court_id" in changes:  # the jurisdiction may have changed
        recompute(session, case)


# --- the board ------------------------------------------------------------------------------


def _scope(principal: Principal) -> tuple[list[ColumnElement[bool]], bool]:
    """(the readable-case rule on the clock's own columns plus a redundant condition that lets the
    database start from the right index: the district's range for district-scoped users; whether
    the rule needs the case row joined — see ``attached_scope``)."""
    rule, needs_case = attached_scope(
        principal, case_id=CaseDeadline.case_id, district_id=CaseDeadline.district_id
    )
    clauses: list[ColumnElement[bool]] = [rule]
    district = only_district(principal)
    if district is not None:
        clauses.append(CaseDeadline.district_id == district)
    return clauses, needs_case


def list_deadlines(
    session: Session,
    principal: Principal,
    *,
    case_id: int | None = None,
    district_id: int | None = None,
    status: str | None = None,
    overdue: bool | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
    rule: str | None = None,
) -> Select[Any]:
    """The statement of the board: only clocks of cases the caller may read. ``overdue``: open and
    due before today (the service's zone). The total is counted up to DEFAULT_COUNT_CAP."""
    scope, needs_case = _scope(principal)
    # a page is read as Core rows, with what each is shown with (outer joins where the scope needs
    # no case: the count, which reads none of their columns, leaves them out)
    stmt = select(*CaseDeadline.__table__.columns, *SHOWN_WITH)
    on_case = Case.id == CaseDeadline.case_id
    stmt = stmt.join(Case, on_case) if needs_case else stmt.outerjoin(Case, on_case)
    stmt = stmt.outerjoin(DeadlineRule, DeadlineRule.id == CaseDeadline.rule_id)
    stmt = stmt.where(*scope).execution_options(**{COUNT_CAP: DEFAULT_COUNT_CAP})
    if case_id is not None:
        stmt = stmt.where(CaseDeadline.case_id == case_id)
    if district_id is not None:
        stmt = stmt.where(CaseDeadline.district_id == district_id)
    if status is not None:
        stmt = stmt.where(CaseDeadline.status == status)
    now = today()
    if overdue is True:
        stmt = stmt.where(CaseDeadline.status == "open", CaseDeadline.due_date < now)
    elif overdue is False:
        stmt = stmt.where(or_(CaseDeadline.status != "open", CaseDeadline.due_date >= now))
    if due_from is not None:
        stmt = stmt.where(CaseDeadline.due_date >= due_from)
    if due_to is not None:
        stmt = stmt.where(CaseDeadline.due_date <= due_to)
    if rule is not None:
        stmt = stmt.where(CaseDeadline.rule_id.in_(select(DeadlineRule.id).where(DeadlineRule.code == rule)))
    return stmt


LIST_SORTS = {"due_date": CaseDeadline.due_date, "triggered_on": CaseDeadline.triggered_on}


def get_deadline(session: Session, *, principal: Principal, deadline_id: int) -> CaseDeadline:
    """A clock of a case the caller may read (404 otherwise)."""
    row = session.scalar(
        select(CaseDeadline)
        .join(Case, Case.id == CaseDeadline.case_id)
        .where(CaseDeadline.id == deadline_id, readable_filter(principal))
    )
    if row is None:
        raise NotFound("No such deadline.")
    return row


#: what a deadline is shown with: its case's number, its rule's code and texts (a page's rows
#: carry them: ``list_deadlines``; a single deadline reads them with ``shown``)
SHOWN_WITH = (
    Case.number.label("case_number"),
    DeadlineRule.code.label("rule_code"),
    DeadlineRule.legal_reference,
    DeadlineRule.trigger_event,
    DeadlineRule.confidence,
)


def shown(session: Session, row: CaseDeadline) -> dict[str, Any]:
    """A deadline's columns with what it is shown with (one statement, by primary keys)."""
    context = session.execute(
        select(*SHOWN_WITH)
        .select_from(CaseDeadline)
        .join(Case, Case.id == CaseDeadline.case_id)
        .join(DeadlineRule, DeadlineRule.id == CaseDeadline.rule_id)
        .where(CaseDeadline.id == row.id)
    ).one()
    return db.columns_of(row) | context._asdict()


def update_deadline(
    session: Session,
    *,
    principal: Principal,
    deadline_id: int,
    status: str,
    note: str | None,
    if_match: str | None,
    origin: audit.Origin,
) -> CaseDeadline:
    """Waive an open clock (with the reason) or reopen a waived one. Only the district prosecutor
    of the case's district and the prosecutor general; a met clock is history (409)."""
    row = get_deadline(session, principal=principal, deadline_id=deadline_id)
    case = session.get(Case, row.case_id)
    assert case is not None
    if not (
        principal.has_role(Role.prosecutor_general)
        or (principal.has_role(Role.district_prosecutor) and principal.district_id == case.district_id)
    ):
        raise Forbidden(
            "Only the district prosecutor of the case's district or the prosecutor general waives a deadline."
        )
    check_if_match(if_match, ETAG_KIND, row.id, row.version)
    if row.status == "met":
        raise Conflict(
            "This deadline was met; it cannot be waived or reopened.", extra={"status": row.status}
        )
    if row.status == status:
        return row
    rule_code = session.scalar(select(DeadlineRule.code).where(DeadlineRule.id == row.rule_id))
    before = row.status
    if status == "waived":
        if not note:
            raise ValidationFailed.at(["body", "note"], "give the reason for waiving the deadline")
        row.status, row.note = "waived", note
        summary = f"Deadline {rule_code} (due {row.due_date.isoformat()}) waived: {note}"
    else:
        # what the rules say about this clock now: it may have been met meanwhile
        facts = facts_of(session, case)
        now = plan(active_rules(session), facts, WorkCalendar.load(session, facts.province))
        planned = now.get((row.rule_id, row.source))
        if planned is None:
            raise Conflict("No deadline rule calls for this clock any more; it stays waived.")
        if planned.status == "waived":
            raise Conflict("The case is closed; its deadlines stay waived.")
        row.status, row.met_on, row.note = planned.status, planned.met_on, note
        row.triggered_on, row.due_date = planned.triggered_on, planned.due_date
        summary = (
            f"Deadline {rule_code} (due {row.due_date.isoformat()}) reopened"
            + (f": {note}" if note else "")
            + (f"; it was met on {row.met_on.isoformat()}" if row.met_on else "")
        )
    session.flush()
    details = {"deadline_id": row.id, "rule": rule_code, "from": before, "to": row.status, "note": note}
    cases_service.record_event(
        session, case=case, actor_id=principal.user_id, kind="deadline", summary=summary, details=details
    )
    audit.record(
        session,
        origin=origin,
        action="update",
        entity_type="case_deadline",
        entity_id=row.id,
        details={
            "case_id": case.id,
            "rule": rule_code,
            "status": {"from": before, "to": row.status},
            "note": note,
        },
    )
    return row
