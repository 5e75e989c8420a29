"""Synthetic case data at scale (``cmms seed-bench``), written straight into the database.

It bypasses the services on purpose: no audit entries, no idempotency keys. Stop the server while it
runs on SQLite.

How a run goes (the phases are timed and printed, see ``Stats.phases``):

1. **prepare**: the reference pools (police officers per station, ``bench.*`` prosecutors per
   district) are written directly;
2. **plan**: the parent draws every case's skeleton in filing order: id, filing day, district,
   police station, FIR day, case number and FIR number. The numbering is sequential, so it is done
   once, here; everything else about a case is drawn from the batch's own random stream
   (``Random(f"{seed}:{batch}")``), so the data depend on the seed only, not on scheduling;
3. **generate**: batches of cases are turned into rows by forked worker processes (two cores busy),
   each batch written by its worker into a *shard*: a small SQLite file in ``/dev/shm`` with plain
   untyped tables (sqlite3 ``executemany`` runs in the workers, in parallel);
4. **load**: the parent copies each shard into the database in batch order. SQLite: ``ATTACH`` and
   ``INSERT … SELECT`` (no Python per row), then the FTS5 rows. PostgreSQL: the shard's rows are
   read and sent with ``COPY``. Rows other than cases carry shard-local ids (starting at the
   table's next id), shifted in the ``SELECT`` by an offset, so ids stay dense and in filing order;
5. **indexes**: for a large load the secondary indexes of the loaded tables are dropped and built
   again at the end (SQLite: by sorting with ``PRAGMA threads``; PostgreSQL: the GIN index too).
   The FTS5 index is loaded without merging (``automerge=0``, one segment per shard) and merged
   once (``optimize``). PostgreSQL skips the foreign-key triggers (``session_replication_role``)
   where the role may;
6. **finish**: sequences, pragmas and the journal mode are restored, and the workload tables
   (``api.counsel.loads``, kept by the services' event handlers) rebuilt.

Each table is produced by a ``Part``: its shard columns (generated row order), the columns holding
shard-local ids of another table (``refs``) and SQL expressions for columns derived in the copy
(``exprs``). A part whose table does not exist is skipped; NOT NULL columns added by newer
migrations are filled from ``FILL``. The schedule tables (hearings, case deadlines, tasks and
``cases.next_hearing_at``) can be left out (``schedules=False``) to time the case file alone.

SQLite caveat: while loading, the database runs with ``journal_mode=OFF`` and
``synchronous=OFF``: a crash or a kill in the middle leaves a damaged file. The bench database is
disposable (rebuild it with ``BENCH_FRESH=1``); never seed a database you need to keep.
"""

from __future__ import annotations

import bisect
import contextlib
import itertools
import json
import multiprocessing
import os
import queue as queue_module
import random
import shutil
import sqlite3
import tempfile
import time
import traceback
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Engine, make_url

from api.bench import names
from api.search.service import district_token, normalise

START = date(2015, 3, 1)
STAGE_PATH = ("intake", "scrutiny", "filed", "charge", "evidence", "defence", "arguments", "judgment")
TRIAL = ("filed", "charge", "evidence", "defence", "arguments", "judgment", "appeal", "closed", "dormant")
#: trial stages whose case waits for its next date in court
OPEN_TRIAL = ("filed", "charge", "evidence", "defence", "arguments")
#: stage weights by age of the case: under 3 months, under 18 months, older
STAGE_MIX: tuple[dict[str, int], ...] = (
    {"intake": 30, "scrutiny": 25, "returned": 10, "filed": 15, "charge": 15, "evidence": 5},
    {
        "intake": 2,
        "scrutiny": 3,
        "returned": 3,
        "filed": 8,
        "charge": 15,
        "evidence": 45,
        "defence": 7,
        "arguments": 5,
        "judgment": 3,
        "closed": 5,
        "dormant": 4,
    },
    {
        "filed": 1,
        "charge": 4,
        "evidence": 35,
        "defence": 8,
        "arguments": 7,
        "judgment": 5,
        "appeal": 5,
        "closed": 27,
        "dormant": 8,
    },
)
CUSTODY_MIX = {"arrested": 10, "judicial_custody": 30, "on_bail": 40, "absconding": 12, "not_arrested": 8}

#: hearings before today by stage: (at least, up to that many more); about 5 per trial case with
#: the next date of the open ones
HEARINGS_PAST: dict[str, tuple[int, int]] = {
    "filed": (1, 1),
    "charge": (2, 2),
    "evidence": (2, 4),
    "defence": (3, 4),
    "arguments": (4, 4),
    "judgment": (4, 4),
    "appeal": (4, 4),
    "closed": (4, 4),
    "dormant": (2, 3),
}
#: the purposes a trial goes through, by the stage it reached
STAGE_PURPOSES: dict[str, tuple[str, ...]] = {
    "filed": ("copies",),
    "charge": ("copies", "charge"),
    "evidence": ("copies", "charge", "prosecution_evidence"),
    "defence": ("copies", "charge", "prosecution_evidence", "s342", "defence_evidence"),
    "arguments": ("copies", "charge", "prosecution_evidence", "s342", "defence_evidence", "arguments"),
}
for _s in ("judgment", "appeal", "closed"):
    STAGE_PURPOSES[_s] = (*STAGE_PURPOSES["arguments"], "judgment")
STAGE_PURPOSES["dormant"] = ("copies", "charge", "prosecution_evidence")
#: how past hearings ended (the last one of a decided case is "decided")
HEARING_OUTCOMES = {"adjourned": 55, "held": 35, "not_taken_up": 10}
#: adjournment reasons (api/reference/data/adjournment_reasons.csv) by how often courts record them
ADJOURNMENT_MIX = {
    "WITNESS_ABSENT": 18, "DEFENCE_COUNSEL_ABSENT": 15, "ACCUSED_NOT_PRODUCED": 10, "COURT_TIME_SHORT": 10,
    "WITNESS_NOT_SERVED": 8, "IO_ABSENT": 8, "PROSECUTION_SOUGHT_TIME": 6, "ACCUSED_ABSENT_ON_BAIL": 6,
    "CASE_FILE_NOT_AVAILABLE": 5, "COURT_ON_LEAVE": 4, "LAWYERS_STRIKE": 4, "FORENSIC_REPORT_AWAITED": 3,
    "DEFENCE_APPLICATION": 3, "PROSECUTOR_ABSENT": 2, "MEDICAL_REPORT_AWAITED": 2, "CHALLAN_INCOMPLETE": 2,
    "COMPROMISE_PENDING": 2, "HIGHER_COURT_STAY": 1, "SECURITY_SITUATION": 1, "OTHER": 1,
}  # fmt: skip
#: court sittings, local 09:00-12:30 in Asia/Karachi (UTC+5, no daylight saving), stored in UTC
SLOTS = tuple(f"{h:02d}:{m:02d}:00.000000" for h in range(4, 8) for m in (0, 30))
#: share of cases with a task for their lead prosecutor
TASK_RATE = 0.005
#: the deadline rules the generator computes (codes of api/reference/data/deadline_rules.csv)
DEADLINE_CODES = (
    "CRPC_173_INVESTIGATION",
    "CRPC_173_INTERIM_REPORT",
    "CPS_SCRUTINY_TARGET",
    "ATA_19_1_INVESTIGATION",
    "ATA_19_7_DECISION",
)
#: cases per worker batch below which everything runs in this process
FORK_FROM = 50_000
#: where shards are written: memory (tmpfs) when the system has it
SHARD_DIR = "/dev/shm"  # noqa: S108
#: batches a worker may have waiting for the parent (each shard is ~70 MB at 20,000 cases)
AHEAD = 2


class Picker:
    """Weighted choice with one random() and a bisect."""

    def __init__(self, weights: dict[Any, int], rnd: random.Random) -> None:
        self.items = list(weights)
        self.cum = list(itertools.accumulate(weights.values()))
        self.total = self.cum[-1]
        self.rnd = rnd

    def __call__(self) -> Any:
        return self.items[bisect.bisect_right(self.cum, self.rnd.random() * self.total)]


def _name_pool(given: list[tuple[str, str]]) -> list[tuple[str, str, str, str, str, str]]:
    """Every given name with every surname: (name, Urdu name, surname, words of both names, words
    of the surname, words of the name), the words as ``normalise`` leaves them."""
    surnames = [(s, su, normalise(s)) for s, su in names.SURNAMES]
    return [
        (f"{g} {s}", f"{gu} {su}", s, f"{gn} {sn} {normalise(gu + ' ' + su)}", sn, f"{gn} {sn}")
        for g, gu, gn in [(g, gu, normalise(g)) for g, gu in given]
        for s, su, sn in surnames
    ]


