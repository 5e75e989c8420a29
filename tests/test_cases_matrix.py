"""Row scoping of the case list: each role's list holds exactly the cases the security matrix says
it may read (own district / other district / restricted / unassigned). The route x role x case
matrix of every case route lives in tests/test_security_matrix.py."""

from __future__ import annotations

from tests.test_cases_support import World, world_fixture  # noqa: F401
from tests.test_security_matrix import KINDS, NO, OK, READ, matrix_world_fixture  # noqa: F401


def test_list_only_returns_readable_cases(client, mworld: World):
    ids = {k: c.id for k, c in mworld.cases.items()}
    assert set(ids) == set(KINDS)
    for role, outcomes in READ.items():
        r = client.get("/api/v1/cases", params={"limit": 200}, headers=mworld.headers[role])
        if NO in outcomes:
            assert r.status_code == 403, role
            continue
        assert r.status_code == 200, (role, r.text)
        got = {c["id"] for c in r.json()["items"]}
        for kind, want in zip(KINDS, outcomes, strict=True):
            assert (ids[kind] in got) == (want == OK), (role, kind)
