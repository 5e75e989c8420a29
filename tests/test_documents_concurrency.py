"""Concurrent uploads of new versions of one document get unique, gap-free version numbers: real
threads, each with its own committed transaction, on a fresh database of the suite's kind."""

from __future__ import annotations

import threading
from typing import Any

from sqlalchemy import select

from api import migrate
from api.audit.service import Origin
from api.db import unit_of_work
from api.documents import service
from api.documents.models import Document
from api.documents.storage import get_storage
from api.reference.loader import load_reference
from api.users import service as users_service
from api.users.schemas import UserCreate
from tests.test_documents import new_case, principal_of

THREADS = 8


def test_concurrent_versions_are_unique(fresh_database_url: str, use_database: Any) -> None:
    use_database(fresh_database_url)
    migrate.upgrade(fresh_database_url)
    with unit_of_work() as s:
        load_reference(s)
    with unit_of_work() as s:
        from api.reference.models import District

        district_id = s.scalar(select(District.id).where(District.code == "KHI-S"))
        dp = users_service.create_user(
            s,
            data=UserCreate(
                username="dp1",
                password="Correct-Horse-Battery-9",
                full_name="DP One",
                roles=["district_prosecutor"],
                district_id=district_id,
            ),
            origin=Origin(),
        )
        case = new_case(s, dp)
        principal, case_id = principal_of(dp), case.id

    errors: list[BaseException] = []
    start = threading.Barrier(THREADS)

    def work(i: int) -> None:
        try:
            start.wait()
            with unit_of_work() as s:
                from api.cases.access import get_writable
                from api.permissions import Perm

                case = get_writable(s, principal, case_id, Perm.documents_upload)
                service.store_generated(
                    s,
                    principal=principal,
                    case=case,
                    origin=Origin(actor_id=principal.user_id),
                    storage=get_storage(),
                    content=f"version from thread {i}\n".encode(),
                    kind="challan",
                    title="Final challan",
                    filename="challan.txt",
                )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    with unit_of_work(write=False) as s:
        versions = sorted(s.scalars(select(Document.version).where(Document.case_id == case_id)))
    assert versions == list(range(1, THREADS + 1))
