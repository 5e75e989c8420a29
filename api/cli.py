"""The ``cmms`` command: what operators need without the web."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy.engine import make_url

from api import registry  # noqa: F401  (every model and every case-event handler)
from api.config import ROOT, get_settings

app = typer.Typer(
    help="CMMS - Case Management and Monitoring System", no_args_is_help=True, pretty_exceptions_enable=False
)
users_app = typer.Typer(help="Manage users.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(users_app, name="users")
app.add_typer(audit_app, name="audit")


def _fail(message: str, code: int = 1) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.command()
def migrate() -> None:
    """Bring the database schema to the newest migration and load missing reference data."""
    from api import migrate as migrations
    from api.db import unit_of_work
    from api.reference.loader import load_reference

    settings = get_settings()
    migrations.upgrade(settings.database_url)
    with unit_of_work() as session:
        added = load_reference(session)
        rebuilt = _fill_workload_tables(session)
        admin = None
        if settings.admin_password:
            from api.users import service as users_service

            admin = users_service.ensure_admin(session, password=settings.admin_password)
    typer.echo(
        f"schema at {migrations.head_revision()}; reference rows added: "
        + ", ".join(f"{k} {v}" for k, v in added.items())
    )
    if admin is not None:
        typer.echo("created user 'admin' from CMMS_ADMIN_PASSWORD")
    if rebuilt:
        typer.echo("workload tables filled from the existing assignments")


def _fill_workload_tables(session: Any) -> bool:
    """An installation that had cases before the workload tables existed gets them filled now,
    rather than by its first write in each district."""
    from sqlalchemy import exists, select

    from api.cases.models import Case
    from api.counsel import loads
    from api.counsel.models import DistrictLoad

    if session.scalar(select(exists().where(DistrictLoad.district_id.isnot(None)))) or not session.scalar(
        select(exists().where(Case.id.isnot(None)))
    ):
        return False
    loads.rebuild(session)
    return True


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="login name (lower case)")],
    role: Annotated[list[str], typer.Option(help="a role; repeat for several")],
    full_name: Annotated[str | None, typer.Option(help="defaults to the username")] = None,
    district: Annotated[str | None, typer.Option(help="district code (e.g. KHI-S) or id")] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="read the password from stdin")
    ] = False,
) -> None:
    """Create a user (the same policy and checks as the API)."""
    from pydantic import ValidationError
    from sqlalchemy import select

    from api.audit.service import Origin
    from api.db import unit_of_work
    from api.errors import AppError
    from api.reference.models import District
    from api.users import service as users_service
    from api.users.schemas import UserCreate

    if not password_stdin:
        _fail("give the password on standard input with --password-stdin (never on the command line)", 2)
    password = sys.stdin.readline().rstrip("\r\n")
    with unit_of_work() as session:
        district_id = None
        if district:
            found = session.scalar(
                select(District).where(
                    (District.code == district.upper())
                    | (District.id == (int(district) if district.isdigit() else -1))
                )
            )
            if found is None:
                _fail(f"unknown district {district!r}", 2)
            district_id = found.id
        try:
            data = UserCreate(
                username=username,
                password=password,
                full_name=full_name or username,
                roles=role,
                district_id=district_id,
            )
            user = users_service.create_user(session, data=data, origin=Origin())
        except ValidationError as exc:
            _fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()), 2)
        except AppError as exc:
            details = "; ".join(e["msg"] for e in exc.errors or [])
            _fail(f"{exc.detail} {details}".strip(), 2)
        typer.echo(f"created user {user.username} (id {user.id}) with roles {', '.join(user.roles)}")


@app.command("seed-demo")
def seed_demo() -> None:
    """Load the demo users (every role, several districts) and print their logins."""
    from api.db import unit_of_work
    from api.demo import DEMO_PASSWORD
    from api.demo import seed_demo as seed

    with unit_of_work() as session:
        created = seed(session)
    if created:
        typer.echo(f"demo users created: {len(created)}")
    typer.echo(f"demo logins (password for all: {DEMO_PASSWORD}):")
    from api.demo import DEMO_USERS

    for username, _full_name, roles, district in DEMO_USERS:
        typer.echo(f"  {username:<14} {', '.join(roles):<34} {district or '-'}")


@app.command("seed-bench")
def seed_bench(
    cases: Annotated[int, typer.Option(min=1, help="how many synthetic cases to add")] = 1_000_000,
    seed: Annotated[int, typer.Option(help="random seed (same seed, same data)")] = 1,
    batch: Annotated[int, typer.Option(min=100, help="cases per write batch")] = 20_000,
    quiet: Annotated[bool, typer.Option("--quiet", help="no progress lines")] = False,
    schedules: Annotated[
        bool, typer.Option("--schedules/--no-schedules", help="also hearings, deadlines and tasks")
    ] = True,
) -> None:
    """Add synthetic cases for benchmarks (bulk insert; no audit). Run `cmms migrate` first; on
    SQLite, stop the server while it runs."""
    from api.bench import generator

    stats = generator.seed_bench(
        get_settings().database_url,
        cases=cases,
        seed=seed,
        batch=batch,
        progress=None if quiet else typer.echo,
        schedules=schedules,
    )
    for line in generator.summary(stats):
        typer.echo(line)


@app.command()
def openapi(
    out: Annotated[Path, typer.Option(help="where to write")] = ROOT / "openapi" / "openapi.json",
) -> None:
    """Write the OpenAPI document of the app (committed at openapi/openapi.json)."""
    from api.main import create_app

    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(create_app().openapi(), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    typer.echo(f"wrote {out}")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the hash chain; exit 1 naming the first broken entry."""
    from api.audit import service
    from api.db import unit_of_work

    with unit_of_work(write=False) as session:
        checked, broken = service.verify(session)
    if broken is not None:
        typer.echo(
            f"audit chain BROKEN at entry {broken.entry_id}: {broken.reason} "
            f"({checked} entries before it are intact)",
            err=True,
        )
        raise typer.Exit(1)
    typer.echo(f"audit chain intact: {checked} entries")


