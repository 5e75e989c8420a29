"""Demo hearings for the demo cases in trial stages: past dates with outcomes (adjournments
attributed to various sides, a held hearing with witnesses examined), dates ahead, one clash for a
demo prosecutor tomorrow and one hearing tomorrow with nobody attending. Made through the service,
so timelines, audit entries and the cases' next hearing are as real. Idempotent: it does nothing
once any hearing exists."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from api.audit.service import Origin
from api.cases.models import Case, CaseParty
from api.db import local_zone
from api.hearings import service
from api.hearings.models import Hearing
from api.hearings.schemas import HearingCreate, HearingUpdate
from api.permissions import Principal, Role
from api.reference.models import Court
from api.users.models import User

TRIAL_STAGES = ("filed", "charge", "evidence", "defence", "arguments", "judgment")
PURPOSE_BY_STAGE = {
    "filed": "copies",
    "charge": "charge",
    "evidence": "prosecution_evidence",
    "defence": "defence_evidence",
    "arguments": "arguments",
    "judgment": "judgment",
}
#: adjournment reasons in turn, so the demo's "who caused the delay" has every side
REASONS = (
    "WITNESS_ABSENT",
    "PROSECUTOR_ABSENT",
    "DEFENCE_COUNSEL_ABSENT",
    "ACCUSED_NOT_PRODUCED",
    "IO_ABSENT",
    "FORENSIC_REPORT_AWAITED",
    "COURT_ON_LEAVE",
    "PROSECUTION_SOUGHT_TIME",
    "LAWYERS_STRIKE",
)
CLASH_PROSECUTOR = "pp.south1"
MAX_CASES = 16


def _principal(user: User) -> Principal:
    return Principal(
        user_id=user.id,
        username=user.username,
        full_name=user.full_name,
        roles=frozenset(Role(r) for r in user.roles),
        district_id=user.district_id,
        session_id="demo",
    )


def _court_day(session: Session, day: date, province: str | None, *, step: int = 1) -> date:
    while day.weekday() == 6 or service.court_holiday(session, day, province):
        day += timedelta(days=step)
    return day


def _at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), local_zone())


def _court_for(session: Session, case: Case) -> Court | None:
    """The case's court when it sits; else an active court of the case's district."""
    court = session.get(Court, case.court_id) if case.court_id else None
    if court is not None and court.sitting:
        return court
    return session.scalar(
        select(Court).where(Court.district_id == case.district_id, Court.sitting).order_by(Court.id)
    )


def seed(session: Session) -> None:
    if session.scalar(select(exists().where(Hearing.id.is_not(None)))):
        return
    actor = session.scalar(select(User).where(User.username == "pg.sindh", User.is_active.is_(True)))
    if actor is None:
        return
    principal = _principal(actor)
    origin = Origin(actor_id=actor.id)
    cases = list(
        session.scalars(
            select(Case)
            .where(Case.stage.in_(TRIAL_STAGES))
            .order_by(Case.district_id, Case.id)
            .limit(MAX_CASES)
        )
    )
    if not cases:
        return
    today = datetime.now(local_zone()).date()
    reasons = itertools.cycle(REASONS)
    for i, case in enumerate(cases):
        court = _court_for(session, case)
        if court is None:
            continue
        purpose = PURPOSE_BY_STAGE.get(case.stage, "miscellaneous")
        first_day = _court_day(session, today - timedelta(days=45 + i), court.province, step=-1)
        first, _ = service.create_hearing(
            session,
            principal=principal,
            data=HearingCreate(
                case_id=case.id,
                court_id=court.id,
                starts_at=_at(first_day, 10 + i % 3),
                purpose=purpose,
                judge=f"Presiding officer, {court.name}"[:200],
            ),
            origin=origin,
        )
        second_day = _court_day(session, today - timedelta(days=20 + i % 5), court.province)
        written = service.update_hearing(
            session,
            principal=principal,
            hearing_id=first.id,
            data=HearingUpdate(
                outcome="adjourned",
                adjournment={"reason": next(reasons)},
                next_date=second_day,
                next_time=f"{10 + i % 3:02d}:30",
            ),
            if_match=f'"hearing-{first.id}-v{first.version}"',
            origin=origin,
        )
        second = written.next_hearing
        if second is None:
            continue
        ahead = _court_day(session, today + timedelta(days=3 + i % 12), court.province)
        witnesses = list(
            session.scalars(
                select(CaseParty.id).where(CaseParty.case_id == case.id, CaseParty.role == "witness").limit(2)
            )
        )
        if i % 3 == 0 and witnesses:
            outcome = HearingUpdate(outcome="held", witnesses_examined=witnesses, next_date=ahead)
        elif i % 3 == 1:
            outcome = HearingUpdate(outcome="not_taken_up", next_date=ahead)
        else:
            outcome = HearingUpdate(
                outcome="adjourned", adjournment={"reason": next(reasons)}, next_date=ahead
            )
        service.update_hearing(
            session,
            principal=principal,
            hearing_id=second.id,
            data=outcome,
            if_match=f'"hearing-{second.id}-v{second.version}"',
            origin=origin,
        )
    _tomorrow(session, principal, origin, today)


def _tomorrow(session: Session, principal: Principal, origin: Origin, today: date) -> None:
    """A clash for a demo prosecutor tomorrow (two of their district's cases, half an hour apart)
    and a hearing tomorrow with no prosecutor attending."""
    pp = session.scalar(select(User).where(User.username == CLASH_PROSECUTOR, User.is_active.is_(True)))
    if pp is None or pp.district_id is None:
        return
    cases = list(
        session.scalars(
            select(Case)
            .where(Case.district_id == pp.district_id, Case.stage.in_(TRIAL_STAGES))
            .order_by(Case.id)
            .limit(3)
        )
    )
    courts = [_court_for(session, case) for case in cases]
    if len(cases) < 2 or None in courts:
        return
    day = _court_day(session, today + timedelta(days=1), courts[0].province)
    for case, court, (hh, mm) in zip(cases[:2], courts[:2], ((10, 0), (10, 30)), strict=True):
        service.create_hearing(
            session,
            principal=principal,
            data=HearingCreate(
                case_id=case.id,
                court_id=court.id,
                starts_at=_at(day, hh, mm),
                purpose=PURPOSE_BY_STAGE.get(case.stage, "miscellaneous"),
                prosecutor_id=pp.id,
            ),
            origin=origin,
        )
    if len(cases) > 2:
        service.create_hearing(
            session,
            principal=principal,
            data=HearingCreate(
                case_id=cases[2].id,
                court_id=courts[2].id,
                starts_at=_at(day, 11, 30),
                purpose="bail",
                prosecutor_id=None,
            ),
            origin=origin,
        )