#: values for NOT NULL columns a part does not produce (added to a table after this generator)
FILL: dict[str, Any] = {"version": 1}


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


@dataclass
class Part:
    """One table's rows. ``columns``: the shard's columns in the generated rows' order; ``id`` and
    the columns of ``refs`` (column → table) hold shard-local ids, shifted when copied; ``nullable``
    columns hold ``''`` for NULL (see ``Generator.batch``); ``exprs`` (column → function of a
    ``ref(sql, table)`` id shifter) derive a table column from shard columns; ``helpers`` are
    shard-only columns."""

    table: str
    columns: tuple[str, ...]
    nullable: tuple[str, ...] = ()
    refs: dict[str, str] = field(default_factory=dict)
    exprs: dict[str, Callable[[Callable[[str, str], str]], str]] = field(default_factory=dict)
    helpers: tuple[str, ...] = ()
    schedule: bool = False

    @property
    def targets(self) -> tuple[str, ...]:
        own = tuple(c for c in self.columns if c not in self.helpers)
        return own + tuple(c for c in self.exprs if c not in own)

    def select(self, present: dict[str, bool], ref: Callable[[str, str], str]) -> tuple[tuple[str, ...], str]:
        """The table's columns to write and the SELECT list over the shard producing them."""
        targets = self.targets
        extra = [c for c, required in present.items() if required and c not in targets]
        missing = [c for c in extra if c not in FILL]
        if missing:
            raise RuntimeError(
                f"seed-bench cannot fill {self.table}.{', '.join(missing)}: extend the generator"
            )
        cols: list[str] = []
        exprs: list[str] = []
        for c in targets:
            if c not in present:
                continue
            cols.append(c)
            value = f"NULLIF({c}, '')" if c in self.nullable else c
            if c in self.exprs:
                exprs.append(self.exprs[c](ref))
            elif c == "id":
                exprs.append(ref("id", self.table))
            elif c in self.refs:
                exprs.append(ref(value, self.refs[c]))
            else:
                exprs.append(value)
        for c in extra:
            cols.append(c)
            exprs.append(_literal(FILL[c]))
        return tuple(cols), ", ".join(exprs)


class Clock:
    """Wall and CPU seconds of this process per named phase (``with clock("name"): …``)."""

    def __init__(self) -> None:
        self.wall: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)

    @contextlib.contextmanager
    def __call__(self, name: str) -> Iterator[None]:
        wall, cpu = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.wall[name] += time.perf_counter() - wall
            self.cpu[name] += time.process_time() - cpu


# --- writers --------------------------------------------------------------------------------


@dataclass
class Load:
    """What a writer copies from one shard: (table, columns, SELECT list) per part, and whether the
    shard's ``search`` table (case id, document) goes to the full-text index."""

    parts: list[tuple[str, tuple[str, ...], str]]
    search: bool = True


class Writer:
    #: what follows a UTC timestamp's text in a column (PostgreSQL: the zone, for timestamptz)
    utc_suffix = ""

    def __init__(self) -> None:
        self.clock = Clock()

    def tables(self) -> set[str]:
        raise NotImplementedError

    def columns(self, table: str) -> dict[str, bool]:
        raise NotImplementedError

    def scalar(self, sql: str) -> Any:
        raise NotImplementedError

    def all(self, sql: str) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        raise NotImplementedError

    def load(self, shard: Path, plan: Load) -> None:
        raise NotImplementedError

    def execute(self, sql: str, params: Any = None) -> None:
        raise NotImplementedError

    def begin_load(self, tables: Iterable[str], *, bulk: bool) -> None:
        """Before the first shard (``bulk``: settings for a large load)."""

    def finish_load(self) -> None:
        """After the last shard: rebuild what ``begin_load`` set aside."""

    def commit(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def ts(self, dt: datetime) -> str:
        return dt.strftime("%Y-%m-%d %H:%M:%S.%f") + self.utc_suffix


class SqliteWriter(Writer):
    """Shards copied with ``INSERT … SELECT`` from an attached file; bulk pragmas while loading."""

    #: FTS5 settings while loading (one segment per shard, no merging until ``optimize``)
    FTS_LOAD = {"automerge": 0, "crisismerge": 256, "hashsize": 512 * 1024 * 1024}
    FTS_DEFAULTS = {"automerge": 4, "crisismerge": 16, "hashsize": 1024 * 1024}

    def __init__(self, path: str) -> None:
        super().__init__()
        self.conn = sqlite3.connect(path, isolation_level=None, timeout=60)
        cur = self.conn.cursor()
        self.saved = {
            p: cur.execute(f"PRAGMA {p}").fetchone()[0]
            for p in ("synchronous", "cache_size", "temp_store", "journal_mode")
        }
        self.indexes: list[tuple[str, str]] = []
        self.fts_saved: dict[str, Any] | None = None
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("PRAGMA cache_size=-1048576")  # 1 GiB
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.execute("PRAGMA foreign_keys=OFF")
        cur.execute("BEGIN IMMEDIATE")

    def tables(self) -> set[str]:
        return {r[0] for r in self.conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}

    def columns(self, table: str) -> dict[str, bool]:
        """column → required (NOT NULL without a default)"""
        info = self.conn.execute(f"PRAGMA table_info({table})").fetchall()
        return {r[1]: bool(r[3]) and r[4] is None and not r[5] for r in info}

    def scalar(self, sql: str) -> Any:
        row = self.conn.execute(sql).fetchone()
        return row[0] if row else None

    def all(self, sql: str) -> list[tuple[Any, ...]]:
        return self.conn.execute(sql).fetchall()

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        marks = ", ".join("?" * len(columns))
        self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", rows)  # noqa: S608

    def execute(self, sql: str, params: Any = None) -> None:
        self.conn.execute(sql, params or ())

    def begin_load(self, tables: Iterable[str], *, bulk: bool) -> None:
        """No rollback journal (the file is disposable, see the module's caveat). ``bulk`` (a large
        load): the secondary indexes of ``tables`` dropped (rebuilt by sorting in ``finish_load``,
        far faster than millions of random B-tree inserts; unique constraints stay) and FTS5
        loaded without merging."""
        self._end()
        self.conn.execute("PRAGMA journal_mode=OFF")
        if not bulk:
            return
        self.conn.execute("BEGIN IMMEDIATE")
        names_ = tuple(tables)
        marks = ", ".join("?" * len(names_))
        self.indexes = self.conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",  # noqa: S608
            names_,
        ).fetchall()
        for name, _sql in self.indexes:
            self.conn.execute(f"DROP INDEX {name}")
        if "case_search" in self.tables():
            self.fts_saved = {
                k: v
                for k, v in self.conn.execute("SELECT k, v FROM case_search_config").fetchall()
                if k in self.FTS_LOAD
            }
            self._fts_config(self.FTS_LOAD)
        self.conn.execute("COMMIT")

    def _fts_config(self, values: dict[str, Any]) -> None:
        for key, value in values.items():
            with contextlib.suppress(sqlite3.Error):  # an option an older SQLite lacks (hashsize)
                self.conn.execute("INSERT INTO case_search (case_search, rank) VALUES (?, ?)", (key, value))

    def _end(self) -> None:
        if self.conn.in_transaction:
            self.conn.execute("COMMIT")

    def load(self, shard: Path, plan: Load) -> None:
        self._end()
        self.conn.execute("ATTACH DATABASE ? AS shard", (str(shard),))
        try:
            self.conn.execute("BEGIN IMMEDIATE")
            with self.clock("load: copy rows"):
                for table, cols, select in plan.parts:
                    sql = f"INSERT INTO main.{table} ({', '.join(cols)}) SELECT {select} FROM shard.{table}"  # noqa: S608
                    self.conn.execute(sql)
            with self.clock("load: full-text rows"):
                if plan.search:
                    self.conn.execute(
                        "INSERT INTO main.case_search (rowid, body) SELECT id, body FROM shard.search"
                    )
            with self.clock("load: commit"):
                self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise
        finally:
            self.conn.execute("DETACH DATABASE shard")

    def commit(self) -> None:
        self._end()
        self.conn.execute("BEGIN IMMEDIATE")

    def finish_load(self) -> None:
        self._end()
        if self.indexes:
            with self.clock("rebuild indexes"):
                # the sorter runs on worker threads only with file-backed temporary storage, and
                # spills (sorted runs, merged by the threads) only past its memory, bounded by the
                # cache size: a smaller cache and temp files sort faster here than one huge
                # in-memory sort (the temporary files stay in the OS page cache)
                self.conn.execute("PRAGMA temp_store=FILE")
                self.conn.execute("PRAGMA cache_size=-65536")
                self.conn.execute(f"PRAGMA threads={max(1, min(4, os.cpu_count() or 1))}")
                self.conn.execute("BEGIN IMMEDIATE")
                for _name, sql in self.indexes:
                    self.conn.execute(sql)
                self.indexes = []
                self.conn.execute("COMMIT")
        if self.fts_saved is not None:
            with self.clock("full-text optimize"):
                self.conn.execute("INSERT INTO case_search (case_search) VALUES ('optimize')")
                self._fts_config({k: self.fts_saved.get(k, v) for k, v in self.FTS_DEFAULTS.items()})
                self.fts_saved = None

    def close(self) -> None:
        self.finish_load()
        with self.clock("finish"):
            for p, v in self.saved.items():
                self.conn.execute(f"PRAGMA {p}={v}")
            if self.saved["journal_mode"] == "wal":
                self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            self.conn.close()


