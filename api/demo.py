"""The demo installation: users of every role in several districts, then each domain's demo rows
(cases in every stage, their hearings, tasks). Idempotent: existing usernames are left alone and
each domain's seed does nothing once it has rows."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.audit.service import Origin
from api.reference.models import District
from api.users import service as users_service
from api.users.models import User
from api.users.schemas import UserCreate

DEMO_PASSWORD = "Demo-Passw0rd-2026"

#: username, full name, roles, district code (None: province-wide)
DEMO_USERS: list[tuple[str, str, list[str], str | None]] = [
    ("admin.demo", "Sana Qureshi (Administrator)", ["admin"], None),
    ("pg.sindh", "Faisal Siddiqui (Prosecutor General)", ["prosecutor_general"], None),
    ("dp.south", "Ayesha Memon (District Prosecutor, Karachi South)", ["district_prosecutor"], "KHI-S"),
    ("dp.hyd", "Ghulam Mustafa Shah (District Prosecutor, Hyderabad)", ["district_prosecutor"], "HYD"),
    ("pp.south1", "Imran Baloch (Prosecutor, Karachi South)", ["prosecutor"], "KHI-S"),
    ("pp.south2", "Nadia Hussain (Prosecutor, Karachi South)", ["prosecutor"], "KHI-S"),
    ("pp.hyd1", "Rashid Ali Soomro (Prosecutor, Hyderabad)", ["prosecutor"], "HYD"),
    ("clerk.south", "Bilal Ahmed (Clerk, Karachi South)", ["clerk"], "KHI-S"),
    ("clerk.hyd", "Shazia Bhutto (Clerk, Hyderabad)", ["clerk"], "HYD"),
    ("dp.peshawar", "Zahid Khan Afridi (District Prosecutor, Peshawar)", ["district_prosecutor"], "PSH"),
    ("pp.peshawar1", "Samina Gul (Prosecutor, Peshawar)", ["prosecutor"], "PSH"),
    ("auditor", "Tariq Javed (Auditor)", ["auditor"], None),
    ("monitor.south", "Hina Abbasi (Monitor, Karachi South)", ["monitor"], "KHI-S"),
    ("trainer", "Dr. Kamran Yousuf (Trainer)", ["trainer"], None),
]


def seed_demo(session: Session) -> list[User]:
    codes = {d.code: d.id for d in session.scalars(select(District))}
    existing = set(session.scalars(select(User.username)))
    created = []
    for username, full_name, roles, code in DEMO_USERS:
        if username in existing:
            continue
        data = UserCreate(
            username=username,
            password=DEMO_PASSWORD,
            full_name=full_name,
            roles=roles,
            district_id=codes[code] if code else None,
        )
        created.append(users_service.create_user(session, data=data, origin=Origin()))
    session.flush()
    from api.cases import demo as cases_demo
    from api.hearings import demo as hearings_demo
    from api.tasks import demo as tasks_demo

    cases_demo.seed(session)
    hearings_demo.seed(session)
    tasks_demo.seed(session)
    return created
