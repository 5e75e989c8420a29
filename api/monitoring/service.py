"""The supervisors' district dashboard: what is overdue, unattended or stalled, each figure a count
and the list behind it.

Every figure is one statement over the figure's own index (deadlines: district, status, due date;
hearings: district, start; cases: district, stage) built by ``_figure``; the dashboard counts it and
the list pages through it, so a count always equals its list's total for the same caller. Cases the
caller may not read are left out of both: when the caller reads everything in the district
(prosecutor general, auditor, the district's own district prosecutor) the count needs no case
filter and stays an index-only count; otherwise (monitors: no restricted cases) the case scope of
``api.cases.access`` joins in.

Who: ``reports.read`` (prosecutor general, auditor, district prosecutor, monitor). A district
prosecutor, and a monitor with a district, monitor their own district only (403 for another);
monitors get figures and case numbers, never case titles (which name people)."""

from __future__ import annotations

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import ColumnElement, Select, exists, func, literal_column, select
from sqlalchemy.orm import Session

from api.cases.access import readable_filter
from api.cases.models import Case, ScrutinyReview
from api.db import local_zone, utcnow
from api.deadlines.models import CaseDeadline
from api.errors import Forbidden, NotFound
from api.hearings.models import Hearing
from api.pagination import PageParams, paginate
from api.permissions import Principal, Role, sees_sensitive_fields
from api.reference.models import AdjournmentReason, Court, DeadlineRule, District
from api.users.models import User

Figure = Literal[
    "overdue-deadlines",
    "hearings-without-prosecutor",
    "cases-without-hearing",
    "prosecution-adjournments",
    "returns-to-police",
]
FIGURES: tuple[Figure, ...] = (
    "overdue-deadlines",
    "hearings-without-prosecutor",
    "cases-without-hearing",
    "prosecution-adjournments",
    "returns-to-police",
)
#: each figure's sort allow-list (its list's ``sort`` enum) and default sort
CASE_SORTS = {"fir_date": Case.fir_date, "number": Case.number, "stage_changed_at": Case.stage_changed_at}
FIGURE_SORTS: dict[Figure, tuple[dict[str, Any], str]] = {
    "overdue-deadlines": ({"due_date": CaseDeadline.due_date}, "due_date"),
    "hearings-without-prosecutor": ({"starts_at": Hearing.starts_at}, "starts_at"),
    "cases-without-hearing": (CASE_SORTS, "fir_date"),
    "prosecution-adjournments": ({"starts_at": Hearing.starts_at}, "-starts_at"),
    "returns-to-police": (CASE_SORTS, "stage_changed_at"),
}
TRIAL_STAGES = ("filed", "charge", "evidence", "defence", "arguments")
#: a trial-stage case with no hearing in this many days, and none ahead, is stalled
STALLED_DAYS = 60


@dataclass(frozen=True)
class Clock:
    """The moments a dashboard is computed for (service time zone)."""

    now: datetime
    today: date
    tomorrow_start: datetime
    tomorrow_end: datetime
    month_start: datetime
    month_end: datetime
    month: str
    stalled_since: datetime

    @classmethod
    def at(cls, now: datetime | None = None) -> Clock:
        now = now or utcnow()
        tz = local_zone()
        today = now.astimezone(tz).date()
        tomorrow = today + timedelta(days=1)
        first = today.replace(day=1)
        last = calendar.monthrange(today.year, today.month)[1]

        def midnight(day: date) -> datetime:
            return datetime.combine(day, time.min, tzinfo=tz).astimezone(UTC)

        return cls(
            now=now,
            today=today,
            tomorrow_start=midnight(tomorrow),
            tomorrow_end=midnight(tomorrow + timedelta(days=1)),
            month_start=midnight(first),
            month_end=midnight(first.replace(day=last) + timedelta(days=1)),
            month=f"{today:%Y-%m}",
            stalled_since=now - timedelta(days=STALLED_DAYS),
        )


