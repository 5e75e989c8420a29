"""Demo tasks for ``make run``: a few for the demo prosecutors of Karachi South and Hyderabad, one of
them overdue, on their cases when they have some. Idempotent: a task already there (same title and
assignee) is left alone. Needs the demo users (api.demo); cases are optional."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.cases.models import Case, CaseAssignment
from api.deadlines.service import today
from api.notifications import service as notifications
from api.tasks.models import Task
from api.users.models import User

#: assignee, set by, title, days until due (negative: overdue), checklist, on one of the assignee's cases
DEMO_TASKS: list[tuple[str, str, str, int | None, list[str], bool]] = [
    (
        "pp.south1",
        "dp.south",
        "Prepare the list of prosecution witnesses",
        4,
        ["Eye-witnesses (PW-1, PW-2)", "Investigation officer", "Medico-legal officer"],
        True,
    ),
    (
        "pp.south1",
        "dp.south",
        "Chase the forensic (FSL) report with the police",
        -3,
        ["Call the IO", "Write to the FSL Karachi"],
        True,
    ),
    ("pp.south2", "dp.south", "Draft the reply to the bail application", 1, [], True),
    ("pp.south2", "pp.south2", "Read the new SOP on scrutiny memos", None, [], False),
    (
        "pp.hyd1",
        "dp.hyd",
        "Review the challans received this week",
        2,
        ["Check sections", "Check site plans"],
        False,
    ),
    ("clerk.south", "dp.south", "Scan and upload the interim challans", 0, [], False),
]


def seed(session: Session) -> list[Task]:
    users = {u.username: u for u in session.scalars(select(User).where(User.username.like("%.%")))}
    existing = {(a, t) for a, t in session.execute(select(Task.assignee_id, Task.title))}
    now = today()
    created: list[Task] = []
    for username, by, title, days, checklist, on_case in DEMO_TASKS:
        assignee, creator = users.get(username), users.get(by)
        if assignee is None or creator is None or (assignee.id, title) in existing:
            continue
        case = None
        if on_case:
            case = session.scalar(
                select(Case)
                .join(CaseAssignment, CaseAssignment.case_id == Case.id)
                .where(CaseAssignment.prosecutor_id == assignee.id, CaseAssignment.ended_at.is_(None))
                .order_by(Case.id)
                .limit(1)
            )
        task = Task(
            case_id=case.id if case else None,
            district_id=case.district_id if case else assignee.district_id,
            title=title,
            assignee_id=assignee.id,
            due_date=now + timedelta(days=days) if days is not None else None,
            checklist=[
                {"text": text, "done": i == 0 and days is not None and days < 0}
                for i, text in enumerate(checklist)
            ],
            created_by=creator.id,
        )
        session.add(task)
        session.flush()
        if creator.id != assignee.id:
            notifications.notify(
                session,
                user_ids=[assignee.id],
                kind="task_assigned",
                message=f"{creator.full_name} gave you a task: {title}"
                + (f" ({case.number})" if case else ""),
                case_id=task.case_id,
                link="/tasks",
                dedupe_key=f"task:{task.id}:assigned:{assignee.id}",
            )
        created.append(task)
    return created
