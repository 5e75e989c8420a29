"""The in-process SQLite write lock and the capped page total (docs/benchmarks.md, round 2)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from api import db
from api.pagination import CappedTotal, Page


def _engine(tmp_path: Path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'lock.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x integer)"))
    return engine, db._write_lock_for(str(tmp_path / "lock.db"), engine)


def _free(lock: threading.Lock) -> bool:
    if lock.acquire(blocking=False):
        lock.release()
        return True
    return False


@pytest.mark.parametrize("end", ["commit", "rollback", "close"])
def test_a_writer_holds_the_lock_until_its_transaction_ends(tmp_path: Path, end: str) -> None:
    engine, lock = _engine(tmp_path)
    writer = engine.execution_options(**{db.WRITE_OPTION: True})
    session = Session(bind=writer)
    session.execute(text("INSERT INTO t VALUES (1)"))
    assert not _free(lock)
    getattr(session, end)()
    assert _free(lock)
    session.close()
    engine.dispose()


def test_readers_do_not_take_the_lock_and_writers_queue(tmp_path: Path) -> None:
    engine, lock = _engine(tmp_path)
    with Session(bind=engine) as reader:
        reader.execute(text("SELECT count(*) FROM t"))
        assert _free(lock)
    writer = engine.execution_options(**{db.WRITE_OPTION: True})
    first = Session(bind=writer)
    first.execute(text("INSERT INTO t VALUES (1)"))
    done = threading.Event()

    def second() -> None:
        with Session(bind=writer) as s:
            s.execute(text("INSERT INTO t VALUES (2)"))
            s.commit()
        done.set()

    thread = threading.Thread(target=second)
    thread.start()
    assert not done.wait(0.2)  # waits for the first writer, in the lock rather than SQLite's busy loop
    first.commit()
    first.close()
    thread.join(10)
    assert done.is_set() and _free(lock)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM t")).scalar_one() == 2
    engine.dispose()


def test_page_reports_a_capped_total() -> None:
    capped = Page[int](items=[], total=CappedTotal(10_000), limit=50, offset=0)
    assert capped.total == 10_000 and capped.total_capped is True
    exact = Page[int](items=[], total=12, limit=50, offset=0)
    assert exact.total_capped is False
