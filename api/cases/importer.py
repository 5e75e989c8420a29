"""Bulk intake of FIRs from police systems (CSV): every row validated, the good file imported
atomically through ``create_case`` (or nothing when any row is wrong), idempotent on FIR number +
police station + FIR year. Keyword-only functions taking ``session``; they never commit."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.audit import service as audit
from api.cases import service as case_service
from api.cases.access import readable_filter
from api.cases.models import CATEGORIES, CUSTODY, Case
from api.cases.schemas import CaseCreate, ImportReport, ImportRowReport
from api.db import local_date
from api.errors import AppError, Forbidden, PayloadTooLarge, ValidationFailed
from api.permissions import Perm, Principal, Role
from api.reference.models import District, Offence, PoliceStation

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
COLUMNS = (
    "district_code",
    "fir_number",
    "fir_date",
    "police_station",
    "category",
    "sections",
    "accused_name",
    "accused_name_ur",
    "accused_father_name",
    "accused_cnic",
    "custody_status",
    "complainant_name",
    "brief_facts",
)
REQUIRED = (
    "district_code",
    "fir_number",
    "fir_date",
    "police_station",
    "category",
    "sections",
    "accused_name",
)
_CNIC = re.compile(r"^\d{5}-?\d{7}-?\d$")
_SPACES = re.compile(r"\s+")

DESCRIPTION = (
    "CSV (UTF-8, header row, comma-separated) of FIRs and their accused, as police systems export them. "
    "Columns: `district_code` (e.g. KHI-S), `fir_number`, `fir_date` (YYYY-MM-DD), `police_station` "
    "(name, matched case-insensitively within the district), `category` (ata, ordinary, special), "
    "`sections` (`STATUTE SECTION` items separated by `;`, e.g. `PPC 302(b); PPC 34`, matched to the "
    "statute catalogue; charged against the row's accused; may be left empty on a later row of the same "
    "FIR to repeat the first row's), `accused_name`, `accused_name_ur`, `accused_father_name`, "
    "`accused_cnic` (13 digits, dashes optional), `custody_status` (default not_arrested), "
    "`complainant_name`, `brief_facts`. Rows with the same FIR (number + police station + FIR year) make "
    "one case with several accused. Every row is validated and reported (`ok`, `error`, `duplicate`); "
    "when any row has an error nothing is imported and the answer is 422 with the row report in `rows`. "
    "A FIR already filed is reported `duplicate` and skipped (re-importing a file is safe). `dry_run=true` "
    f"reports without writing. At most {MAX_BYTES // (1024 * 1024)} MiB (413) and {MAX_ROWS} rows (422)."
)


@dataclass
class _Row:
    line: int
    values: dict[str, str]
    errors: list[str] = field(default_factory=list)
    status: str = "ok"
    district: District | None = None
    station: PoliceStation | None = None
    fir_date: date | None = None
    offence_ids: list[int] = field(default_factory=list)

    def key(self) -> tuple[int, int, str] | None:
        if self.errors or self.station is None or self.fir_date is None:
            return None
        return (self.station.id, self.fir_date.year, self.values["fir_number"])


def parse(content: bytes) -> list[_Row]:
    """Decode and split the file (422 for an unreadable file, missing columns or too many rows)."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed(
            "The file is not UTF-8 text.", errors=[{"loc": ["body", "file"], "msg": "not UTF-8"}]
        ) from exc
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ValidationFailed(
            "The CSV header lacks required columns.",
            errors=[{"loc": ["body", "file"], "msg": f"missing columns: {', '.join(missing)}"}],
        )
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise ValidationFailed(
            "The CSV header has unknown columns.",
            errors=[{"loc": ["body", "file"], "msg": f"unknown columns: {', '.join(unknown)}"}],
        )
    reader.fieldnames = header
    rows: list[_Row] = []
    try:
        for number, raw in enumerate(reader, start=2):
            if len(rows) >= MAX_ROWS:
                raise ValidationFailed(
                    f"At most {MAX_ROWS} rows per file.",
                    errors=[{"loc": ["body", "file"], "msg": f"more than {MAX_ROWS} rows"}],
                )
            values = {k: (v or "").strip() for k, v in raw.items() if k is not None}
            if not any(values.values()):
                continue
            row = _Row(line=number, values={c: values.get(c, "") for c in COLUMNS})
            if None in raw:
                row.errors.append("more fields than columns")
            rows.append(row)
    except csv.Error as exc:
        raise ValidationFailed(
            "The file is not valid CSV.", errors=[{"loc": ["body", "file"], "msg": str(exc)}]
        ) from exc
    if not rows:
        raise ValidationFailed("The file has no rows.", errors=[{"loc": ["body", "file"], "msg": "no rows"}])
    return rows