# --- who may look --------------------------------------------------------------------------------


def district_for(session: Session, principal: Principal, district_id: int) -> District:
    """The district, if the caller may monitor it: 404 unknown, 403 someone else's district."""
    district = session.get(District, district_id)
    if district is None:
        raise NotFound("No such district.")
    if principal.has_role(Role.prosecutor_general, Role.auditor):
        return district
    if principal.has_role(Role.monitor) and principal.district_id is None:
        return district
    if principal.district_id == district_id and principal.has_role(Role.district_prosecutor, Role.monitor):
        return district
    raise Forbidden("You can monitor your own district only.")


def _case_scope(principal: Principal, district_id: int) -> ColumnElement[bool] | None:
    """The case filter of ``readable_filter`` reduced for one district the caller may monitor:
    None when the caller reads every case of it (prosecutor general, auditor, its district
    prosecutor), and for a monitor only "not restricted" (the monitor's rule of ``case_scope``
    once the district is fixed; without the repeated district term SQLite keeps to the
    district-and-stage index). Tests check both reductions against ``readable_filter``."""
    if principal.has_role(Role.prosecutor_general, Role.auditor):
        return None
    if principal.has_role(Role.district_prosecutor) and principal.district_id == district_id:
        return None
    if principal.roles == {Role.monitor} and principal.district_id in (None, district_id):
        return Case.restricted.is_(False)
    return readable_filter(principal)


# --- the figures ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureQuery:
    stmt: Select[Any]
    sorts: dict[str, Any]
    default_sort: str
    tiebreak: Any


def _scoped(stmt: Select[Any], scope: ColumnElement[bool] | None, case_id: Any) -> Select[Any]:
    if scope is None:
        return stmt
    return stmt.join(Case, Case.id == case_id).where(scope)


def _figure(
    figure: Figure,
    *,
    principal: Principal,
    district_id: int,
    clock: Clock,
    prosecutor_id: int | None = None,
) -> FigureQuery:
    scope = _case_scope(principal, district_id)
    if figure == "overdue-deadlines":
        stmt = select(CaseDeadline).where(
            CaseDeadline.district_id == district_id,
            CaseDeadline.status == "open",
            CaseDeadline.due_date < clock.today,
        )
        return FigureQuery(_scoped(stmt, scope, CaseDeadline.case_id), *FIGURE_SORTS[figure], CaseDeadline.id)
    if figure == "hearings-without-prosecutor":
        stmt = select(Hearing).where(
            Hearing.district_id == district_id,
            Hearing.starts_at >= clock.tomorrow_start,
            Hearing.starts_at < clock.tomorrow_end,
            Hearing.prosecutor_id.is_(None),
        )
        return FigureQuery(_scoped(stmt, scope, Hearing.case_id), *FIGURE_SORTS[figure], Hearing.id)
    if figure == "prosecution-adjournments":
        stmt = select(Hearing).where(*_adjourned(district_id, clock))
        if prosecutor_id is not None:
            stmt = stmt.where(Hearing.prosecutor_id == prosecutor_id)
        return FigureQuery(_scoped(stmt, scope, Hearing.case_id), *FIGURE_SORTS[figure], Hearing.id)
    if figure == "cases-without-hearing":
        recent = exists().where(Hearing.case_id == Case.id, Hearing.starts_at >= clock.stalled_since)
        stmt = select(Case).where(Case.district_id == district_id, Case.stage.in_(TRIAL_STAGES), ~recent)
        if scope is not None:
            stmt = stmt.where(scope)
        return FigureQuery(stmt, *FIGURE_SORTS[figure], Case.id)
    if figure == "returns-to-police":
        stmt = select(Case).where(Case.district_id == district_id, Case.stage == "returned")
        if scope is not None:
            stmt = stmt.where(scope)
        return FigureQuery(stmt, *FIGURE_SORTS[figure], Case.id)
    raise NotFound("No such figure.")  # pragma: no cover - the path parameter is a Literal


