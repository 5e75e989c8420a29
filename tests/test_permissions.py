"""The role table and the case row scope (district, assignment, restricted) on a stand-in table."""

from __future__ import annotations

import pytest
from sqlalchemy import Boolean, Column, Integer, MetaData, Table, insert, select

from api.permissions import ROLE_PERMISSIONS, Perm, Principal, Role, case_scope, sees_sensitive_fields

OWN, OTHER = 1, 2
probe = Table(
    "scope_probe",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("district_id", Integer, nullable=False),
    Column("restricted", Boolean, nullable=False),
    Column("assigned", Boolean, nullable=False),
)
ROWS = {
    1: (OWN, False, False),  # own district, open, not on the team
    2: (OTHER, False, False),  # other district, open, not on the team
    3: (OWN, True, False),  # own district, restricted, not on the team
    4: (OWN, True, True),  # own district, restricted, on the team
    5: (OTHER, True, True),  # other district, restricted, on the team
    6: (OTHER, False, True),  # other district, open, on the team
}
ALL = set(ROWS)


@pytest.fixture
def visible(db):
    conn = db.connection()
    probe.create(conn)
    conn.execute(
        insert(probe),
        [{"id": i, "district_id": d, "restricted": r, "assigned": a} for i, (d, r, a) in ROWS.items()],
    )

    def rows(*roles: str, district: int | None = OWN) -> set[int]:
        principal = Principal(
            user_id=1,
            username="u",
            full_name="U",
            roles=frozenset(Role(r) for r in roles),
            district_id=district,
            session_id="s",
        )
        clause = case_scope(
            principal,
            district_id=probe.c.district_id,
            restricted=probe.c.restricted,
            assigned=probe.c.assigned,
        )
        return set(conn.scalars(select(probe.c.id).where(clause)))

    return rows


@pytest.mark.parametrize(
    ("roles", "district", "expected"),
    [
        (("prosecutor_general",), None, ALL),
        (("prosecutor_general",), OWN, ALL),
        (("auditor",), None, ALL),
        (("district_prosecutor",), OWN, {1, 3, 4}),
        (("district_prosecutor",), None, set()),
        (("prosecutor",), OWN, {4, 5, 6}),
        (("prosecutor",), None, {4, 5, 6}),
        (("clerk",), OWN, {1, 4}),
        (("clerk",), None, set()),
        (("monitor",), OWN, {1}),
        (("monitor",), None, {1, 2, 6}),
        (("admin",), OWN, set()),
        (("admin",), None, set()),
        (("trainer",), None, set()),
        ((), OWN, set()),
        (("prosecutor", "clerk"), OWN, {1, 4, 5, 6}),
        (("admin", "monitor"), OWN, {1}),
        (("trainer", "auditor"), None, ALL),
    ],
)
def test_case_scope(visible, roles, district, expected):
    assert visible(*roles, district=district) == expected


def test_permission_table():
    assert set(ROLE_PERMISSIONS) == set(Role)
    for role, perms in ROLE_PERMISSIONS.items():
        assert Perm.authenticated in perms, role
    holders = lambda perm: {r for r, p in ROLE_PERMISSIONS.items() if perm in p}  # noqa: E731
    assert holders(Perm.users_manage) == {Role.admin}
    assert holders(Perm.reference_edit) == {Role.admin}
    assert holders(Perm.audit_read) == {Role.auditor, Role.prosecutor_general}
    assert Perm.cases_read not in ROLE_PERMISSIONS[Role.admin]
    assert Perm.cases_read not in ROLE_PERMISSIONS[Role.trainer]
    assert Perm.cases_update not in ROLE_PERMISSIONS[Role.monitor]
    assert Perm.cases_update not in ROLE_PERMISSIONS[Role.auditor]


def test_sensitive_fields():
    def p(*roles):
        return Principal(
            user_id=1,
            username="u",
            full_name="U",
            roles=frozenset(map(Role, roles)),
            district_id=None,
            session_id="s",
        )

    assert not sees_sensitive_fields(p("monitor"))
    assert not sees_sensitive_fields(p("admin"))
    assert sees_sensitive_fields(p("prosecutor"))
    assert p("prosecutor", "admin").can(Perm.users_manage) and p("prosecutor", "admin").can(Perm.cases_read)
