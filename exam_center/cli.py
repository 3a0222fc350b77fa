"""The ``exam-center`` command: database, catalogue, demo data, audit, and serving the web app."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from . import migrate
from .config import PROJECT_ROOT, Settings
from .db import Database
from .services.audit import Actor


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
        result = seed(session, EvidenceStore(settings.instance_dir / "evidence"), faces_dir=shared_dir / "data" / "faces")
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

    from . import create_app

    settings = _settings()
    app = create_app(settings)
    host, port = host or settings.host, port or settings.port
    click.echo(f"exam-center listening on http://{host}:{port}/  (Ctrl-C stops)")
    serve(app, host=host, port=port, threads=threads, ident="exam-center")