def _adjourned(district_id: int, clock: Clock) -> list[ColumnElement[bool]]:
    return [
        Hearing.district_id == district_id,
        Hearing.starts_at >= clock.month_start,
        Hearing.starts_at < clock.month_end,
        Hearing.outcome == "adjourned",
        Hearing.adjournment_attributed_to == "prosecution",
    ]


def _count(session: Session, stmt: Select[Any]) -> int:
    """The figure's rows counted (the list's statement reduced to ``SELECT 1``, so it stays an
    index-only count where the index covers the WHERE)."""
    ones = stmt.order_by(None).with_only_columns(literal_column("1"), maintain_column_froms=True)
    return int(session.scalar(select(func.count()).select_from(ones.subquery())) or 0)


def link(district_id: int, figure: Figure, **params: Any) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items() if v is not None)
    return f"/api/v1/monitoring/districts/{district_id}/{figure}" + (f"?{query}" if query else "")


def dashboard(
    session: Session, *, principal: Principal, district_id: int, now: datetime | None = None
) -> dict[str, Any]:
    district = district_for(session, principal, district_id)
    clock = Clock.at(now)
    counts = {
        f: _count(session, _figure(f, principal=principal, district_id=district.id, clock=clock).stmt)
        for f in FIGURES
        if f != "prosecution-adjournments"
    }
    scope = _case_scope(principal, district.id)
    grouped = _scoped(
        select(Hearing.prosecutor_id, func.count()).where(*_adjourned(district.id, clock)),
        scope,
        Hearing.case_id,
    ).group_by(Hearing.prosecutor_id)
    by_prosecutor = [(pid, int(n)) for pid, n in session.execute(grouped)]
    names = _names(session, (pid for pid, _ in by_prosecutor if pid is not None))
    # most adjournments first; "no prosecutor" last among equals
    by_prosecutor.sort(key=lambda row: (-row[1], row[0] is None, names.get(row[0] or 0, "")))
    return {
        "district_id": district.id,
        "district_code": district.code,
        "district_name": district.name,
        "as_of": clock.now,
        "today": clock.today,
        "overdue_deadlines": {
            "count": counts["overdue-deadlines"],
            "link": link(district.id, "overdue-deadlines"),
        },
        "hearings_without_prosecutor": {
            "count": counts["hearings-without-prosecutor"],
            "link": link(district.id, "hearings-without-prosecutor"),
            "date": clock.today + timedelta(days=1),
        },
        "cases_without_hearing": {
            "count": counts["cases-without-hearing"],
            "link": link(district.id, "cases-without-hearing"),
            "days": STALLED_DAYS,
        },
        "prosecution_adjournments": {
            "count": sum(n for _, n in by_prosecutor),
            "link": link(district.id, "prosecution-adjournments"),
            "month": clock.month,
            "by_prosecutor": [
                {
                    "prosecutor_id": pid,
                    "name": names.get(pid) if pid is not None else None,
                    "count": n,
                    "link": link(district.id, "prosecution-adjournments", prosecutor_id=pid)
                    if pid is not None
                    else None,
                }
                for pid, n in by_prosecutor
            ],
        },
        "returns_to_police": {
            "count": counts["returns-to-police"],
            "link": link(district.id, "returns-to-police"),
        },
    }


def _names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    wanted = set(ids)
    if not wanted:
        return {}
    return dict(session.execute(select(User.id, User.full_name).where(User.id.in_(wanted))).all())


# --- the lists -----------------------------------------------------------------------------------


