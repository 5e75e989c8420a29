"""Synthetic case data at scale (``cmms seed-bench``), written straight into the database.

Rows are generated in batches of cases (ids assigned here, so related rows link without
RETURNING) and written with sqlite3 ``executemany`` (bulk PRAGMAs, restored afterwards) or
PostgreSQL ``COPY``. It bypasses the services on purpose: no audit entries, no idempotency keys.
Stop the server while it runs on SQLite.

Each table is produced by a ``Part``: a name, its columns and a function turning one generated
case (a ``Draft``) into rows. A part whose table does not exist yet is skipped, so a new table
(hearings, documents) plugs in by appending a ``Part`` to ``PARTS``.
"""

from __future__ import annotations

import bisect
import itertools
import json
import multiprocessing
import os
import random
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import Engine, make_url

from api.bench import names
from api.search.service import district_token, normalise

START = date(2015, 3, 1)
STAGE_PATH = ("intake", "scrutiny", "filed", "charge", "evidence", "defence", "arguments", "judgment")
TRIAL = ("filed", "charge", "evidence", "defence", "arguments", "judgment", "appeal", "closed", "dormant")
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
OUTCOME_REASONS = ("convicted", "acquitted", "compounded", "withdrawn")


class Picker:
    """Weighted choice with one random() and a bisect."""

    def __init__(self, weights: dict[Any, int], rnd: random.Random) -> None:
        self.items = list(weights)
        self.cum = list(itertools.accumulate(weights.values()))
        self.total = self.cum[-1]
        self.rnd = rnd

    def __call__(self) -> Any:
        return self.items[bisect.bisect_right(self.cum, self.rnd.random() * self.total)]


#: values for NOT NULL columns a part does not produce (added to a table after this generator)
FILL: dict[str, Any] = {"version": 1}


@dataclass
class Part:
    table: str
    columns: tuple[str, ...]

    def adapt(
        self, present: dict[str, bool]
    ) -> tuple[tuple[str, ...], Callable[[tuple[Any, ...]], tuple[Any, ...]] | None]:
        """The columns to write and a row mapper, when the table's columns differ from ours."""
        keep = [i for i, c in enumerate(self.columns) if c in present]
        extra = [c for c, required in present.items() if required and c not in self.columns]
        missing = [c for c in extra if c not in FILL]
        if missing:
            raise RuntimeError(
                f"seed-bench cannot fill {self.table}.{', '.join(missing)}: extend the generator"
            )
        if len(keep) == len(self.columns) and not extra:
            return self.columns, None
        cols = tuple(self.columns[i] for i in keep) + tuple(extra)
        tail = tuple(FILL[c] for c in extra)
        return cols, lambda row: tuple(row[i] for i in keep) + tail


# --- writers --------------------------------------------------------------------------------


class Writer:
    dialect = ""

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

    def search(self, rows: list[tuple[int, str]]) -> None:
        raise NotImplementedError

    def execute(self, sql: str, params: Any = None) -> None:
        raise NotImplementedError

    def commit(self) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def ts(self, dt: datetime) -> Any:
        raise NotImplementedError


