"""The ``exam-center`` command: database, catalogue, demo data, audit, and serving the web app."""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import click

from . import migrate
from .cli_agent import agent
from .cli_devices import devices
from .cli_face import face
from .config import PROJECT_ROOT, Settings
from .db import Database
from .services.audit import Actor
from .translation import translator


def _settings() -> Settings:
    return Settings.from_env()


@click.group()
def main() -> None:
    """exam-center — 特种作业考试中心 (special-operations exam centre)."""


@main.group()
def db() -> None:
    """Schema migrations (Alembic)."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: the latest)."""
    settings = _settings()
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(settings.database_url, revision)


@db.command("downgrade")
@click.argument("revision")
def db_downgrade(revision: str) -> None:
    """Downgrade the database to REVISION ('-1' for one step, 'base' for an empty database)."""
    migrate.downgrade(_settings().database_url, revision)


@db.command("current")
def db_current() -> None:
    """Show the database's revision."""
    migrate.current(_settings().database_url)


@db.command("revision")
@click.option("-m", "--message", required=True)
def db_revision(message: str) -> None:
    """Autogenerate a migration from the models (run against an upgraded database)."""
    migrate.revision(_settings().database_url, message)


@main.command("load-catalogue")
def load_catalogue() -> None:
    """Load the special-operations catalogue into the database (changes only what differs)."""
    from .services.catalogue import sync_catalogue

    database = Database(_settings().database_url)
    with database.transaction() as session:
        counts = sync_catalogue(session, Actor.system("cli:load-catalogue"))
    click.echo("catalogue: " + ", ".join(f"{k} changed {v}" for k, v in counts.items()))


@main.command("seed-demo")
@click.option("--shared-dir", type=click.Path(path_type=Path, file_okay=False),
              default=PROJECT_ROOT.parent / "shared", show_default=True,
              help="Folder holding data/faces (demo candidates' photos).")
def seed_demo(shared_dir: Path) -> None:
    """Create the demo organisations, rooms, staff and candidates (running it again changes nothing)."""
    from .evidence import EvidenceStore
    from .services.demo import DEMO_PASSWORD, seed_demo as seed

    settings = _settings()
    if not (shared_dir / "data" / "faces").is_dir():
        click.echo(f"warning: {shared_dir / 'data' / 'faces'} not found; demo candidates get no photos", err=True)
    database = Database(settings.database_url)
    with database.transaction() as session:
        result = seed(session, EvidenceStore(settings.instance_dir / "evidence"), faces_dir=shared_dir / "data" / "faces",
                      today=date.today())
    click.echo(f"demo data: {result.created} records created ({'first run' if result.created else 'already present'})")
    click.echo(f"demo logins (password for all: {DEMO_PASSWORD}):")
    for role, username in result.logins:
        click.echo(f"  {role:<18} {username}")


@main.group()
def audit() -> None:
    """The audit trail."""


@audit.command("verify")
def audit_verify() -> None:
    """Recompute the hash chain; print OK or the first broken event (exit status 1)."""
    from .services.audit import verify_chain

    database = Database(_settings().database_url)
    with database.sessions() as session:
        report = verify_chain(session)
    if report.ok:
        click.echo(f"OK: {report.checked} events, chain intact")
        return
    click.echo(f"BROKEN at event {report.broken_event_id}: {report.reason} "
               f"({report.checked} events before it are intact)")
    sys.exit(1)


@main.command("routes")
def routes() -> None:
    """List every route with the roles allowed to call it."""
    from . import create_app
    from .web.policy import describe_policies

    app = create_app(_settings())
    policies = describe_policies(app)
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        methods = ",".join(sorted(rule.methods - {"HEAD", "OPTIONS"}))
        click.echo(f"{rule.rule:<45} {methods:<10} {policies.get(rule.endpoint, '(none)')}")


@main.command("run")
@click.option("--host", default=None, help="Default: EXAM_CENTER_HOST or 127.0.0.1")
@click.option("--port", type=int, default=None, help="Default: EXAM_CENTER_PORT or 5000")
@click.option("--threads", type=int, default=8, show_default=True)
def run(host: str | None, port: int | None, threads: int) -> None:
    """Serve the web app with waitress (a production WSGI server)."""
    from waitress import serve

    from . import create_app, serving

    settings = _settings()
    app = create_app(settings)
    host, port = host or settings.host, port or settings.port
    _start_attempt_sweeper(app.extensions["exam_center.db"])
    serving(app)
    click.echo(f"exam-center listening on http://{host}:{port}/  (Ctrl-C stops)")
    serve(app, host=host, port=port, threads=threads, ident="exam-center")


SWEEP_SECONDS = 5