workload_app = typer.Typer(help="The workload tables behind GET /api/v1/workload.", no_args_is_help=True)
app.add_typer(workload_app, name="workload")


@workload_app.command("rebuild")
def workload_rebuild() -> None:
    """Recompute every prosecutor's load and every district's case counts from the assignments,
    with the weights in force. Run it after changing CMMS_WORKLOAD_WEIGHTS (until then workload is
    computed live, slowly) and after a bulk load that bypassed the services (seed-bench)."""
    from api.counsel import loads
    from api.db import unit_of_work

    with unit_of_work() as session:
        done = loads.rebuild(session)
    weights = ", ".join(f"{k} {v:g}" for k, v in sorted(done.weights.items()))
    typer.echo(
        f"workload rebuilt: {done.prosecutor_rows} prosecutor rows, {done.districts} districts ({weights})"
    )


deadlines_app = typer.Typer(help="Statutory deadlines computed from the rules.", no_args_is_help=True)
app.add_typer(deadlines_app, name="deadlines")


@deadlines_app.command("backfill")
def deadlines_backfill(
    rule: Annotated[str | None, typer.Option(help="only this rule's clocks (and those after it)")] = None,
    batch: Annotated[int, typer.Option(min=1, max=50_000, help="cases per transaction")] = 2000,
) -> None:
    """Compute every case's deadlines from its records (after a bulk load, or when a rule was
    given a trigger). Idempotent; met and waived clocks are never changed."""
    from api.db import unit_of_work
    from api.deadlines import service as deadlines
    from api.errors import AppError

    after: int | None = 0
    total = 0
    try:
        while after is not None:
            with unit_of_work() as session:
                done, after = deadlines.backfill(session, rule_code=rule, after_id=after, limit=batch)
            total += done
    except AppError as exc:
        _fail(exc.detail, 2)
    typer.echo(f"deadlines computed for {total:,} cases")


@deadlines_app.command("recompute")
def deadlines_recompute(rule: Annotated[str, typer.Argument(help="the corrected rule's code")]) -> None:
    """Apply a corrected rule to the cases with one of its clocks open."""
    from api.db import unit_of_work
    from api.deadlines import service as deadlines
    from api.errors import AppError

    try:
        with unit_of_work() as session:
            count = deadlines.recompute_rule(session, rule_code=rule)
    except AppError as exc:
        _fail(exc.detail, 2)
    typer.echo(f"{rule}: {count:,} cases recomputed")


import_app = typer.Typer(help="Bulk intake.", no_args_is_help=True)
app.add_typer(import_app, name="import")


