"""Loads the versioned reference files (``api/reference/data/*.csv``) into the database.

Idempotent: rows are matched on their natural key and only missing rows are inserted, so an
administrator's edits survive every later load. One exception: a deadline rule loaded before rules
had their machine columns (trigger, met_by…) gets them from the file, if nobody has edited it.
Runs after migrations (``cmms migrate``)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from api.reference.models import (
    AdjournmentReason,
    Court,
    DeadlineRule,
    District,
    Holiday,
    Offence,
    PoliceStation,
)

DATA = Path(__file__).parent / "data"
KARACHI_DIVISION = "Karachi Division (all districts)"


def _rows(name: str) -> Iterator[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            yield {k: (v or "").strip() for k, v in row.items()}


def _none(value: str) -> str | None:
    return value or None


def _int(value: str) -> int | None:
    return int(value) if value.strip().lstrip("-").isdigit() else None


#: the columns the deadline engine computes from (api.deadlines); the CSV carries them too
RULE_MACHINE_COLUMNS = (
    "trigger",
    "after_rule",
    "met_by",
    "province",
    "case_category",
    "court_type",
    "alert_days",
    "alert_roles",
)


def _rule_machine(row: dict[str, str]) -> dict[str, str | int | None]:
    return {
        key: (_int(row.get(key) or "") if key == "alert_days" else _none(row.get(key) or ""))
        for key in RULE_MACHINE_COLUMNS
    }


def load_reference(session: Session) -> dict[str, int]:
    """Insert what is missing; return the count inserted per table."""
    added = {
        "districts": 0,
        "courts": 0,
        "police_stations": 0,
        "offences": 0,
        "adjournment_reasons": 0,
        "holidays": 0,
        "deadline_rules": 0,
    }

    districts = {d.code: d for d in session.scalars(select(District))}
    for r in _rows("districts.csv"):
        if r["district_code"] not in districts:
            d = District(
                code=r["district_code"],
                name=r["district"],
                province=r["province"],
                division=r["division"],
                status=r["status"],
                notes=_none(r["notes"]),
                source=_none(r["source"]),
            )
            session.add(d)
            districts[d.code] = d
            added["districts"] += 1
    session.flush()
    division_of = {d.code: d.division for d in districts.values()}

    courts = {(c.province, c.name) for c in session.execute(select(Court.province, Court.name))}
    for r in _rows("courts.csv"):
        if (r["province"], r["name"]) in courts:
            continue
        district = districts.get(r["district_code"]) if r["district_code"] else None
        division = division_of.get(r["district_code"]) or (
            "Karachi" if r["district"] == KARACHI_DIVISION else None
        )
        session.add(
            Court(
                province=r["province"],
                division=division,
                district_id=district.id if district else None,
                court_type=r["court_type"],
                name=r["name"],
                status=r["status"],
                notes=_none(r["notes"]),
                source=_none(r["source"]),
            )
        )
        courts.add((r["province"], r["name"]))
        added["courts"] += 1

    stations = {
        (s.district_id, s.name)
        for s in session.execute(select(PoliceStation.district_id, PoliceStation.name))
    }
    for r in _rows("police_stations.csv"):
        district = districts.get(r["district_code"])
        if district is None or (district.id, r["name"]) in stations:
            continue
        session.add(
            PoliceStation(
                district_id=district.id,
                name=r["name"],
                police_district=_none(r["police_district"]),
                district_basis=r["district_basis"] or "source",
                notes=_none(r["notes"]),
                source=_none(r["source"]),
            )
        )
        stations.add((district.id, r["name"]))
        added["police_stations"] += 1

    offences = {(o.statute, o.section) for o in session.execute(select(Offence.statute, Offence.section))}
    for r in _rows("offences.csv"):
        if (r["statute"], r["section"]) in offences:
            continue
        session.add(
            Offence(
                statute=r["statute"],
                section=r["section"],
                title=r["title"],
                ata_scheduled=r["ata_scheduled"],
                bailable=r["bailable"],
                cognizable=r["cognizable"],
                compoundable=r["compoundable"],
                max_punishment=_none(r["max_punishment"]),
                notes=_none(r["notes"]),
                verification=_none(r["verification"]),
                source=_none(r["source"]),
            )
        )
        offences.add((r["statute"], r["section"]))
        added["offences"] += 1

    reasons = set(session.scalars(select(AdjournmentReason.code)))
    for r in _rows("adjournment_reasons.csv"):
        if r["code"] not in reasons:
            session.add(
                AdjournmentReason(
                    code=r["code"],
                    label=r["label"],
                    label_ur=_none(r["label_ur"]),
                    attributed_to=r["attributed_to"],
                )
            )
            added["adjournment_reasons"] += 1

    holidays = {
        (h.date, h.name, h.scope) for h in session.execute(select(Holiday.date, Holiday.name, Holiday.scope))
    }
    for r in _rows("holidays.csv"):
        key = (date.fromisoformat(r["date"]), r["name"], r["scope"])
        if key not in holidays:
            session.add(
                Holiday(
                    date=key[0],
                    name=r["name"],
                    kind=r["kind"],
                    status=r["status"],
                    scope=r["scope"],
                    notes=_none(r["notes"]),
                    source=_none(r["source"]),
                )
            )
            holidays.add(key)
            added["holidays"] += 1

    rules = {rule.code: rule for rule in session.scalars(select(DeadlineRule))}
    for r in _rows("deadline_rules.csv"):
        machine = _rule_machine(r)
        rule = rules.get(r["code"])
        if rule is None:
            session.add(
                DeadlineRule(
                    code=r["code"],
                    trigger_event=r["trigger_event"],
                    offset_days=_int(r["offset_days"]),
                    offset_months=_int(r["offset_months"]),
                    day_kind=r["day_kind"] or "calendar",
                    applies_to=r["applies_to"],
                    legal_reference=r["legal_reference"],
                    confidence=r["confidence"],
                    notes=_none(r["notes"]),
                    source=_none(r["source"]),
                    **machine,
                )
            )
            added["deadline_rules"] += 1
        elif rule.version == 1 and all(getattr(rule, k) is None for k in RULE_MACHINE_COLUMNS):
            # loaded before the rules had a machine side, and never edited since: fill it in
            for key, value in machine.items():
                if value is not None:
                    setattr(rule, key, value)
    session.flush()
    return added