def _start_attempt_sweeper(database: Database):
    """Every few seconds, finish the exam attempts whose time is up, whether or not a terminal is left.

    Returns the event that stops the sweeper (the server itself never stops it: the thread is a daemon).
    """
    import logging
    import threading

    from .services.attempts import finish_overdue

    log = logging.getLogger("exam_center.sweeper")
    stop = threading.Event()

    def sweep() -> None:
        while not stop.is_set():
            try:
                with database.transaction() as session:
                    finished = finish_overdue(session)
                if finished:
                    log.info("timed out %d overdue exam attempt(s)", finished)
            except Exception:  # keep sweeping; the next round retries
                log.exception("the attempt sweeper failed; retrying")
            stop.wait(SWEEP_SECONDS)

    threading.Thread(target=sweep, name="attempt-sweeper", daemon=True).start()
    return stop


@main.group()
def bank() -> None:
    """The unified question bank (统一题库)."""


def _bank_actor(session, username: str | None) -> Actor:
    """The staff account a bank command acts as (authorship matters for four-eyes review)."""
    if not username:
        return Actor.system("cli:bank")
    import sqlalchemy as sa

    from .models import Role, StaffUser
    user = session.scalar(sa.select(StaffUser).where(StaffUser.username == username.lower()))
    if user is None or user.role is not Role.BANK_ADMIN or not user.active:
        raise click.UsageError(f"{username!r} is not an active bank administrator")
    return Actor("staff", str(user.id), user.username)


@bank.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--as", "username", help="Bank administrator to record as the author.")
@click.option("--draft", is_flag=True, help="Leave the items as drafts instead of submitting them for review.")
def bank_import(file: Path, username: str | None, draft: bool) -> None:
    """Import items from an .xlsx, .csv or .json FILE (all or nothing)."""
    from .services.bank_io import ImportRefused, import_items

    database = Database(_settings().database_url)
    data = file.read_bytes()
    with click.progressbar(length=1, label=f"checking {file.name}", show_pos=True) as bar:
        def progress(done: int, total: int) -> None:
            bar.length = max(total, 1)
            bar.update(done - bar.pos)

        try:
            with database.transaction() as session:
                outcome = import_items(session, _bank_actor(session, username), data, file.name,
                                       submit_for_review=not draft, progress=progress)
        except ImportRefused as refused:
            outcome = None
            problems = refused.errors
    if outcome is None:
        translate = translator(_settings().default_locale)
        click.echo(f"NOTHING IMPORTED: {len(problems)} problems", err=True)
        for problem in problems:
            click.echo(f"  row {problem.row or '-'}  column {problem.column or '-'}: {problem.render(translate)}",
                       err=True)
        sys.exit(1)
    click.echo(f"imported {len(outcome.created)} items from {outcome.rows_read} rows; "
               f"{len(outcome.existing_duplicates)} rows already in the bank were skipped")
    for row, item_id in outcome.existing_duplicates:
        click.echo(f"  row {row}: same as item {item_id}")


@bank.command("export")
@click.option("--format", "fmt", type=click.Choice(["xlsx", "json"]), default="xlsx", show_default=True)
@click.option("--use", type=click.Choice(["exam", "practice"]), default=None)
@click.option("--item", "operation_item", default=None, help="Operation item code, e.g. 1.2")
@click.option("--as", "username", required=True, help="Bank administrator doing the export (audited).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True)
def bank_export(fmt: str, use: str | None, operation_item: str | None, username: str, output: Path) -> None:
    """Export items (latest version of each) to .xlsx or .json."""
    from question_bank.items import Use

    from .services.bank_io import export_items

    database = Database(_settings().database_url)
    with database.transaction() as session:
        content, _name, _mime = export_items(session, _bank_actor(session, username), fmt=fmt,
                                             use=Use(use) if use else None, operation_item=operation_item)
    output.write_bytes(content)
    click.echo(f"wrote {output} ({len(content)} bytes)")


@bank.command("template")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Where to write the import template (.xlsx or .csv).")
def bank_template(output: Path) -> None:
    """Write the import template (with example rows and instructions)."""
    from question_bank import exporting

    content = exporting.template_csv() if output.suffix.lower() == ".csv" else exporting.template_xlsx()
    output.write_bytes(content)
    click.echo(f"wrote {output}")


@bank.command("stats")
@click.option("--item", "operation_item", default=None, help="Operation item code, e.g. 1.2")
@click.option("--min-responses", type=int, default=30, show_default=True)
def bank_stats(operation_item: str | None, min_responses: int) -> None:
    """Item statistics from every scored response: p, point-biserial, upper–lower D, flags."""
    from question_bank.statistics import format_report

    from .services.item_stats import item_statistics

    settings = _settings()
    database = Database(settings.database_url)
    with database.sessions() as session:
        stats = item_statistics(session, operation_item=operation_item, min_responses=min_responses)
    click.echo(format_report(stats, translator(settings.default_locale)).rstrip("\n"))


# Command groups kept in their own modules.
main.add_command(agent)
main.add_command(devices)
main.add_command(face)