class PostgresWriter(Writer):
    """COPY FROM STDIN per table and shard; the search rows go through ``case_search_tsv`` in SQL."""

    utc_suffix = "+00"
    SEQUENCES = ("persons", "cases", "case_parties", "case_charges", "case_events", "police_reports",
                 "scrutiny_reviews", "case_assignments", "users", "hearings", "case_deadlines", "tasks")  # fmt: skip

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.raw = engine.raw_connection()
        self.conn = self.raw.driver_connection
        self.cur = self.conn.cursor()
        self.cur.execute("SET synchronous_commit = off")
        self.cur.execute("CREATE TEMP TABLE bench_search (case_id integer, body text, district_word text)")
        self.indexes: list[tuple[str, str]] = []

    def tables(self) -> set[str]:
        self.cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
        return {r[0] for r in self.cur.fetchall()}

    def columns(self, table: str) -> dict[str, bool]:
        self.cur.execute(
            "SELECT column_name, is_nullable = 'NO' AND column_default IS NULL FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = %s",
            (table,),
        )
        return {r[0]: bool(r[1]) for r in self.cur.fetchall()}

    def scalar(self, sql: str) -> Any:
        self.cur.execute(sql)
        row = self.cur.fetchone()
        return row[0] if row else None

    def all(self, sql: str) -> list[tuple[Any, ...]]:
        self.cur.execute(sql)
        return list(self.cur.fetchall())

    def insert(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:
        with self.cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def begin_load(self, tables: Iterable[str], *, bulk: bool) -> None:
        """``bulk``: the secondary indexes of ``tables`` and of the full-text table dropped for the
        load and built again at the end (one sort each, instead of row-by-row B-tree and GIN
        inserts); primary keys and unique constraints stay."""
        # foreign keys are checked by triggers, one query per row and key: off for this session
        # where allowed (a superuser, as in the bench's throwaway cluster); the rows are consistent
        # by construction
        import psycopg

        self.cur.execute("SAVEPOINT replica")
        try:
            self.cur.execute("SET session_replication_role = replica")
        except psycopg.errors.InsufficientPrivilege:
            self.cur.execute("ROLLBACK TO SAVEPOINT replica")
        self.conn.commit()
        if not bulk:
            return
        self.cur.execute(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid "
            "JOIN pg_namespace n ON n.oid = t.relnamespace "
            "WHERE n.nspname = current_schema() AND t.relname = ANY(%s) "
            "AND NOT x.indisprimary AND NOT x.indisunique ORDER BY i.relname",
            ([*tables, "case_search"],),
        )
        self.indexes = list(self.cur.fetchall())
        for name, _sql in self.indexes:
            self.cur.execute(f'DROP INDEX "{name}"')
        self.conn.commit()

    def finish_load(self) -> None:
        if not self.indexes:
            return
        with self.clock("rebuild indexes"):
            self.cur.execute("SET maintenance_work_mem = '256MB'")
            for _name, sql in self.indexes:
                self.cur.execute(sql)
            self.indexes = []
            self.conn.commit()

    def load(self, shard: Path, plan: Load) -> None:
        """The shard's rows, shifted by the same SELECT as on SQLite (run by SQLite on the shard),
        sent with COPY."""
        src = sqlite3.connect(str(shard))
        try:
            with self.clock("load: copy rows"):
                for table, cols, select in plan.parts:
                    self.insert(table, cols, src.execute(f"SELECT {select} FROM {table}"))  # noqa: S608
            with self.clock("load: full-text rows"):
                if plan.search:
                    self.insert(
                        "bench_search",
                        ("case_id", "body", "district_word"),
                        src.execute("SELECT id, body, district_word FROM search"),
                    )
                    self.cur.execute(
                        "INSERT INTO case_search (case_id, tsv) "
                        "SELECT case_id, case_search_tsv(body, district_word) FROM bench_search"
                    )
                    self.cur.execute("TRUNCATE bench_search")
            with self.clock("load: commit"):
                self.conn.commit()
        finally:
            src.close()

    def execute(self, sql: str, params: Any = None) -> None:
        self.cur.execute(sql.replace("?", "%s"), params)

    def commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        self.finish_load()
        with self.clock("finish (sequences, VACUUM ANALYZE)"):
            present = self.tables()
            for table in self.SEQUENCES:
                if table in present:
                    self.cur.execute(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
                    )
            self.conn.commit()
            self.conn.autocommit = True
            self.cur.execute("RESET session_replication_role")
            # VACUUM as autovacuum would soon after a bulk load, so the figures are a steady
            # state's: it sets the visibility map, without which an index-only scan still reads
            # the table (the workload's hearings counted 3x slower at 1M cases)
            self.cur.execute("VACUUM (ANALYZE)")
            self.raw.close()


# --- the parts ------------------------------------------------------------------------------

CASE_COLS = (
    "id", "number", "district_id", "year", "seq", "category", "title", "stage", "stage_changed_at",
    "dormant_from", "returns_count", "restricted", "complex", "juvenile", "gender_based_violence",
    "court_id", "ctd_number", "court_case_number", "fir_number", "fir_year", "fir_date",
    "police_station_id", "occurrence_date", "occurrence_place", "brief_facts", "judgment_date",
    "closed_reason", "created_at", "updated_at", "created_by", "version", "next_hearing_at",
)  # fmt: skip
PERSON_COLS = (
    "id", "name", "name_ur", "father_name", "cnic", "gender", "birth_year", "address", "phone", "created_at",
)  # fmt: skip
PARTY_COLS = (
    "id", "case_id", "person_id", "role", "custody_status", "age", "witness_type", "witness_status",
    "protected", "rank", "unit", "notes", "created_at", "version",
)  # fmt: skip
CHARGE_COLS = ("id", "case_id", "offence_id", "party_id", "stage_added", "added_at", "added_by")
EVENT_COLS = ("id", "case_id", "at", "actor_id", "kind", "summary", "details")
REPORT_COLS = ("id", "case_id", "kind", "received_on", "notes", "created_at", "created_by")
REVIEW_COLS = (
    "id", "case_id", "police_report_id", "decision", "defects", "returned_on", "resubmitted_on", "notes",
    "reviewed_by", "reviewed_at",
)  # fmt: skip
ASSIGN_COLS = ("id", "case_id", "prosecutor_id", "role", "started_at", "ended_at", "assigned_by", "reason")
HEARING_COLS = (
    "id", "case_id", "district_id", "court_id", "judge", "starts_at", "purpose", "prosecutor_id", "outcome",
    "adjournment_reason", "adjournment_attributed_to", "next_hearing_id", "witness", "outcome_recorded_at",
    "outcome_recorded_by", "created_at", "created_by", "updated_at", "version",
)  # fmt: skip
DEADLINE_COLS = (
    "id", "case_id", "district_id", "rule_id", "source", "report_id", "triggered_on", "due_date", "status",
    "met_on", "note", "created_at", "version",
)  # fmt: skip
TASK_COLS = (
    "id", "case_id", "district_id", "title", "description", "assignee_id", "due_date", "status", "checklist",
    "completed_at", "created_at", "created_by", "updated_at", "version",
)  # fmt: skip

#: tables in write order (parents first); absent tables are skipped
PARTS: list[Part] = [
    Part("persons", PERSON_COLS, nullable=("cnic", "address", "phone")),
    Part(
        "cases",
        CASE_COLS,
        nullable=(
            "dormant_from",
            "court_id",
            "ctd_number",
            "court_case_number",
            "judgment_date",
            "closed_reason",
            "created_by",
            "next_hearing_at",
        ),
    ),
    Part(
        "case_parties",
        PARTY_COLS,
        nullable=("custody_status", "age", "witness_type", "witness_status", "rank", "unit", "notes"),
        refs={"person_id": "persons"},
    ),
    Part("case_charges", CHARGE_COLS, nullable=("party_id", "added_by"), refs={"party_id": "case_parties"}),
    Part("police_reports", REPORT_COLS, nullable=("notes", "created_by")),
    Part(
        "scrutiny_reviews",
        REVIEW_COLS,
        nullable=("resubmitted_on", "notes", "reviewed_by"),
        refs={"police_report_id": "police_reports"},
    ),
    Part("case_assignments", ASSIGN_COLS, nullable=("ended_at", "assigned_by", "reason")),
    Part("case_events", EVENT_COLS, nullable=("actor_id",)),
    Part(
        "hearings",
        HEARING_COLS,
        nullable=(
            "judge",
            "prosecutor_id",
            "outcome",
            "adjournment_reason",
            "adjournment_attributed_to",
            "next_hearing_id",
            "outcome_recorded_at",
            "outcome_recorded_by",
            "created_by",
        ),
        refs={"next_hearing_id": "hearings"},
        exprs={
            "witnesses_examined": lambda ref: (
                f"CASE WHEN witness = '' THEN '[]' ELSE '[' || {ref('witness', 'case_parties')} || ']' END"
            )
        },
        helpers=("witness",),
        schedule=True,
    ),
    Part(
        "case_deadlines",
        DEADLINE_COLS,
        nullable=("met_on", "note"),
        exprs={
            "source": lambda ref: (
                f"CASE WHEN report_id = '' THEN source ELSE 'report:' || {ref('report_id', 'police_reports')} END"
            )
        },
        helpers=("report_id",),
        schedule=True,
    ),
    Part("tasks", TASK_COLS, nullable=("description", "completed_at", "created_by"), schedule=True),
]
#: the shard's full-text rows (the district's word: PostgreSQL's ``case_search_tsv``)
SEARCH_COLS = ("id", "body", "district_word")


@dataclass
class Stats:
    cases: int = 0
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: float = 0.0
    users: int = 0
    #: the parent's phases in run order: name → (wall seconds, CPU seconds)
    phases: dict[str, tuple[float, float]] = field(default_factory=dict)
    #: CPU seconds of the generator processes (or of this one, without them): generate, write shards
    worker_cpu: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    workers: int = 0
    schedules: bool = True


class Generator:
    def __init__(self, w: Writer, *, seed: int, cases: int, today: date, schedules: bool = True) -> None:
        self.w = w
        self.seed = seed
        self.rnd = random.Random(seed)  # noqa: S311
        self.today = today
        self.present = w.tables()
        self.n = cases
        self.parts = [p for p in PARTS if p.table in self.present and (schedules or not p.schedule)]
        self.ids = {
            p.table: int(w.scalar(f"SELECT coalesce(max(id), 0) FROM {p.table}") or 0) + 1  # noqa: S608
            for p in self.parts
        }
        self.ids["users"] = int(w.scalar("SELECT coalesce(max(id), 0) FROM users") or 0) + 1
        # reference data
        districts = {r[0]: (r[1], r[2]) for r in w.all("SELECT id, code, province FROM districts")}
        stations: dict[int, list[tuple[int, str]]] = defaultdict(list)
        for sid, did, name in w.all("SELECT id, district_id, name FROM police_stations ORDER BY id"):
            stations[did].append((sid, name))
        if not stations:
            raise RuntimeError("no police stations: run `cmms migrate` first (it loads reference data)")
        self.stations = stations
        self.districts = districts
        #: cases and bench prosecutors are spread over the districts by these weights
        self.district_weights = {d: len(s) + 2 for d, s in sorted(stations.items())}
        courts: dict[tuple[Any, str], list[int]] = defaultdict(list)
        self.court_ids: list[int] = []
        for cid, did, ctype, prov in w.all(
            "SELECT id, district_id, court_type, province FROM courts ORDER BY id"
        ):
            self.court_ids.append(cid)
            kind = "ata" if ctype == "anti_terrorism" else "ordinary" if ctype in (
                "sessions", "additional_sessions", "judicial_magistrate", "special") else None  # fmt: skip
            if kind:
                courts[(did, kind)].append(cid)
                courts[(prov, kind)].append(cid)
        self.courts = courts
        offences = w.all("SELECT id, statute, section FROM offences ORDER BY id")
        #: each offence as a case title cites it, and its words in the search document
        self.sec_text = {oid: f"{statute} {section}" for oid, statute, section in offences}
        self.sec_norm = {oid: normalise(text) for oid, text in self.sec_text.items()}
        self.ata_offences = [o[0] for o in offences if o[1] == "ATA"]
        self.ppc = [o[0] for o in offences if o[1] == "PPC" and o[2] not in ("34", "109", "114", "120-B")]
        self.ppc34 = next((o[0] for o in offences if o[1] == "PPC" and o[2] == "34"), None)
        self.special = [o[0] for o in offences if o[1] not in ("PPC", "ATA")]
        # schedules: adjournment reasons and the deadline rules present in this database
        self.adjournments: dict[str, str] = {}
        if "adjournment_reasons" in self.present:
            self.adjournments = {
                code: side
                for code, side, active in w.all("SELECT code, attributed_to, active FROM adjournment_reasons")
                if active
            }
        self.rules: dict[str, int] = {}
        if "deadline_rules" in self.present:
            self.rules = {
                code: rid
                for rid, code in w.all("SELECT id, code FROM deadline_rules")
                if code in DEADLINE_CODES
            }
        # numbering: continue every (district, year) sequence and every station's FIR numbers
        self.seqs: dict[tuple[int, int], int] = {
            (d, y): last for d, y, last in w.all("SELECT district_id, year, last FROM case_number_sequences")
        }
        self.firs: dict[tuple[int, int], int] = defaultdict(int)
        for sid, year, fir in w.all("SELECT police_station_id, fir_year, fir_number FROM cases"):
            if str(fir).isdigit():
                self.firs[(sid, year)] = max(self.firs[(sid, year)], int(fir))
        self.creator = w.scalar(
            "SELECT u.id FROM users u JOIN user_roles r ON r.user_id = u.id "
            "WHERE r.role IN ('clerk', 'admin') ORDER BY u.id LIMIT 1"
        )
        self.prosecutors: dict[int, list[int]] = defaultdict(list)
        self.officers: dict[int, list[tuple[int, str]]] = {}
        self.stats = Stats(schedules=schedules)
        self._columns: dict[str, dict[str, bool]] = {}

    # ids
    def next_id(self, table: str) -> int:
        i = self.ids[table]
        self.ids[table] = i + 1
        return i

    def cnic(self, province: str) -> str:
        first = "4" if province == "Sindh" else "1"
        return f"{first}{self.rnd.randrange(10**11, 10**12)}{self.rnd.randrange(1, 10)}"

    def prepare(self, now_ts: str, password_hash: str) -> None:
        """The reference pools, written up front (police officers per station, bench prosecutors
        per district), and the lookup tables of ``plan`` and ``batch``."""
        w = self.w
        persons = []
        for did, sts in self.stations.items():
            province = self.districts[did][1]
            for sid, _name in sts:
                pool = []
                for _ in range(8):
                    given, sur = self.rnd.choice(names.MALE), self.rnd.choice(names.SURNAMES)
                    pid = self.next_id("persons")
                    cnic = self.cnic(province)
                    persons.append(
                        (pid, f"{given[0]} {sur[0]}", f"{given[1]} {sur[1]}", None, cnic,
                         "male", self.rnd.randrange(1965, 2000), None, None, now_ts)
                    )  # fmt: skip
                    pool.append((pid, normalise(f"{given[0]} {sur[0]} {given[1]} {sur[1]} {cnic}")))
                self.officers[sid] = pool
        w.insert("persons", PERSON_COLS, persons)
        self.stats.rows["persons"] += len(persons)
        # prosecutors: existing active ones of each district, plus bench users (about 1 per 1,500 cases)
        for uid, did in w.all(
            "SELECT u.id, u.district_id FROM users u JOIN user_roles r ON r.user_id = u.id "
            "WHERE r.role = 'prosecutor' AND u.is_active AND u.district_id IS NOT NULL ORDER BY u.id"
        ):
            self.prosecutors[did].append(uid)
        total = sum(self.district_weights.values())
        existing = {r[0] for r in w.all("SELECT username FROM users WHERE username LIKE 'bench.%'")}
        users, roles = [], []
        for did, wt in self.district_weights.items():
            want = max(2, round(self.n * wt / total / 1500))
            code = self.districts[did][0].lower()
            for k in range(1, want + 1):
                username = f"bench.{code}.{k}"
                if username in existing:
                    continue
                uid = self.next_id("users")
                given, sur = self.rnd.choice(names.MALE), self.rnd.choice(names.SURNAMES)
                users.append(
                    (uid, username, f"{given[0]} {sur[0]} (bench prosecutor)", password_hash, did, True,
                     now_ts, now_ts, now_ts, 1)
                )  # fmt: skip
                roles.append((uid, "prosecutor"))
                self.prosecutors[did].append(uid)
        if users:
            w.insert(
                "users",
                ("id", "username", "full_name", "password_hash", "district_id", "is_active", "created_at",
                 "updated_at", "password_changed_at", "version"),
                users,
            )  # fmt: skip
            w.insert("user_roles", ("user_id", "role"), roles)
        self.stats.users = len(users)
        # precomputed pieces for the hot loop; each with its words as ``normalise`` leaves them, so
        # the search document is joined from pieces instead of run through the regex per case
        self.male, self.female = _name_pool(names.MALE), _name_pool(names.FEMALE)
        self.fathers = [(g, normalise(g)) for g, _ in names.MALE]
        self.court_pools = {
            (did, kind): self.courts.get((did, kind))
            or self.courts.get((self.districts[did][1], kind))
            or [None]
            for did in self.stations
            for kind in ("ata", "ordinary")
        }
        # the presiding officer of each court (one name per court, stable for the run)
        self.judges = {
            cid: f"{self.rnd.choice(names.MALE)[0]} {self.rnd.choice(names.SURNAMES)[0]}"
            for cid in sorted(self.court_ids)
        }
        # the calendar by day offset from START (``day_base`` days before it to 120 after today):
        # ISO date, year, 1 on a Sunday
        span = (self.today - START).days
        self.day_base = 60
        days = [START + timedelta(days=i - self.day_base) for i in range(span + self.day_base + 120)]
        self.day = [d.isoformat() for d in days]
        self.years = [d.year for d in days]
        self.sunday = [1 if d.weekday() == 6 else 0 for d in days]
        self.district_norm = {did: normalise(code) for did, (code, _p) in self.districts.items()}
        self.station_names = {
            sid: (name, normalise(name)) for sts in self.stations.values() for sid, name in sts
        }
        self.moves = self._transitions()

    def plan(self) -> list[tuple[int, int, int, int, int, int, int, int]]:
        """Every case's skeleton, in filing order: (id, filing day offset, second of the day,
        district, police station, FIR day offset, sequence number, FIR number)."""
        rnd = self.rnd
        rand = rnd.random
        span = (self.today - START).days
        offsets = sorted(int(span * rand() ** 0.7) for _ in range(self.n))
        weights = self.district_weights
        dists = rnd.choices(list(weights), cum_weights=list(itertools.accumulate(weights.values())), k=self.n)
        years = self.years
        base = self.day_base
        seqs, firs, stations = self.seqs, self.firs, self.stations
        cid = self.ids["cases"]
        out = []
        for off, did in zip(offsets, dists, strict=True):
            sts = stations[did]
            sid = sts[int(rand() * len(sts))][0]
            fir_off = off - 2 - int(rand() * 43)
            key = (did, years[off + base])
            seq = seqs.get(key, 0) + 1
            seqs[key] = seq
            fkey = (sid, years[fir_off + base])
            fir = firs[fkey] + 1
            firs[fkey] = fir
            out.append((cid, off, 28800 + int(rand() * 36000), did, sid, fir_off, seq, fir))
            cid += 1
        self.ids["cases"] = cid
        return out

    def batch(self, skeleton: list[tuple[int, ...]], rnd: random.Random) -> dict[str, list[tuple[Any, ...]]]:
        """Rows of a batch of cases (shard-local ids for everything but cases)."""
        out: dict[str, list[tuple[Any, ...]]] = {table: [] for table in (*(p.table for p in PARTS), "search")}
        # NULL is written as N (an empty string) and booleans as 0/1: sqlite3 binds str and int
        # directly but sends None and bool through its adapter lookup, 2-3 times slower per row
        N = ""
        rand = rnd.random
        #: the next shard-local id of each table
        new_id = {table: itertools.count(first).__next__ for table, first in self.ids.items()}
        suffix = self.w.utc_suffix
        day, base, sunday = self.day, self.day_base, self.sunday
        persons, parties, charges = out["persons"], out["case_parties"], out["case_charges"]
        cases, reports, reviews = out["cases"], out["police_reports"], out["scrutiny_reviews"]
        assigns, events, search = out["case_assignments"], out["case_events"], out["search"]
        hearings, deadlines, tasks = out["hearings"], out["case_deadlines"], out["tasks"]
        male, female, fathers, nfathers = self.male, self.female, self.fathers, len(self.fathers)
        nm, nf = len(male), len(female)
        today_off = (self.today - START).days
        creator = self.creator if self.creator is not None else N
        places, ranks = names.PLACES, names.RANKS
        do_reviews = "scrutiny_reviews" in self.ids
        do_hearings = "hearings" in self.ids
        do_deadlines = "case_deadlines" in self.ids and bool(self.rules)
        do_tasks = "tasks" in self.ids
        stage_pick = [Picker(m, rnd) for m in STAGE_MIX]
        custody_pick = Picker(CUSTODY_MIX, rnd)
        accused_pick = Picker({1: 55, 2: 25, 3: 12, 4: 8}, rnd)
        outcome_pick = Picker(HEARING_OUTCOMES, rnd)
        adjourn_mix = {c: w for c, w in ADJOURNMENT_MIX.items() if c in self.adjournments}
        adjourn_pick = Picker(adjourn_mix, rnd) if adjourn_mix else None
        sides = self.adjournments
        rules = self.rules
        r_inv, r_interim = rules.get("CRPC_173_INVESTIGATION"), rules.get("CRPC_173_INTERIM_REPORT")
        r_scrutiny, r_ata_inv = rules.get("CPS_SCRUTINY_TARGET"), rules.get("ATA_19_1_INVESTIGATION")
        r_ata_decision = rules.get("ATA_19_7_DECISION")
        judges, districts, officers = self.judges, self.districts, self.officers
        sec_text, sec_norm, moves, court_pools = self.sec_text, self.sec_norm, self.moves, self.court_pools
        prosecutors, district_norm, station_names = self.prosecutors, self.district_norm, self.station_names
        ata_offences, ppc, ppc34, special = self.ata_offences, self.ppc, self.ppc34, self.special
        case_tasks, n_case_tasks = names.CASE_TASKS, len(names.CASE_TASKS)
        for cid, off, sec, did, sid, fir_off, seq, fir in skeleton:
            code, province = districts[did]
            dnorm = district_norm[did]
            station, station_norm = station_names[sid]
            hh, rem = divmod(sec, 3600)
            clock = f"{hh:02d}:{rem // 60:02d}:{rem % 60:02d}.000000{suffix}"
            filed_day = day[off + base]
            created_ts = f"{filed_day} {clock}"
            fir_day = day[fir_off + base]
            fir_year = int(fir_day[:4])
            year = int(filed_day[:4])
            age = today_off - fir_off
            stage = stage_pick[0 if age < 90 else 1 if age < 550 else 2]()
            number = f"{code}-{year}-{seq:06d}"
            u = rand()
            category = "ata" if u < 0.07 else "special" if u < 0.10 else "ordinary"
            trial = stage in TRIAL
            if trial:
                pool = court_pools[(did, "ata" if category == "ata" else "ordinary")]
                court = pool[int(rand() * len(pool))]
            else:
                court = None
            ch_off = off + int(rand() * max(1, today_off - off))
            changed_ts = f"{day[ch_off + base]} {clock}"
            dormant_from = (
                ("charge", "evidence", "evidence", "defence")[int(rand() * 4)] if stage == "dormant" else N
            )
            judgment = day[ch_off + base] if stage in ("judgment", "appeal", "closed") else N
            returns = (1 + (rand() < 0.2)) if stage == "returned" else (1 if trial and rand() < 0.08 else 0)
            text: list[str] = []
            # accused
            n_accused = accused_pick()
            accused = []
            sindh = province == "Sindh"
            for _ in range(n_accused):
                fem = rand() < 0.06
                name, name_ur, sur, name_norm, sur_norm, en_norm = (
                    female[int(rand() * nf)] if fem else male[int(rand() * nm)]
                )
                fa, fa_norm = fathers[int(rand() * nfathers)]
                cnic = f"{4 if sindh else 1}{int(rand() * 1e12):012d}" if rand() < 0.85 else N
                pid = new_id["persons"]()
                persons.append((pid, name, name_ur, f"{fa} {sur}", cnic, "female" if fem else "male",
                                1955 + int(rand() * 50), N, N, created_ts))  # fmt: skip
                text.append(
                    f"{name_norm} {fa_norm} {sur_norm} {cnic}"
                    if cnic
                    else f"{name_norm} {fa_norm} {sur_norm}"
                )
                party = new_id["case_parties"]()
                custody = "absconding" if stage == "dormant" else custody_pick()
                parties.append((party, cid, pid, "accused", custody, 18 + int(rand() * 47), N, N, 0,
                                N, N, N, created_ts, 1))  # fmt: skip
                accused.append((party, name, en_norm))
            # complainant and maybe a private witness
            wstatus = (
                "examined" if stage in ("defence", "arguments", "judgment", "appeal", "closed") else "cited"
            )
            roles = ("complainant", "witness") if rand() < 0.3 else ("complainant",)
            witness = None
            for role in roles:
                fem = rand() < 0.2
                name, name_ur, sur, name_norm, sur_norm, _en = (
                    female[int(rand() * nf)] if fem else male[int(rand() * nm)]
                )
                fa, fa_norm = fathers[int(rand() * nfathers)]
                cnic = f"{4 if sindh else 1}{int(rand() * 1e12):012d}"
                pid = new_id["persons"]()
                persons.append((pid, name, name_ur, f"{fa} {sur}", cnic, "female" if fem else "male",
                                1950 + int(rand() * 55), N, N, created_ts))  # fmt: skip
                party = new_id["case_parties"]()
                protected = 1 if role == "witness" and rand() < 0.02 else 0
                if not protected:  # protected witnesses are not searchable by name
                    text.append(f"{name_norm} {fa_norm} {sur_norm} {cnic}")
                if role == "witness":
                    witness = party
                parties.append((party, cid, pid, role, N, N, "private" if role == "witness" else N,
                                wstatus if role == "witness" else N, protected, N, N, N, created_ts, 1))  # fmt: skip
            # the investigation officer (and often a police witness) from the station's pool
            pool_o = officers[sid]
            io, io_text = pool_o[int(rand() * len(pool_o))]
            party = new_id["case_parties"]()
            parties.append((party, cid, io, "investigation_officer", N, N, N, N, 0,
                            ranks[int(rand() * len(ranks))], f"PS {station}", N, created_ts, 1))  # fmt: skip
            text.append(io_text)
            if rand() < 0.3:
                pw, pw_text = pool_o[int(rand() * len(pool_o))]
                party = new_id["case_parties"]()
                parties.append((party, cid, pw, "witness", N, N, "police", wstatus, 0,
                                ranks[int(rand() * len(ranks))], f"PS {station}", N, created_ts, 1))  # fmt: skip
                text.append(pw_text)
                witness = witness or party
            # offences
            if category == "ata":
                picks = [ata_offences[int(rand() * len(ata_offences))], ppc[int(rand() * len(ppc))]]
            elif category == "special" and special:
                picks = [special[int(rand() * len(special))]]
            else:
                picks = [ppc[int(rand() * len(ppc))]]
                if rand() < 0.5:
                    extra = ppc[int(rand() * len(ppc))]
                    if extra != picks[0]:
                        picks.append(extra)
            if n_accused > 1 and ppc34 and rand() < 0.8:
                picks.append(ppc34)
            first_party, first_name, first_norm = accused[0]
            sections = []
            snorm = []
            for oid in picks:
                sections.append(sec_text[oid])
                snorm.append(sec_norm[oid])
                cg = new_id["case_charges"]()
                charges.append((cg, cid, oid, first_party if rand() < 0.3 else N, "fir", created_ts, creator))
            others = f" and {n_accused - 1} other(s)" if n_accused > 1 else ""
            title = f"State v. {first_name}{others} ({', '.join(sections[:4])})"[:300]
            others_norm = f" and {n_accused - 1} other s" if n_accused > 1 else ""
            ctd = f"CTD-{fir}/{fir_year}" if category == "ata" else N
            ccn = f"S.C. No. {seq}/{year}" if trial and stage != "filed" else N
            fir_no = str(fir)
            facts = f"The complainant reported that the accused {first_name} committed the offence {places[int(rand() * len(places))]}."
            # the text of api.search.service.document_of, normalised as index_case stores it (the
            # pieces are normalised already: the same words as ``normalise`` of the whole)
            sections_norm = " ".join(snorm)
            dword = district_token(did)
            search.append(
                (
                    cid,
                    f"{dnorm} {year} {seq:06d} {fir_no} {fir_no} {fir_year} {station_norm}"
                    + (f" ctd {fir_no} {fir_year}" if ctd else "")
                    + (f" s c no {seq} {year}" if ccn else "")
                    + f" state v {first_norm}{others_norm} {' '.join(snorm[:4])} {' '.join(text)} {sections_norm} {dword}",
                    dword,
                )
            )
            # police report and scrutiny
            rep = rec_off = None
            received = N
            if stage != "intake":
                rep = new_id["police_reports"]()
                rec_off = min(today_off, fir_off + 14 + int(rand() * 30))
                received = day[rec_off + base]
                kind = "final" if stage != "scrutiny" or rand() < 0.7 else "interim"
                reports.append((rep, cid, kind, received, N, created_ts, creator))
                if returns and do_reviews:
                    rv = new_id["scrutiny_reviews"]()
                    reviews.append((rv, cid, rep, "defective_returned", '["incomplete_challan"]', received, N,
                                    N, N, changed_ts))  # fmt: skip
            # the team and the timeline (1-5 events)
            ev = [
                (created_ts, "created", f"Case {number} filed from FIR {fir_no}/{fir_year} ({station})", "{}")
            ]
            pool = prosecutors.get(did)
            lead = None
            if pool and stage != "intake":
                lead = pool[int(rand() * len(pool))]
                if rand() < 0.1:
                    prev = pool[int(rand() * len(pool))]
                    if prev != lead:
                        a = new_id["case_assignments"]()
                        assigns.append((a, cid, prev, "lead", created_ts, changed_ts, N, "transferred"))
                a = new_id["case_assignments"]()
                assigns.append((a, cid, lead, "lead", created_ts, N, N, N))
                ev.append(
                    (created_ts, "assignment", "Prosecutor assigned as lead", f'{{"prosecutor_id": {lead}}}')
                )
            if stage != "intake":
                mv = moves[(stage, dormant_from or None)]
                take = int(rand() * rand() * min(4, len(mv) + 1))
                for summary, details in mv[len(mv) - take :]:
                    ev.append((changed_ts, "transition", summary, details))
            for at, kind, summary, details in ev:
                e = new_id["case_events"]()
                events.append((e, cid, at, creator, kind, summary, details))
            # hearings: the first in court after filing, the latest ones every 2-6 weeks up to the
            # stage change (decided) or to recently, and the next date of an open trial
            next_hearing = N
            filed_off = None
            if trial and rec_off is not None:
                filed_off = max(off, min(rec_off + 3 + int(rand() * 25), ch_off, today_off - 1))
            if do_hearings and trial and court is not None and filed_off is not None:
                lo, more = HEARINGS_PAST[stage]
                n_past = lo + int(rand() * (more + 1))
                open_trial = stage in OPEN_TRIAL
                decided = stage in ("judgment", "appeal", "closed")
                end = (
                    max(filed_off, today_off - 1 - int(rand() * 40))
                    if open_trial
                    else max(filed_off, ch_off if ch_off < today_off else today_off - 1)
                )
                dates = [filed_off]
                m = min(n_past - 1, end - filed_off)
                if m > 0:
                    gap = min(14 + int(rand() * 31), (end - filed_off) // m)
                    dates += [end - gap * (m - 1 - i) for i in range(m)]
                # courts sit Monday to Saturday: a Sunday moves to the Saturday before (dropping a
                # date that would then not come after the one before it)
                kept: list[int] = []
                for o in reversed(dates):
                    o -= sunday[o + base]
                    if not kept or o < kept[-1]:
                        kept.append(o)
                dates = kept[::-1]
                purposes = STAGE_PURPOSES[stage]
                np_ = len(purposes)
                count = len(dates) + (1 if open_trial else 0)
                judge = judges.get(court, N)
                pros = lead or N
                created = f"{day[filed_off + base]} 06:00:00.000000{suffix}"
                last = len(dates) - 1
                for i, o in enumerate(dates):
                    hid = new_id["hearings"]()
                    hday = day[o + base]
                    if decided and i == last:
                        purpose, outcome = "judgment", "decided"
                    else:
                        purpose = purposes[min(np_ - 1, i * np_ // count)] if i else "copies"
                        if rand() < 0.06:
                            purpose = "bail" if rand() < 0.6 else "miscellaneous"
                        outcome = outcome_pick()
                    reason = side = N
                    if outcome == "adjourned":
                        if adjourn_pick is None:
                            outcome = "held"
                        else:
                            reason = adjourn_pick()
                            side = sides[reason]
                    recorded = f"{hday} 09:00:00.000000{suffix}"
                    seen = (
                        witness
                        if witness
                        and outcome == "held"
                        and purpose == "prosecution_evidence"
                        and rand() < 0.5
                        else N
                    )
                    follows = hid + 1 if (i < last or open_trial) else N
                    hearings.append(
                        (hid, cid, did, court, judge, f"{hday} {SLOTS[int(rand() * 8)]}{suffix}", purpose, pros,
                         outcome, reason, side, follows, seen, recorded, pros, created, creator, recorded, 1)
                    )  # fmt: skip
                    created = recorded
                if open_trial:
                    o = today_off + 1 + int(rand() * 45)
                    o += sunday[o + base]
                    next_hearing = f"{day[o + base]} {SLOTS[int(rand() * 8)]}{suffix}"
                    purpose = purposes[-1] if rand() >= 0.06 else "bail"
                    hearings.append(
                        (new_id["hearings"](), cid, did, court, judge, next_hearing, purpose, pros, N, N, N,
                         N, N, N, N, created, creator, created, 1)
                    )  # fmt: skip
            # statutory deadlines (the clocks api.deadlines computes from the FIR, the report and
            # the filing; working days skip Sundays only, not holidays)
            if do_deadlines:
                has_report = rec_off is not None
                met = received
                status = "met" if has_report else "open"
                for rid, days in ((r_inv, 14), (r_interim, 17)):
                    if rid is not None:
                        d = new_id["case_deadlines"]()
                        deadlines.append((d, cid, did, rid, "case", N, fir_day, day[fir_off + days + base],
                                          status, met, N, created_ts, 1))  # fmt: skip
                if category == "ata" and r_ata_inv is not None:
                    d = new_id["case_deadlines"]()
                    due = fir_off + 35 - sunday[fir_off + base]  # 30 working days: 5 weeks of 6
                    deadlines.append((d, cid, did, r_ata_inv, "case", N, fir_day, day[due + base], status, met,
                                      N, created_ts, 1))  # fmt: skip
                if has_report and r_scrutiny is not None:
                    d = new_id["case_deadlines"]()
                    if stage == "scrutiny":
                        st, decided_on = "open", N
                    else:
                        st, decided_on = "met", day[min(today_off, rec_off + int(rand() * 6)) + base]
                    deadlines.append((d, cid, did, r_scrutiny, N, rep, received,
                                      day[rec_off + 3 + base], st, decided_on, N, created_ts, 1))  # fmt: skip
                # an ATA case's court is an anti-terrorism court (its pool holds no other), if any
                if (
                    category == "ata"
                    and r_ata_decision is not None
                    and filed_off is not None
                    and court is not None
                ):
                    d = new_id["case_deadlines"]()
                    st, decided_on = ("met", judgment) if judgment else ("open", N)
                    deadlines.append((d, cid, did, r_ata_decision, "filed", N, day[filed_off + base],
                                      day[filed_off + 7 + base], st, decided_on, N, changed_ts, 1))  # fmt: skip
            # a task now and then for the lead prosecutor
            if do_tasks and lead is not None and rand() < TASK_RATE:
                task_title, items = case_tasks[int(rand() * n_case_tasks)]
                if stage == "closed":
                    st = "done"
                else:
                    u = rand()
                    st = "open" if u < 0.6 else "done" if u < 0.95 else "cancelled"
                if st == "open":
                    due_off = today_off - 20 + int(rand() * 50)
                    done_ts = N
                else:
                    due_off = min(today_off, ch_off + int(rand() * 20))
                    done_ts = f"{day[due_off + base]} 11:00:00.000000{suffix}" if st == "done" else N
                checklist = json.dumps(
                    [{"text": t, "done": st == "done" or rand() < 0.3} for t in items], ensure_ascii=False
                )
                t_id = new_id["tasks"]()
                tasks.append((t_id, cid, did, task_title, N, lead, day[due_off + base], st, checklist, done_ts,
                              changed_ts, creator, done_ts or changed_ts, 1))  # fmt: skip
            cases.append(
                (cid, number, did, year, seq, category, title, stage, changed_ts, dormant_from, returns,
                 1 if rand() < 0.03 else 0, 1 if rand() < 0.05 else 0, 1 if rand() < 0.02 else 0,
                 1 if rand() < 0.06 else 0, court or N, ctd, ccn,
                 fir_no, fir_year, fir_day, sid, day[fir_off - int(rand() * 3) + base],
                 places[int(rand() * len(places))], facts, judgment,
                 "Appeal window passed" if stage == "closed" else N, created_ts, changed_ts, creator, 1,
                 next_hearing)
            )  # fmt: skip
        return out

    # --- shards ------------------------------------------------------------------------------

    def write_shard(self, path: Path, out: dict[str, list[tuple[Any, ...]]]) -> None:
        """One batch's rows in a fresh SQLite file with untyped tables (no journal, no sync)."""
        con = sqlite3.connect(str(path), isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=OFF")
            con.execute("PRAGMA synchronous=OFF")
            con.execute("BEGIN")
            for table, cols in [(p.table, p.columns) for p in self.parts] + [("search", SEARCH_COLS)]:
                con.execute(f"CREATE TABLE {table} ({', '.join(cols)})")
                rows = out.get(table)
                if rows:
                    con.executemany(f"INSERT INTO {table} VALUES ({', '.join('?' * len(cols))})", rows)  # noqa: S608
            con.execute("COMMIT")
        finally:
            con.close()

    def make_shard(
        self, k: int, skeleton: list[tuple[int, ...]], tmp: Path
    ) -> tuple[Path, dict[str, int], float, float]:
        """Generate batch ``k`` and write its shard: (path, rows per table, CPU seconds generating,
        CPU seconds writing)."""
        t = time.process_time()
        out = self.batch(skeleton, random.Random(f"{self.seed}:{k}"))  # noqa: S311
        t_gen = time.process_time() - t
        t = time.process_time()
        path = tmp / f"shard-{k}.db"
        self.write_shard(path, out)
        counts = {table: len(rows) for table, rows in out.items()}
        return path, counts, t_gen, time.process_time() - t

    def _shards(
        self, batches: list[list[tuple[int, ...]]], tmp: Path
    ) -> Iterator[tuple[Path, dict[str, int], float, float]]:
        """The shards in batch order; made by forked workers while this process loads (both cores
        busy), or in-process for small runs and where fork is unavailable."""
        workers = max(1, min(len(batches), (os.cpu_count() or 1), 4))
        if self.n < FORK_FROM or workers < 2 or "fork" not in multiprocessing.get_all_start_methods():
            self.stats.workers = 0
            for k, skeleton in enumerate(batches):
                yield self.make_shard(k, skeleton, tmp)
            return
        self.stats.workers = workers
        ctx = multiprocessing.get_context("fork")
        results = ctx.Queue()
        slots = [ctx.Semaphore(AHEAD) for _ in range(workers)]
        procs = [
            ctx.Process(target=self._work, args=(j, workers, batches, tmp, results, slots[j]), daemon=True)
            for j in range(workers)
        ]
        for p in procs:
            p.start()
        ready: dict[int, tuple[Path, dict[str, int], float, float]] = {}
        try:
            for k in range(len(batches)):
                while k not in ready:
                    try:
                        msg = results.get(timeout=5)
                    except queue_module.Empty:
                        dead = [p for p in procs if p.exitcode not in (None, 0)]
                        if dead:
                            raise RuntimeError(
                                f"a generator process died (exit code {dead[0].exitcode})"
                            ) from None
                        continue
                    if msg[0] == "error":
                        raise RuntimeError(f"the generator process failed:\n{msg[1]}")
                    ready[msg[1]] = msg[2]
                yield ready.pop(k)
                slots[k % workers].release()
        finally:
            for p in procs:
                p.join(timeout=5)
                if p.is_alive():
                    p.terminate()
            results.close()

    def _work(
        self, j: int, workers: int, batches: list[list[tuple[int, ...]]], tmp: Path, results: Any, slot: Any
    ) -> None:
        try:
            for k in range(j, len(batches), workers):
                slot.acquire()
                results.put(("ok", k, self.make_shard(k, batches[k], tmp)))
        except BaseException:
            results.put(("error", traceback.format_exc()))
        finally:
            results.close()
            results.join_thread()
            os._exit(0)  # never run the parent's finalizers (its database connection) in the child

    def _transitions(self) -> dict[tuple[str, str | None], list[tuple[str, str]]]:
        """(stage, dormant_from) → the moves that led there, as (summary, details JSON)."""
        result = {}
        for stage in STAGE_MIX[0].keys() | STAGE_MIX[1].keys() | STAGE_MIX[2].keys():
            for dormant_from in (None, "charge", "evidence", "defence") if stage == "dormant" else (None,):
                target = dormant_from if stage == "dormant" else stage
                if stage == "returned":
                    path = ["intake", "scrutiny", "returned"]
                else:
                    path = (
                        list(STAGE_PATH[: STAGE_PATH.index(target) + 1])
                        if target in STAGE_PATH
                        else ["intake"]
                    )
                if stage in ("appeal", "closed", "dormant"):
                    path.append(stage)
                result[(stage, dormant_from)] = [
                    (f"Moved from {a} to {b}", json.dumps({"from": a, "to": b}))
                    for a, b in itertools.pairwise(path)
                ]
        return result

    def office_tasks(self, now_ts: str) -> list[tuple[Any, ...]]:
        """A task without a case for every bench prosecutor (the monthly report and the like)."""
        today_off = (self.today - START).days
        rows = []
        for did, uids in sorted(self.prosecutors.items()):
            for uid in uids:
                title = names.OFFICE_TASKS[self.rnd.randrange(len(names.OFFICE_TASKS))]
                due = self.day[today_off + self.rnd.randrange(-10, 20) + self.day_base]
                rows.append((self.next_id("tasks"), None, did, title, None, uid, due, "open", "[]", None, now_ts,
                             self.creator, now_ts, 1))  # fmt: skip
        return rows

    def run(self, *, batch: int, progress: Callable[[str], None] | None = None) -> Stats:
        from api.demo import DEMO_PASSWORD
        from api.security import hash_password

        clock = self.w.clock
        t0 = time.perf_counter()
        now = datetime.now(UTC)
        now_ts = self.w.ts(now)
        with clock("prepare"):
            self.prepare(now_ts, hash_password(DEMO_PASSWORD))
        with clock("plan"):
            skeleton = self.plan()
            batches = [skeleton[i : i + batch] for i in range(0, len(skeleton), batch)]
            del skeleton
        with clock("load: begin"):
            self.w.begin_load((p.table for p in self.parts), bulk=self.n >= FORK_FROM)
        bases = dict(self.ids)  # shard-local ids start here (cases: global ids from the plan)
        #: rows of each table loaded so far: the shift of the next shard's ids (none for cases)
        shifts = dict.fromkeys(bases, 0)

        def ref(col: str, table: str) -> str:
            """``col``, a shard-local id of ``table``, as the id it gets in the database."""
            shift = shifts.get(table, 0)
            if not shift:
                return col
            if table == "persons":  # the officers' pool persons keep their ids
                return f"CASE WHEN {col} >= {bases[table]} THEN {col} + {shift} ELSE {col} END"
            return f"({col} + {shift})"

        done = 0
        tmp = Path(
            tempfile.mkdtemp(prefix="cmms-seed-", dir=SHARD_DIR if os.access(SHARD_DIR, os.W_OK) else None)
        )
        try:
            shards = self._shards(batches, tmp)
            while True:
                with clock("load: waiting for a shard"):
                    item = next(shards, None)
                if item is None:
                    break
                path, counts, t_gen, t_write = item
                self.stats.worker_cpu["generate rows"] += t_gen
                self.stats.worker_cpu["write shards"] += t_write
                plan = Load(
                    [
                        (p.table, *p.select(self.columns_of(p.table), ref))
                        for p in self.parts
                        if counts.get(p.table)
                    ],
                    search="case_search" in self.present,
                )
                self.w.load(path, plan)
                path.unlink()
                for table, n in counts.items():
                    if table in shifts and table != "cases":
                        shifts[table] += n
                    if n and table != "search":
                        self.stats.rows[table] += n
                done += counts["cases"]
                if progress:
                    progress(f"  {done:>9,} cases  {time.perf_counter() - t0:6.1f} s")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        self.ids = {tb: first + shifts[tb] for tb, first in bases.items()}
        with clock("numbers and office tasks"):
            for (did, year), last in self.seqs.items():
                self.w.execute(
                    "INSERT INTO case_number_sequences (district_id, year, last) VALUES (?, ?, ?) "
                    "ON CONFLICT (district_id, year) DO UPDATE SET last = excluded.last",
                    (did, year, last),
                )
            if any(p.table == "tasks" for p in self.parts):
                office = self.office_tasks(now_ts)
                cols, _select = Part("tasks", TASK_COLS).select(self.columns_of("tasks"), lambda c, _t: c)
                keep = [TASK_COLS.index(c) for c in cols if c in TASK_COLS]
                fill = tuple(FILL[c] for c in cols if c not in TASK_COLS)
                self.w.insert("tasks", cols, [tuple(r[i] for i in keep) + fill for r in office])
                self.stats.rows["tasks"] += len(office)
            self.w.commit()
        self.w.finish_load()
        self.stats.cases = done
        self.stats.rows["case_search"] = done
        return self.stats

    def columns_of(self, table: str) -> dict[str, bool]:
        if table not in self._columns:
            self._columns[table] = self.w.columns(table)
        return self._columns[table]


def seed_bench(
    url: str,
    *,
    cases: int,
    seed: int = 1,
    batch: int = 20_000,
    schedules: bool = True,
    progress: Callable[[str], None] | None = None,
) -> Stats:
    """Add ``cases`` synthetic cases (and their people, charges, reports, team, timeline, search
    rows and, with ``schedules``, hearings, deadlines and tasks) to the database at ``url``, whose
    schema and reference data must exist."""
    started = time.perf_counter()
    parsed = make_url(url)
    today = datetime.now(UTC).date()
    if parsed.drivername.startswith("sqlite"):
        writer: Writer = SqliteWriter(parsed.database or "")
        engine = None
    else:
        engine = create_engine(url)
        if "cases" not in inspect(engine).get_table_names():
            raise RuntimeError("no cases table: run `cmms migrate` first")
        writer = PostgresWriter(engine)
    try:
        gen = Generator(writer, seed=seed, cases=cases, today=today, schedules=schedules)
        stats = gen.run(batch=batch, progress=progress)
        writer.close()  # restores the pragmas, checkpoints: part of the seed time
        if "prosecutor_loads" in gen.present:
            with writer.clock("workload tables"):
                _rebuild_workload(url)
        stats.phases = {name: (writer.clock.wall[name], writer.clock.cpu[name]) for name in writer.clock.wall}
        stats.seconds = time.perf_counter() - started
    finally:
        if engine is not None:
            engine.dispose()
    return stats


def _rebuild_workload(url: str) -> None:
    """The workload tables (api/counsel/loads.py) are kept by the services' event handlers, which
    a bulk load bypasses: recompute them from the assignments, as ``cmms workload rebuild`` does."""
    from sqlalchemy.orm import Session

    from api.counsel import loads
    from api.db import make_engine

    engine = make_engine(url, pooled=False)
    try:
        with Session(engine) as session:
            loads.rebuild(session)
            session.commit()
    finally:
        engine.dispose()


def summary(stats: Stats) -> Iterable[str]:
    yield f"seeded {stats.cases:,} cases in {stats.seconds:.1f} s ({stats.cases / max(stats.seconds, 1e-9):,.0f}/s)"
    yield (
        f"  schedules {'included' if stats.schedules else 'left out'}; "
        f"{stats.workers or 'no'} generator process(es)"
    )
    yield f"bench prosecutors created: {stats.users}"
    for table, n in sorted(stats.rows.items()):
        yield f"  {table:<18} {n:>12,}"
    yield f"{'this process':<36} {'wall s':>8} {'CPU s':>8}"
    for name, (wall, cpu) in stats.phases.items():
        yield f"  {name:<34} {wall:8.1f} {cpu:8.1f}"
    label = "generator processes" if stats.workers else "generating (in this process)"
    yield f"{label:<36} {'':>8} {'CPU s':>8}"
    for name, cpu in stats.worker_cpu.items():
        yield f"  {name:<34} {'':>8} {cpu:8.1f}"