def _offence(session: Session, item: str) -> tuple[int | None, str | None]:
    text = _SPACES.sub(" ", item.strip())
    if " " not in text:
        return None, f"section {item!r} should be 'STATUTE SECTION' (e.g. 'PPC 302(b)')"
    statute, section = text.rsplit(" ", 1)
    statute_key = statute.upper().replace(" ", "_")
    matches = session.execute(
        select(Offence.id, Offence.section).where(
            func.upper(Offence.statute).in_({statute.upper(), statute_key}),
            func.lower(Offence.section) == section.lower(),
        )
    ).all()
    if matches:
        return matches[0].id, None
    subs = session.scalars(
        select(Offence.section).where(
            func.upper(Offence.statute).in_({statute.upper(), statute_key}),
            func.lower(Offence.section).like(f"{section.lower()}(%"),
        )
    ).all()
    if subs:
        return None, f"{text} is ambiguous: name one of {', '.join(f'{statute} {s}' for s in sorted(subs))}"
    return None, f"{text} is not in the statute catalogue"


def _validate(session: Session, row: _Row, principal: Principal, today: date) -> None:
    v = row.values
    for name in REQUIRED:
        if not v[name] and name != "sections":
            row.errors.append(f"{name} is required")
    if v["district_code"]:
        row.district = session.scalar(
            select(District).where(func.upper(District.code) == v["district_code"].upper())
        )
        if row.district is None:
            row.errors.append(f"unknown district {v['district_code']!r}")
        elif not principal.has_role(Role.prosecutor_general) and principal.district_id != row.district.id:
            row.errors.append("you may import cases only for your own district")
    if len(v["fir_number"]) > 32:
        row.errors.append("fir_number is longer than 32 characters")
    if v["fir_date"]:
        try:
            row.fir_date = date.fromisoformat(v["fir_date"])
        except ValueError:
            row.errors.append("fir_date must be YYYY-MM-DD")
        else:
            if row.fir_date > today:
                row.errors.append("fir_date is in the future")
    if row.district is not None and v["police_station"]:
        row.station = session.scalar(
            select(PoliceStation).where(
                PoliceStation.district_id == row.district.id,
                func.lower(PoliceStation.name) == v["police_station"].lower(),
            )
        )
        if row.station is None:
            row.errors.append(f"no police station {v['police_station']!r} in {row.district.code}")
    if v["category"] and v["category"].lower() not in CATEGORIES:
        row.errors.append(f"category must be one of {', '.join(CATEGORIES)}")
    for item in filter(None, (s.strip() for s in v["sections"].split(";"))):
        offence_id, error = _offence(session, item)
        if error:
            row.errors.append(error)
        elif offence_id not in row.offence_ids:
            row.offence_ids.append(offence_id)  # type: ignore[arg-type]
    if v["custody_status"] and v["custody_status"].lower() not in CUSTODY:
        row.errors.append(f"custody_status must be one of {', '.join(CUSTODY)}")
    if v["accused_cnic"] and not _CNIC.match(v["accused_cnic"]):
        row.errors.append("accused_cnic must be 13 digits (dashes optional)")
    for name, limit in (
        ("accused_name", 200),
        ("accused_name_ur", 200),
        ("accused_father_name", 200),
        ("complainant_name", 200),
        ("brief_facts", 20000),
    ):
        if len(v[name]) > limit:
            row.errors.append(f"{name} is longer than {limit} characters")


def _case_payload(rows: list[_Row]) -> dict[str, Any]:
    first = rows[0]
    v = first.values
    accused = []
    offences = []
    for i, row in enumerate(rows):
        r = row.values
        accused.append(
            {
                "name": r["accused_name"],
                "name_ur": r["accused_name_ur"] or None,
                "father_name": r["accused_father_name"] or None,
                "cnic": r["accused_cnic"] or None,
                "custody_status": (r["custody_status"] or "not_arrested").lower(),
            }
        )
        for offence_id in row.offence_ids or first.offence_ids:
            offences.append({"offence_id": offence_id, "accused_index": i, "stage_added": "fir"})
    complainant = next((r.values["complainant_name"] for r in rows if r.values["complainant_name"]), None)
    brief = next((r.values["brief_facts"] for r in rows if r.values["brief_facts"]), None)
    assert first.district is not None and first.station is not None and first.fir_date is not None
    return {
        "district_id": first.district.id,
        "category": v["category"].lower(),
        "fir": {
            "number": v["fir_number"],
            "date": first.fir_date.isoformat(),
            "police_station_id": first.station.id,
            "brief_facts": brief,
        },
        "offences": offences,
        "accused": accused,
        "complainant": {"name": complainant} if complainant else None,
    }


def _error_text(exc: ValidationError | AppError) -> list[str]:
    if isinstance(exc, ValidationError):
        return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]
    return [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors or []] or [exc.detail]