class SqliteWriter(Writer):
    """sqlite3 executemany in large transactions; synchronous=OFF and a big cache while loading."""

    dialect = "sqlite"

    def __init__(self, path: str) -> None:
        import sqlite3

        self.conn = sqlite3.connect(path, isolation_level=None, timeout=60)
        cur = self.conn.cursor()
        self.saved = {
            p: cur.execute(f"PRAGMA {p}").fetchone()[0] for p in ("synchronous", "cache_size", "temp_store")
        }
        cur.execute("PRAGMA journal_mode=WAL")
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

    def search(self, rows: list[tuple[int, str]]) -> None:
        self.conn.executemany("INSERT INTO case_search (rowid, body) VALUES (?, ?)", rows)

    def execute(self, sql: str, params: Any = None) -> None:
        self.conn.execute(sql, params or ())

    def drop_indexes(self, tables: Iterable[str]) -> None:
        """Drop the secondary indexes of ``tables`` for the load (rebuilt by sorting in ``close``,
        far faster than a million random B-tree inserts). Unique constraints stay."""
        marks = ", ".join("?" * len(list(tables)))
        self.indexes = self.conn.execute(
            f"SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN ({marks})",  # noqa: S608
            tuple(tables),
        ).fetchall()
        for name, _sql in self.indexes:
            self.conn.execute(f"DROP INDEX {name}")

    def restore_indexes(self) -> None:
        for _name, sql in getattr(self, "indexes", []):
            self.conn.execute(sql)
        self.indexes = []

    def commit(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("BEGIN IMMEDIATE")

    def close(self) -> None:
        self.restore_indexes()
        self.conn.execute("COMMIT")
        for p, v in self.saved.items():
            self.conn.execute(f"PRAGMA {p}={v}")
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        self.conn.close()

    def ts(self, dt: datetime) -> str:
        return dt.strftime("%Y-%m-%d %H:%M:%S.%f")


class PostgresWriter(Writer):
    """COPY FROM STDIN per table and batch; the search rows go through to_tsvector in SQL."""

    dialect = "postgresql"

    def __init__(self, engine: Engine) -> None:
        self.raw = engine.raw_connection()
        self.conn = self.raw.driver_connection
        self.cur = self.conn.cursor()
        self.cur.execute("SET synchronous_commit = off")
        self.cur.execute("CREATE TEMP TABLE bench_search (case_id integer, body text)")

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

    def insert(self, table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        with self.cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def search(self, rows: list[tuple[int, str]]) -> None:
        self.insert("bench_search", ("case_id", "body"), rows)
        self.cur.execute(
            "INSERT INTO case_search (case_id, tsv) SELECT case_id, to_tsvector('simple', body) FROM bench_search"
        )
        self.cur.execute("TRUNCATE bench_search")

    def execute(self, sql: str, params: Any = None) -> None:
        self.cur.execute(sql.replace("?", "%s"), params)

    def commit(self) -> None:
        self.conn.commit()

    def close(self) -> None:
        for table in ("persons", "cases", "case_parties", "case_charges", "case_events", "police_reports",
                      "scrutiny_reviews", "case_assignments", "users"):  # fmt: skip
            self.cur.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "  # noqa: S608
                f"(SELECT coalesce(max(id), 0) + 1 FROM {table}), false)"
            )
        self.conn.commit()
        self.conn.autocommit = True
        self.cur.execute("ANALYZE")
        self.raw.close()

    def ts(self, dt: datetime) -> str:
        return dt.strftime("%Y-%m-%d %H:%M:%S.%f+00")


# --- the generator --------------------------------------------------------------------------

CASE_COLS = (
    "id", "number", "district_id", "year", "seq", "category", "title", "stage", "stage_changed_at",
    "dormant_from", "returns_count", "restricted", "complex", "juvenile", "gender_based_violence",
    "court_id", "ctd_number", "court_case_number", "fir_number", "fir_year", "fir_date",
    "police_station_id", "occurrence_date", "occurrence_place", "brief_facts", "judgment_date",
    "closed_reason", "created_at", "updated_at", "created_by", "version",
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

#: tables in write order (parents first); absent tables are skipped
PARTS: list[Part] = [
    Part("persons", PERSON_COLS),
    Part("cases", CASE_COLS),
    Part("case_parties", PARTY_COLS),
    Part("case_charges", CHARGE_COLS),
    Part("police_reports", REPORT_COLS),
    Part("scrutiny_reviews", REVIEW_COLS),
    Part("case_assignments", ASSIGN_COLS),
    Part("case_events", EVENT_COLS),
]


@dataclass
class Stats:
    cases: int = 0
    rows: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    seconds: float = 0.0
    users: int = 0


class Generator:
    def __init__(self, w: Writer, *, seed: int, cases: int, today: date) -> None:
        self.w = w
        self.rnd = rnd = random.Random(seed)  # noqa: S311
        self.today = today
        self.present = w.tables()
        self.n = cases
        self.ids = {
            p.table: int(w.scalar(f"SELECT coalesce(max(id), 0) FROM {p.table}") or 0) + 1  # noqa: S608
            for p in PARTS
            if p.table in self.present
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
        self.district_pick = Picker({d: len(s) + 2 for d, s in sorted(stations.items())}, rnd)
        courts: dict[tuple[Any, str], list[int]] = defaultdict(list)
        for cid, did, ctype, prov in w.all("SELECT id, district_id, court_type, province FROM courts"):
            kind = "ata" if ctype == "anti_terrorism" else "ordinary" if ctype in (
                "sessions", "additional_sessions", "judicial_magistrate", "special") else None  # fmt: skip
            if kind:
                courts[(did, kind)].append(cid)
                courts[(prov, kind)].append(cid)
        self.courts = courts
        offences = w.all("SELECT id, statute, section FROM offences ORDER BY id")
        self.off = {o[0]: (o[1], o[2]) for o in offences}
        self.ata_offences = [o[0] for o in offences if o[1] == "ATA"]
        self.ppc = [o[0] for o in offences if o[1] == "PPC" and o[2] not in ("34", "109", "114", "120-B")]
        self.ppc34 = next((o[0] for o in offences if o[1] == "PPC" and o[2] == "34"), None)
        self.special = [o[0] for o in offences if o[1] not in ("PPC", "ATA")]
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
        self.stage_pick = [Picker(m, rnd) for m in STAGE_MIX]
        self.custody_pick = Picker(CUSTODY_MIX, rnd)
        self.accused_pick = Picker({1: 55, 2: 25, 3: 12, 4: 8}, rnd)
        self.prosecutors: dict[int, list[int]] = defaultdict(list)
        self.officers: dict[int, list[int]] = {}
        self.stats = Stats()

    # ids
    def next_id(self, table: str) -> int:
        i = self.ids[table]
        self.ids[table] = i + 1
        return i

    def cnic(self, province: str) -> str:
        first = "4" if province == "Sindh" else "1"
        return f"{first}{self.rnd.randrange(10**11, 10**12)}{self.rnd.randrange(1, 10)}"

    # reference pools created up front: police officers per station, bench prosecutors per district
    def prepare(self, now_ts: str, password_hash: str) -> None:
        w = self.w
        persons = []
        for did, sts in self.stations.items():
            province = self.districts[did][1]
            for sid, _name in sts:
                pool = []
                for _ in range(8):
                    given, sur = self.rnd.choice(names.MALE), self.rnd.choice(names.SURNAMES)
                    pid = self.next_id("persons")
                    persons.append(
                        (pid, f"{given[0]} {sur[0]}", f"{given[1]} {sur[1]}", None, self.cnic(province),
                         "male", self.rnd.randrange(1965, 2000), None, None, now_ts)
                    )  # fmt: skip
                    pool.append((pid, f"{given[0]} {sur[0]} {given[1]} {sur[1]}"))
                self.officers[sid] = pool
        w.insert("persons", PERSON_COLS, persons)
        self.stats.rows["persons"] += len(persons)
        # prosecutors: existing active ones of each district, plus bench users (about 1 per 1,500 cases)
        for uid, did in w.all(
            "SELECT u.id, u.district_id FROM users u JOIN user_roles r ON r.user_id = u.id "
            "WHERE r.role = 'prosecutor' AND u.is_active AND u.district_id IS NOT NULL"
        ):
            self.prosecutors[did].append(uid)
        weights = {d: len(s) + 2 for d, s in self.stations.items()}
        total = sum(weights.values())
        existing = {r[0] for r in w.all("SELECT username FROM users WHERE username LIKE 'bench.%'")}
        users, roles = [], []
        for did, wt in sorted(weights.items()):
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
        # precomputed pieces for the hot loop
        self.male = [(f"{g} {s}", f"{gu} {su}", s) for g, gu in names.MALE for s, su in names.SURNAMES]
        self.female = [(f"{g} {s}", f"{gu} {su}", s) for g, gu in names.FEMALE for s, su in names.SURNAMES]
        self.fathers = [g for g, _ in names.MALE]
        self.court_pools = {
            (did, kind): self.courts.get((did, kind))
            or self.courts.get((self.districts[did][1], kind))
            or [None]
            for did in self.stations
            for kind in ("ata", "ordinary")
        }

    def batch(
        self, created: list[tuple[int, int]]
    ) -> tuple[dict[str, list[tuple[Any, ...]]], list[tuple[int, str]]]:
        """Rows of a batch of cases; ``created`` holds (day offset from START, second of the day)."""
        out: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
        search: list[tuple[int, str]] = []
        rand = self.rnd.random
        ids = self.ids
        suffix = "+00" if self.w.dialect == "postgresql" else ""
        day, base = self.day, self.day_base
        persons, parties, charges = out["persons"], out["case_parties"], out["case_charges"]
        cases, reports, reviews = out["cases"], out["police_reports"], out["scrutiny_reviews"]
        assigns, events = out["case_assignments"], out["case_events"]
        male, female, fathers, surnames_n = self.male, self.female, self.fathers, len(self.fathers)
        nm, nf = len(male), len(female)
        today_off = (self.today - START).days
        creator = self.creator
        places, ranks = names.PLACES, names.RANKS
        do_reviews = "scrutiny_reviews" in self.present
        for off, sec in created:
            cid = ids["cases"]
            ids["cases"] = cid + 1
            did = self.district_pick()
            code, province = self.districts[did]
            sts = self.stations[did]
            sid, station = sts[int(rand() * len(sts))]
            hh, rem = divmod(sec, 3600)
            created_ts = f"{day[off + base]} {hh:02d}:{rem // 60:02d}:{rem % 60:02d}.000000{suffix}"
            fir_off = off - 2 - int(rand() * 43)
            fir_day = day[fir_off + base]
            fir_year = int(fir_day[:4])
            age = today_off - fir_off
            stage = self.stage_pick[0 if age < 90 else 1 if age < 550 else 2]()
            year = int(day[off + base][:4])
            key = (did, year)
            seq = self.seqs.get(key, 0) + 1
            self.seqs[key] = seq
            number = f"{code}-{year}-{seq:06d}"
            fkey = (sid, fir_year)
            fir = self.firs[fkey] + 1
            self.firs[fkey] = fir
            u = rand()
            category = "ata" if u < 0.07 else "special" if u < 0.10 else "ordinary"
            trial = stage in TRIAL
            if trial:
                pool = self.court_pools[(did, "ata" if category == "ata" else "ordinary")]
                court = pool[int(rand() * len(pool))]
            else:
                court = None
            ch_off = off + int(rand() * max(1, today_off - off))
            changed_ts = f"{day[ch_off + base]} {hh:02d}:{rem // 60:02d}:{rem % 60:02d}.000000{suffix}"
            dormant_from = (
                ("charge", "evidence", "evidence", "defence")[int(rand() * 4)] if stage == "dormant" else None
            )
            judgment = day[ch_off + base] if stage in ("judgment", "appeal", "closed") else None
            returns = (1 + (rand() < 0.2)) if stage == "returned" else (1 if trial and rand() < 0.08 else 0)
            text: list[str] = []
            # accused
            n_accused = self.accused_pick()
            accused = []
            for _ in range(n_accused):
                fem = rand() < 0.06
                name, name_ur, sur = female[int(rand() * nf)] if fem else male[int(rand() * nm)]
                father = f"{fathers[int(rand() * surnames_n)]} {sur}"
                cnic = (
                    f"{4 if province == 'Sindh' else 1}{int(rand() * 1e12):012d}" if rand() < 0.85 else None
                )
                pid = ids["persons"]
                ids["persons"] = pid + 1
                persons.append((pid, name, name_ur, father, cnic, "female" if fem else "male",
                                1955 + int(rand() * 50), None, None, created_ts))  # fmt: skip
                text.append(f"{name} {name_ur} {father} {cnic or ''}")
                party = ids["case_parties"]
                ids["case_parties"] = party + 1
                custody = "absconding" if stage == "dormant" else self.custody_pick()
                parties.append((party, cid, pid, "accused", custody, 18 + int(rand() * 47), None, None, False,
                                None, None, None, created_ts, 1))  # fmt: skip
                accused.append((party, name))
            # complainant and maybe a private witness
            wstatus = (
                "examined" if stage in ("defence", "arguments", "judgment", "appeal", "closed") else "cited"
            )
            roles = ("complainant", "witness") if rand() < 0.3 else ("complainant",)
            for role in roles:
                fem = rand() < 0.2
                name, name_ur, sur = female[int(rand() * nf)] if fem else male[int(rand() * nm)]
                father = f"{fathers[int(rand() * surnames_n)]} {sur}"
                cnic = f"{4 if province == 'Sindh' else 1}{int(rand() * 1e12):012d}"
                pid = ids["persons"]
                ids["persons"] = pid + 1
                persons.append((pid, name, name_ur, father, cnic, "female" if fem else "male",
                                1950 + int(rand() * 55), None, None, created_ts))  # fmt: skip
                party = ids["case_parties"]
                ids["case_parties"] = party + 1
                protected = role == "witness" and rand() < 0.02
                if not protected:  # protected witnesses are not searchable by name
                    text.append(f"{name} {name_ur} {father} {cnic}")
                parties.append((party, cid, pid, role, None, None, "private" if role == "witness" else None,
                                wstatus if role == "witness" else None, protected, None, None, None, created_ts, 1))  # fmt: skip
            # the investigation officer (and often a police witness) from the station's pool
            officers = self.officers[sid]
            io, io_text = officers[int(rand() * len(officers))]
            party = ids["case_parties"]
            ids["case_parties"] = party + 1
            parties.append((party, cid, io, "investigation_officer", None, None, None, None, False,
                            ranks[int(rand() * len(ranks))], f"PS {station}", None, created_ts, 1))  # fmt: skip
            text.append(io_text)
            if rand() < 0.3:
                pw, pw_text = officers[int(rand() * len(officers))]
                party = ids["case_parties"]
                ids["case_parties"] = party + 1
                parties.append((party, cid, pw, "witness", None, None, "police", wstatus, False,
                                ranks[int(rand() * len(ranks))], f"PS {station}", None, created_ts, 1))  # fmt: skip
                text.append(pw_text)
            # offences
            if category == "ata":
                picks = [
                    self.ata_offences[int(rand() * len(self.ata_offences))],
                    self.ppc[int(rand() * len(self.ppc))],
                ]
            elif category == "special" and self.special:
                picks = [self.special[int(rand() * len(self.special))]]
            else:
                picks = [self.ppc[int(rand() * len(self.ppc))]]
                if rand() < 0.5:
                    extra = self.ppc[int(rand() * len(self.ppc))]
                    if extra != picks[0]:
                        picks.append(extra)
            if n_accused > 1 and self.ppc34 and rand() < 0.8:
                picks.append(self.ppc34)
            sections = []
            for oid in picks:
                sec_text = self.sec_text[oid]
                sections.append(sec_text)
                cg = ids["case_charges"]
                ids["case_charges"] = cg + 1
                charges.append(
                    (cg, cid, oid, accused[0][0] if rand() < 0.3 else None, "fir", created_ts, creator)
                )
            first = accused[0][1] + (f" and {n_accused - 1} other(s)" if n_accused > 1 else "")
            title = f"State v. {first} ({', '.join(sections[:4])})"[:300]
            ctd = f"CTD-{fir}/{fir_year}" if category == "ata" else None
            ccn = f"S.C. No. {seq}/{year}" if trial and stage != "filed" else None
            fir_no = str(fir)
            facts = f"The complainant reported that the accused {accused[0][1]} committed the offence {places[int(rand() * len(places))]}."
            cases.append(
                (cid, number, did, year, seq, category, title, stage, changed_ts, dormant_from, returns,
                 rand() < 0.03, rand() < 0.05, rand() < 0.02, rand() < 0.06, court, ctd, ccn,
                 fir_no, fir_year, fir_day, sid, day[fir_off - int(rand() * 3) + base],
                 places[int(rand() * len(places))], facts, judgment,
                 "Appeal window passed" if stage == "closed" else None, created_ts, changed_ts, creator, 1)
            )  # fmt: skip
            # the text of api.search.service.document_of, normalised as index_case stores it
            search.append(
                (
                    cid,
                    normalise(
                        f"{number} {fir_no} {fir_no}/{fir_year} {station} {ctd or ''} {ccn or ''} {title} "
                        f"{' '.join(text)} {' '.join(sections)} {district_token(did)}"
                    ),
                )
            )
            # police report and scrutiny
            if stage != "intake":
                rep = ids["police_reports"]
                ids["police_reports"] = rep + 1
                received = day[min(today_off, fir_off + 14 + int(rand() * 30)) + base]
                kind = "final" if stage != "scrutiny" or rand() < 0.7 else "interim"
                reports.append((rep, cid, kind, received, None, created_ts, creator))
                if returns and do_reviews:
                    rv = ids["scrutiny_reviews"]
                    ids["scrutiny_reviews"] = rv + 1
                    reviews.append((rv, cid, rep, "defective_returned", '["incomplete_challan"]', received, None,
                                    None, None, changed_ts))  # fmt: skip
            # the team and the timeline (1-5 events)
            ev = [
                (created_ts, "created", f"Case {number} filed from FIR {fir_no}/{fir_year} ({station})", "{}")
            ]
            pool = self.prosecutors.get(did)
            if pool and stage != "intake":
                lead = pool[int(rand() * len(pool))]
                if rand() < 0.1:
                    prev = pool[int(rand() * len(pool))]
                    if prev != lead:
                        a = ids["case_assignments"]
                        ids["case_assignments"] = a + 1
                        assigns.append((a, cid, prev, "lead", created_ts, changed_ts, None, "transferred"))
                a = ids["case_assignments"]
                ids["case_assignments"] = a + 1
                assigns.append((a, cid, lead, "lead", created_ts, None, None, None))
                ev.append(
                    (created_ts, "assignment", "Prosecutor assigned as lead", f'{{"prosecutor_id": {lead}}}')
                )
            if stage != "intake":
                moves = self.moves[(stage, dormant_from)]
                take = int(rand() * rand() * min(4, len(moves) + 1))
                for summary, details in moves[len(moves) - take :]:
                    ev.append((changed_ts, "transition", summary, details))
            for at, kind, summary, details in ev:
                e = ids["case_events"]
                ids["case_events"] = e + 1
                events.append((e, cid, at, creator, kind, summary, details))
        return out, search

    def _batches(self, offsets: list[int], size: int) -> Iterator[Any]:
        """Batches of rows; generated in a forked child while this process writes (two cores busy),
        or in-process for small runs and where fork is unavailable."""
        rand = self.rnd.random
        chunks = (
            [(o, 28800 + int(rand() * 36000)) for o in offsets[i : i + size]]
            for i in range(0, len(offsets), size)
        )
        if len(offsets) < 50_000 or "fork" not in multiprocessing.get_all_start_methods():
            yield from (self.batch(c) for c in chunks)
            return
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue(maxsize=3)
        child = ctx.Process(target=self._produce, args=(chunks, queue), daemon=True)
        child.start()
        try:
            while True:
                item = queue.get()
                if isinstance(item, BaseException):
                    raise RuntimeError(f"the generator process failed: {item!r}")
                if item[0] == "done":
                    self.seqs = item[1]
                    return
                yield item
        finally:
            child.join(timeout=5)
            if child.is_alive():
                child.terminate()

    def _produce(self, chunks: Iterable[list[tuple[int, int]]], queue: Any) -> None:
        try:
            for chunk in chunks:
                queue.put(self.batch(chunk))
            queue.put(("done", self.seqs))
        except BaseException as exc:
            queue.put(exc)
        finally:
            queue.close()
            queue.join_thread()
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

    def run(self, *, batch: int, progress: Callable[[str], None] | None = None) -> Stats:
        from api.demo import DEMO_PASSWORD
        from api.security import hash_password

        t0 = time.perf_counter()
        now = datetime.now(UTC)
        self.prepare(self.w.ts(now), hash_password(DEMO_PASSWORD))
        span = (self.today - START).days
        self.day_base = 60
        self.day = [
            (START + timedelta(days=i - self.day_base)).isoformat() for i in range(span + self.day_base + 1)
        ]
        self.sec_text = {oid: f"{st} {sec}" for oid, (st, sec) in self.off.items()}
        self.moves = self._transitions()
        parts = []
        for p in PARTS:
            if p.table in self.present:
                cols, mapper = p.adapt(self.w.columns(p.table))
                parts.append((p.table, cols, mapper))
        if isinstance(self.w, SqliteWriter) and self.n >= 50_000:
            self.w.drop_indexes([t for t, _c, _m in parts])
        rand = self.rnd.random
        # filing days, denser in recent years, in order (ids follow filing order)
        offsets = sorted(int(span * rand() ** 0.7) for _ in range(self.n))
        done = 0
        for out, search in self._batches(offsets, batch):
            for table, cols, mapper in parts:
                rows = out.get(table)
                if not rows:
                    continue
                if mapper is not None:
                    rows = [mapper(row) for row in rows]
                self.w.insert(table, cols, rows)
                self.stats.rows[table] += len(rows)
            self.w.search(search)
            self.w.commit()
            done += len(search)
            if progress:
                progress(f"  {done:>9,} cases  {time.perf_counter() - t0:6.1f} s")
        for (did, year), last in self.seqs.items():
            self.w.execute(
                "INSERT INTO case_number_sequences (district_id, year, last) VALUES (?, ?, ?) "
                "ON CONFLICT (district_id, year) DO UPDATE SET last = excluded.last",
                (did, year, last),
            )
        self.w.commit()
        self.stats.cases = done
        self.stats.rows["case_search"] = done
        self.stats.seconds = time.perf_counter() - t0
        return self.stats


def _chunks(items: list[int], size: int) -> Iterator[list[int]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def seed_bench(
    url: str,
    *,
    cases: int,
    seed: int = 1,
    batch: int = 20_000,
    progress: Callable[[str], None] | None = None,
) -> Stats:
    """Add ``cases`` synthetic cases (and their people, charges, reports, team, timeline and search
    rows) to the database at ``url``, whose schema and reference data must exist."""
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
        gen = Generator(writer, seed=seed, cases=cases, today=today)
        stats = gen.run(batch=batch, progress=progress)
        writer.close()  # rebuilds the deferred indexes: part of the seed time
        stats.seconds = time.perf_counter() - started
    finally:
        if engine is not None:
            engine.dispose()
    return stats


def summary(stats: Stats) -> Iterable[str]:
    yield f"seeded {stats.cases:,} cases in {stats.seconds:.1f} s ({stats.cases / max(stats.seconds, 1e-9):,.0f}/s)"
    yield f"bench prosecutors created: {stats.users}"
    for table, n in sorted(stats.rows.items()):
        yield f"  {table:<18} {n:>12,}"
