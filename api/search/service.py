"""Full-text search over cases behind one service: SQLite FTS5 or PostgreSQL tsvector + GIN.

The index is one row per case (``case_search``, created by the migrations, outside the ORM
metadata) holding its numbers, people's names in English and Urdu, sections and police station.
Services call ``index_case`` after changing what it holds; ``matching`` narrows a statement of
``readable_cases`` to the matches of a query (``query_of``), so access rules apply to results."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, column, select, table, text
from sqlalchemy.orm import Session

from api.cases.models import Case, CaseParty, Charge, Person
from api.documents import indexing as documents_indexing
from api.reference.models import Offence, PoliceStation

TABLE = "case_search"
#: letters and digits; an underscore separates words, as it does for FTS5's and PostgreSQL's
#: parsers (PostgreSQL read "esa_1908" as the phrase 'esa' <-> '1908', which needs positions)
_TOKEN = re.compile(r"[^\W_]+")
MAX_TOKENS = 8


def tokens(q: str) -> list[str]:
    return _TOKEN.findall(q.lower())[:MAX_TOKENS]


def fts_query(words: list[str], dialect: str) -> str:
    """Every word as a whole word, the last one also as the beginning of a word (it may still be
    being typed): "ali huss" finds Ali Hussain, not Alina. A prefix of every word made SQLite read
    and merge whole posting lists: a prefix longer than the index's prefix lengths (2-4) has no
    skipping, so "hussain"* took 13 ms on 1M cases, "hussain" 0.1 ms."""
    last = len(words) - 1
    if dialect == "postgresql":
        return " & ".join(f"{w}:*" if i == last else w for i, w in enumerate(words))
    return " ".join(f'"{w}"*' if i == last else f'"{w}"' for i, w in enumerate(words))


def district_token(district_id: int) -> str:
    """A word every document of the district holds, so a district-scoped search narrows inside the
    index (FTS5 intersects it with the query's words) instead of filtering matches row by row. On
    PostgreSQL it is also the prefix of each word's district form (``district_words``)."""
    return f"cmmsd{district_id}z"


def district_words(words: list[str], district_id: int) -> list[str]:
    """A query's words as PostgreSQL's documents also hold them, after their district's word
    (``case_search_tsv`` of migration 0008): GIN then reads the district's posting lists, not the
    whole service's intersected with the district word's (175,000 cases in Karachi South at 1M)."""
    token = district_token(district_id)
    return [token + w for w in words]


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def document_of(session: Session, case: Case) -> str:
    """The text a case is found by."""
    station = session.scalar(select(PoliceStation.name).where(PoliceStation.id == case.police_station_id))
    names = session.execute(
        select(Person.name, Person.name_ur, Person.father_name, Person.cnic)
        .join(CaseParty, CaseParty.person_id == Person.id)
        .where(CaseParty.case_id == case.id, CaseParty.protected.is_(False))
    ).all()
    sections = session.execute(
        select(Offence.statute, Offence.section)
        .join(Charge, Charge.offence_id == Offence.id)
        .where(Charge.case_id == case.id)
    ).all()
    parts = [
        case.number,
        case.fir_number,
        f"{case.fir_number}/{case.fir_year}",
        station or "",
        case.ctd_number or "",
        case.court_case_number or "",
        case.title,
    ]
    for row in names:
        parts.extend(v for v in row if v)
    for statute, section in sections:
        parts.extend([statute, section])
    parts.append(documents_indexing.searchable_text(session, case.id))  # titles and text of documents
    parts.append(district_token(case.district_id))
    return " ".join(p for p in parts if p)


def normalise(body: str) -> str:
    """The words of a document exactly as queries see them (``tokens``), space-separated: both
    databases then index the same words (PostgreSQL's parser would otherwise read the ``-2026`` of
    ``KHI-S-2026-000123`` as a signed number)."""
    return " ".join(_TOKEN.findall(body.lower()))


def index_case(session: Session, case: Case) -> None:
    session.flush()
    body = normalise(document_of(session, case))
    if _dialect(session) == "postgresql":
        session.execute(
            text(
                "INSERT INTO case_search (case_id, tsv) VALUES (:id, case_search_tsv(:body, :district)) "
                "ON CONFLICT (case_id) DO UPDATE SET tsv = excluded.tsv"
            ),
            {"id": case.id, "body": body, "district": district_token(case.district_id)},
        )
    else:
        session.execute(text("DELETE FROM case_search WHERE rowid = :id"), {"id": case.id})
        session.execute(
            text("INSERT INTO case_search (rowid, body) VALUES (:id, :body)"), {"id": case.id, "body": body}
        )


#: the bound parameter of ``matching``'s statements: the value ``query_of`` gives
QUERY = "cmms_search_q"


def query_of(session: Session, q: str, *, district_id: int | None = None) -> str | None:
    """The full-text query (``QUERY``'s value) for every word of ``q`` (see ``fts_query``); None
    when ``q`` has no words. On PostgreSQL it also turns parallel plans off for the transaction.

    ``district_id``: the results are limited to that district anyway (a filter or the caller's
    scope), so the index does the narrowing instead of the matches being filtered row by row:
    SQLite's query gets the district's word (FTS5 intersects it with the query's words),
    PostgreSQL's the words' district forms (``district_words``)."""
    words = tokens(q)
    if not words:
        return None
    dialect = _dialect(session)
    if district_id is not None and dialect == "postgresql":
        words = district_words(words, district_id)
    elif district_id is not None:
        words = [district_token(district_id), *words]  # whole, and never the last (a beginning)
    if dialect == "postgresql":
        # for this transaction (a read): a parallel plan made the planner gather every match from
        # GIN on two cores (80 ms of each at 1M cases) where one walk took 15 ms of one
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    return fts_query(words, dialect)


def matching(
    stmt: Select[Any], dialect: str, *, window: str | None = None
) -> tuple[Select[Any], ColumnElement[Any]]:
    """``stmt`` narrowed to the cases whose document matches the query bound as ``QUERY``, and
    the index's column that orders them by filing (a case's rowid / case_id is its id, and ids
    follow ``created_at``), to sort by instead of ``created_at``. The statement does not depend
    on the words, so it can be built once and kept (``api.cases.service.list_cases``).

    The index is joined rather than used as ``id IN (…)``. SQLite reads the FTS5 matches in
    rowid order and stops after the page and the capped count, where an IN list would hold every
    match (hundreds of thousands for a common name and section) first. PostgreSQL's planner may
    then walk the index's key backwards, testing each row's words, when the words are common (a
    name and a section: about 2 ms at 1M cases), and gathers from GIN when they are rare.

    ``window``: the matches are the newest ones up to the number bound as ``window``, in a
    subquery (``api.pagination.Window``): PostgreSQL then sorts the rare matches before joining
    them to their cases (a district's "ali 324": 1,555 matches, 15 → 8 ms), which it never does
    for a join, and still walks backwards for common ones."""
    if dialect == "postgresql":
        key, match = "case_id", f"case_search.tsv @@ to_tsquery('simple', :{QUERY})"
    else:
        key, match = "rowid", f"case_search MATCH :{QUERY}"
    fts = table(TABLE, column(key))
    if window is None:
        return stmt.join(fts, fts.c[key] == Case.id).where(text(match)), fts.c[key]
    newest = select(fts.c[key]).where(text(match)).order_by(fts.c[key].desc()).limit(bindparam(window))
    found = newest.subquery("found")
    return stmt.join(found, found.c[key] == Case.id), found.c[key]