def import_cases(
    session: Session, *, content: bytes, principal: Principal, dry_run: bool, origin: audit.Origin
) -> ImportReport:
    """The row report. Raises ValidationFailed (422, the report in ``rows``) when any row is wrong;
    the caller's unit of work then rolls everything back."""
    if not principal.can(Perm.cases_import):
        raise Forbidden("Your role does not allow importing cases (cases.import).")
    if len(content) > MAX_BYTES:
        raise PayloadTooLarge(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MiB.")
    rows = parse(content)
    today = local_date()
    groups: dict[tuple[int, int, str], list[_Row]] = {}
    for row in rows:
        _validate(session, row, principal, today)
        key = row.key()
        if key is not None:
            groups.setdefault(key, []).append(row)
    payloads: dict[tuple[int, int, str], CaseCreate] = {}
    for key, members in groups.items():
        first = members[0]
        for other in members[1:]:
            for name in ("district_code", "fir_date", "category"):
                if other.values[name].lower() != first.values[name].lower():
                    other.errors.append(f"{name} differs from row {first.line} of the same FIR")
        if not first.offence_ids and not first.errors:
            first.errors.append("sections: give at least one section on the first row of the FIR")
        existing = session.execute(
            select(Case.number, readable_filter(principal).label("readable")).where(
                Case.police_station_id == key[0], Case.fir_year == key[1], Case.fir_number == key[2]
            )
        ).first()
        if existing is not None:
            for member in members:
                member.status = "duplicate"
                member.errors = []
                member.values["_case_number"] = existing.number if existing.readable else ""
            continue
        if any(m.errors for m in members):
            continue
        try:
            payloads[key] = CaseCreate.model_validate(_case_payload(members))
        except ValidationError as exc:
            first.errors.extend(_error_text(exc))
    failed = any(r.errors for r in rows)
    created: dict[tuple[int, int, str], str] = {}
    if not failed and not dry_run:
        for key, payload in payloads.items():
            try:
                case = case_service.create_case(session, data=payload, principal=principal, origin=origin)
            except AppError as exc:
                groups[key][0].errors.extend(_error_text(exc))
                failed = True
                break
            created[key] = case.number
    report = _report(rows, created)
    duplicates = len({r.key() for r in rows if r.status == "duplicate"})
    if failed:
        raise ValidationFailed(
            "Some rows are not valid; nothing was imported.",
            errors=[{"loc": ["body", "file", r.row], "msg": "; ".join(r.errors)} for r in report if r.errors],
            extra={"rows": [r.model_dump() for r in report]},
        )
    if created:
        audit.record(
            session,
            origin=origin,
            action="import",
            entity_type="case",
            details={"cases": len(created), "rows": len(rows), "duplicates": duplicates},
        )
    return ImportReport(
        dry_run=dry_run,
        imported=bool(created),
        cases_created=len(created),
        duplicates=duplicates,
        rows=report,
    )


def _report(rows: list[_Row], created: dict[tuple[int, int, str], str]) -> list[ImportRowReport]:
    out = []
    for row in rows:
        key = row.key()
        status = "error" if row.errors else row.status
        number = row.values.get("_case_number") or (created.get(key) if key else None) or None
        fir = (
            f"{row.values['fir_number']}/{row.fir_date.year}"
            if row.fir_date
            else row.values["fir_number"] or None
        )
        out.append(
            ImportRowReport(row=row.line, status=status, errors=row.errors, fir=fir, case_number=number)
        )
    return out


def run_cli(content: bytes, *, username: str, dry_run: bool) -> tuple[int, list[str]]:
    """``cmms import cases``: (exit code, lines to print). Runs in its own unit of work."""
    import secrets

    from api.db import unit_of_work
    from api.users.models import User

    lines: list[str] = []
    try:
        with unit_of_work() as session:
            user = session.scalar(select(User).where(User.username == username.strip().lower()))
            if user is None or not user.is_active:
                return 2, [f"error: no active user {username!r}"]
            principal = Principal(
                user_id=user.id,
                username=user.username,
                full_name=user.full_name,
                roles=frozenset(Role(r) for r in user.roles),
                district_id=user.district_id,
                session_id=f"cli-{secrets.token_hex(8)}",
            )
            report = import_cases(
                session,
                content=content,
                principal=principal,
                dry_run=dry_run,
                origin=audit.Origin(actor_id=user.id, request_id="cli"),
            )
    except AppError as exc:
        rows = exc.extra.get("rows")
        if rows:
            lines.extend(_row_line(ImportRowReport.model_validate(r)) for r in rows)
        else:
            lines.extend(f"  {e['msg']}" for e in exc.errors or [])
        lines.append(f"error: {exc.detail}")
        return (2 if exc.status == 403 else 1), lines
    lines.extend(_row_line(r) for r in report.rows)
    verb = "would import" if dry_run else "imported"
    lines.append(
        f"{verb} {report.cases_created if not dry_run else _would(report)} case(s); "
        f"{report.duplicates} duplicate FIR(s) skipped"
    )
    return 0, lines


def _would(report: ImportReport) -> int:
    return len({r.fir for r in report.rows if r.status == "ok"})


def _row_line(r: ImportRowReport) -> str:
    extra = f" {r.case_number}" if r.case_number else ""
    errors = f": {'; '.join(r.errors)}" if r.errors else ""
    return f"row {r.row}: {r.status} {r.fir or ''}{extra}{errors}"