@import_app.command("cases")
def import_cases(
    file: Annotated[
        Path, typer.Argument(help="CSV of FIRs and accused (columns: see POST /api/v1/cases/import)")
    ],
    as_user: Annotated[
        str, typer.Option("--as", help="the user the cases are filed as (needs cases.import)")
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="validate and report; write nothing")] = False,
) -> None:
    """Import FIRs from a CSV file: all good rows atomically, or nothing when a row is wrong."""
    from api.cases import importer

    if not file.is_file():
        _fail(f"no such file: {file}", 2)
    code, lines = importer.run_cli(file.read_bytes(), username=as_user, dry_run=dry_run)
    for line in lines:
        typer.echo(line, err=code != 0 and line.startswith("error"))
    if code:
        raise typer.Exit(code)


jobs_app = typer.Typer(
    help="Periodic jobs (reminders); the server also runs them in-process.", no_args_is_help=True
)
app.add_typer(jobs_app, name="jobs")


@jobs_app.command("run")
def jobs_run(
    job: Annotated[list[str] | None, typer.Option("--job", help="only this job; repeat for several")] = None,
    force: Annotated[
        bool,
        typer.Option("--force", help="run even if it ran within its interval (never while another runs it)"),
    ] = False,
) -> None:
    """Run the jobs that are due. Of all workers and commands, one runs a job per interval (a
    lease in the database); exit 1 when a job failed."""
    from api.jobs import service as jobs

    try:
        outcomes = jobs.run_due(only=job or None, force=force)
    except KeyError as exc:
        _fail(f"no such job: {exc.args[0]} (known: {', '.join(jobs.registry())})", 2)
        return
    for outcome in outcomes:
        state = "ran" if outcome.ran else "skipped"
        typer.echo(f"{outcome.name}: {state} {json.dumps(outcome.result, default=str)}")
    if any(o.ran and "error" in o.result for o in outcomes):
        raise typer.Exit(1)


@jobs_app.command("list")
def jobs_list() -> None:
    """The jobs, when each last ran, and its result."""
    from api.db import unit_of_work
    from api.jobs import service as jobs

    with unit_of_work(write=False) as session:
        leases = {lease.name: lease for lease in jobs.leases(session)}
    for name, known in jobs.registry().items():
        lease = leases.get(name)
        last = lease.last_run_at.isoformat() if lease and lease.last_run_at else "never"
        result = json.dumps(lease.last_result, default=str) if lease and lease.last_result else ""
        typer.echo(f"{name}: last run {last} {result}".rstrip())
        typer.echo(f"  {known.description}")


@app.command()
def backup(file: Annotated[Path, typer.Argument(help="the backup file to write")]) -> None:
    """Copy the database to FILE while the service runs (SQLite online backup; pg_dump -Fc)."""
    url = make_url(get_settings().database_url)
    file.parent.mkdir(parents=True, exist_ok=True)
    if url.drivername.startswith("sqlite"):
        src = sqlite3.connect(url.database)
        dst = sqlite3.connect(file)
        with dst:
            src.backup(dst)
        dst.close()
        src.close()
    else:
        _pg(["pg_dump", "--format=custom", "--no-owner", "--file", str(file)], url)
    typer.echo(f"backed up to {file}")


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="a file written by `cmms backup`")],
    yes: Annotated[bool, typer.Option("--yes", help="replace the current database without asking")] = False,
) -> None:
    """Replace the database with the contents of FILE. Stop the service first."""
    if not file.is_file():
        _fail(f"no such file: {file}", 2)
    if not yes:
        typer.confirm("This replaces every row of the current database. Continue?", abort=True)
    url = make_url(get_settings().database_url)
    if url.drivername.startswith("sqlite"):
        src = sqlite3.connect(file)
        dst = sqlite3.connect(url.database)
        with dst:
            src.backup(dst)
        dst.close()
        src.close()
    else:
        _pg(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                "--dbname",
                url.database or "",
                str(file),
            ],
            url,
        )
    typer.echo(f"restored from {file}")


def _pg(cmd: list[str], url) -> None:  # type: ignore[no-untyped-def]
    if shutil.which(cmd[0]) is None:
        _fail(f"{cmd[0]} is not installed (PostgreSQL client tools)", 2)
    env = {
        **os.environ,
        "PGHOST": url.host or "localhost",
        "PGPORT": str(url.port or 5432),
        "PGUSER": url.username or "",
        "PGPASSWORD": url.password or "",
        "PGDATABASE": url.database or "",
    }
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        _fail(f"{cmd[0]} failed: {result.stderr.strip()}")


if __name__ == "__main__":
    app()