def figure_rows(
    session: Session,
    *,
    principal: Principal,
    district_id: int,
    figure: Figure,
    params: PageParams,
    prosecutor_id: int | None = None,
    now: datetime | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """(this page's rows, total): case rows ``{case_id, number, title, stage, detail}``."""
    district = district_for(session, principal, district_id)
    clock = Clock.at(now)
    query = _figure(
        figure, principal=principal, district_id=district.id, clock=clock, prosecutor_id=prosecutor_id
    )
    items, total = paginate(
        session,
        query.stmt,
        params,
        allowed=query.sorts,
        default_sort=query.default_sort,
        tiebreak=query.tiebreak,
    )
    if figure in ("cases-without-hearing", "returns-to-police"):
        cases = {c.id: c for c in items}
        order = [c.id for c in items]
    else:
        cases = {
            c.id: c for c in session.scalars(select(Case).where(Case.id.in_({i.case_id for i in items})))
        }
        order = [i.case_id for i in items]
    details = _details(session, figure, items, clock)
    titles = sees_sensitive_fields(principal)
    rows = []
    for case_id, detail in zip(order, details, strict=True):
        case = cases[case_id]
        rows.append(
            {
                "case_id": case.id,
                "number": case.number,
                "title": case.title if titles else None,
                "stage": case.stage,
                "detail": detail,
            }
        )
    return rows, total


def _details(session: Session, figure: Figure, items: list[Any], clock: Clock) -> list[dict[str, Any]]:
    if figure == "overdue-deadlines":
        rules = dict(
            session.execute(
                select(DeadlineRule.id, DeadlineRule.code).where(
                    DeadlineRule.id.in_({d.rule_id for d in items})
                )
            ).all()
        )
        return [
            {
                "item_id": d.id,
                "date": d.due_date,
                "days": (clock.today - d.due_date).days,
                "label": rules.get(d.rule_id),
            }
            for d in items
        ]
    if figure in ("hearings-without-prosecutor", "prosecution-adjournments"):
        courts = dict(
            session.execute(
                select(Court.id, Court.name).where(Court.id.in_({h.court_id for h in items}))
            ).all()
        )
        names = _names(session, (h.prosecutor_id for h in items if h.prosecutor_id is not None))
        codes = {h.adjournment_reason for h in items if h.adjournment_reason}
        reasons = (
            {  # code → {"reason_label": …, "reason_label_ur": …}
                code: {"reason_label": label, "reason_label_ur": label_ur}
                for code, label, label_ur in session.execute(
                    select(AdjournmentReason.code, AdjournmentReason.label, AdjournmentReason.label_ur).where(
                        AdjournmentReason.code.in_(codes)
                    )
                )
            }
            if codes
            else {}
        )
        return [
            {
                "item_id": h.id,
                "at": h.starts_at,
                "date": h.starts_at.astimezone(local_zone()).date(),
                "label": h.adjournment_reason
                if figure == "prosecution-adjournments"
                else courts.get(h.court_id),
                "court": courts.get(h.court_id),
                **reasons.get(h.adjournment_reason, {}),
                "prosecutor_id": h.prosecutor_id,
                "prosecutor_name": names.get(h.prosecutor_id) if h.prosecutor_id is not None else None,
            }
            for h in items
        ]
    ids = [c.id for c in items]
    if figure == "cases-without-hearing":
        last = dict(
            session.execute(
                select(Hearing.case_id, func.max(Hearing.starts_at))
                .where(Hearing.case_id.in_(ids))
                .group_by(Hearing.case_id)
            ).all()
        )
        tz = local_zone()
        return [
            {
                "at": last.get(c.id),
                "date": last[c.id].astimezone(tz).date() if c.id in last else None,
                "days": (clock.now - last[c.id]).days if c.id in last else None,
            }
            for c in items
        ]
    # returns-to-police: the latest return of each case, how long ago, and how many returns
    returned = dict(
        session.execute(
            select(ScrutinyReview.case_id, func.max(ScrutinyReview.returned_on))
            .where(ScrutinyReview.case_id.in_(ids), ScrutinyReview.returned_on.is_not(None))
            .group_by(ScrutinyReview.case_id)
        ).all()
    )
    return [
        {
            "date": returned.get(c.id),
            "days": (clock.today - returned[c.id]).days if c.id in returned else None,
            "returns": c.returns_count,
        }
        for c in items
    ]
