"""Test fixtures: a real database per test (SQLite file or PostgreSQL database), the app, signed-in clients.

``--db=sqlite`` (default) or ``--db=postgres``. For PostgreSQL the server comes from
EXAM_CENTER_TEST_POSTGRES_URL (default: root@127.0.0.1:5432); every run creates its own databases
and drops them at the end.
"""
from __future__ import annotations

import os
import queue
import re
import shutil
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from exam_center import create_app, migrate
from exam_center.config import Settings, normalise_database_url
from exam_center.db import Database
from exam_center.models import DeviceKind, OrganisationKind, Role
from exam_center.services.audit import Actor
from exam_center.services.catalogue import sync_catalogue
from exam_center.services.devices import issue_token, register_device
from exam_center.services.organisations import create_organisation
from exam_center.services.staff import create_staff_user
from exam_center.domain.credit_code import make_credit_code

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED = PROJECT_ROOT.parent / "shared"
FACES = SHARED / "data" / "faces"
PASSWORD = "Test2026pass"
DEFAULT_POSTGRES = "postgresql+psycopg://root@127.0.0.1:5432/postgres"


def pytest_addoption(parser):
    parser.addoption("--db", choices=("sqlite", "postgres"), default="sqlite", help="database engine under test")


def pytest_report_header(config):
    return f"database engine: {config.getoption('--db')}"


class DatabaseFactory:
    """Creates databases for tests: from a migrated template (fast) or empty (for migration tests)."""

    def __init__(self, engine: str, workdir: Path) -> None:
        self.engine = engine
        self.workdir = workdir
        self.created: list[str] = []
        self.dropped: set[str] = set()
        if engine == "postgres":
            server = normalise_database_url(os.environ.get("EXAM_CENTER_TEST_POSTGRES_URL") or DEFAULT_POSTGRES)
            self.server_url = sa.engine.make_url(server)
            self.admin = sa.create_engine(self.server_url, isolation_level="AUTOCOMMIT")
            self.to_drop: queue.Queue[str | None] = queue.Queue()
            self.dropper = threading.Thread(target=self._drop_released, name="drop-test-databases", daemon=True)
            self.dropper.start()
        self.template = self._new(empty=True)
        migrate.upgrade(self.template)
        self.world: World | None = None
        self.world_template: str | None = None

    def _name(self) -> str:
        return f"ec_test_{os.getpid()}_{uuid.uuid4().hex[:10]}"

    def _new(self, *, empty: bool, template: str | None = None) -> str:
        name = self._name()
        if self.engine == "sqlite":
            path = self.workdir / f"{name}.sqlite3"
            if template:
                shutil.copyfile(sa.engine.make_url(template).database, path)
            return f"sqlite:///{path}"
        with self.admin.connect() as conn:
            source = f" TEMPLATE {sa.engine.make_url(template).database}" if template else ""
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"{source}')
        self.created.append(name)
        return self.server_url.set(database=name).render_as_string(hide_password=False)

    def migrated(self) -> str:
        return self._new(empty=False, template=self.template)

    def with_world(self) -> tuple[str, "World"]:
        """A migrated database holding the standard test world (built once, then copied)."""
        if self.world is None:
            self.world_template = self.migrated()
            database = Database(self.world_template)
            try:
                self.world = build_world(database)
            finally:
                database.dispose()
        return self._new(empty=False, template=self.world_template), self.world

    def empty(self) -> str:
        return self._new(empty=True)

    def release(self, url: str) -> None:
        """The test using ``url`` is over: its database is dropped in the background. Each drop waits for a
        checkpoint (about 0.2 s); left to the end of the run, the drops added more than a minute to it."""
        if self.engine == "postgres":
            self.to_drop.put(sa.engine.make_url(url).database)

    def _drop(self, name: str) -> None:
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self.dropped.add(name)

    def _drop_released(self) -> None:
        while (name := self.to_drop.get()) is not None:
            try:
                self._drop(name)
            except sa.exc.SQLAlchemyError:
                pass  # drop_all tries it again

    def drop_all(self) -> None:
        if self.engine != "postgres":
            return
        self.to_drop.put(None)
        self.dropper.join()
        for name in reversed(self.created):
            if name not in self.dropped:
                self._drop(name)
        self.admin.dispose()


@pytest.fixture(scope="session")
def db_engine_name(request) -> str:
    return request.config.getoption("--db")


@pytest.fixture(scope="session")
def databases(request, tmp_path_factory, db_engine_name):
    factory = DatabaseFactory(db_engine_name, tmp_path_factory.mktemp("databases"))
    yield factory
    factory.drop_all()


@pytest.fixture
def database_url(request, databases) -> Iterator[str]:
    url = databases.with_world()[0] if "world" in request.fixturenames else databases.migrated()
    yield url
    databases.release(url)


@pytest.fixture
def settings(tmp_path, database_url) -> Settings:
    return Settings(instance_dir=tmp_path / "instance", database_url=database_url, secret_key="test-secret-key",
                    testing=True)


@pytest.fixture
def app(settings):
    application = create_app(settings)
    yield application
    application.extensions["exam_center.db"].dispose()


@pytest.fixture
def db(app) -> Database:
    return app.extensions["exam_center.db"]


@pytest.fixture
def session(db):
    with db.sessions() as s:
        yield s


@pytest.fixture
def client(app):
    return app.test_client()


SYSTEM = Actor.system("tests")
_KIND_FOR_ROLE = {
    Role.INSTITUTION_STAFF: OrganisationKind.TRAINING_INSTITUTION,
    Role.CERT_OFFICER: OrganisationKind.CERTIFICATION_AUTHORITY,
    Role.REGULATOR: OrganisationKind.CERTIFICATION_AUTHORITY,
}


@dataclass
class World:
    """One organisation of each kind, one account per role, one device (with a token) per kind."""

    organisations: dict[OrganisationKind, int]
    usernames: dict[Role, str]
    device_tokens: dict[DeviceKind, str]


def build_world(db: Database) -> World:
    with db.transaction() as s:
        sync_catalogue(s, SYSTEM)
        orgs = {}
        for n, (kind, name) in enumerate([(OrganisationKind.TRAINING_INSTITUTION, "测试培训学校"),
                                          (OrganisationKind.EXAM_CENTRE, "测试考点"),
                                          (OrganisationKind.CERTIFICATION_AUTHORITY, "测试应急管理局")]):
            org = create_organisation(s, SYSTEM, kind=kind, name=name, credit_code=make_credit_code(f"1211010{n}MB000000{n}"),
                                      region_code="110105")
            orgs[kind] = org.id
        usernames = {}
        for role in Role:
            username = f"t_{role.value}"
            create_staff_user(s, SYSTEM, username=username, display_name="测试" + role.value.replace("_", ""),
                              password=PASSWORD, role=role,
                              organisation_id=orgs[_KIND_FOR_ROLE.get(role, OrganisationKind.EXAM_CENTRE)])
            usernames[role] = username
        tokens = {}
        for kind in DeviceKind:
            device = register_device(s, SYSTEM, kind=kind, name=f"test-{kind.value}",
                                     organisation_id=orgs[OrganisationKind.EXAM_CENTRE])
            tokens[kind] = issue_token(s, SYSTEM, device.id)[1]
    return World(orgs, usernames, tokens)


@pytest.fixture
def world(databases, db) -> World:
    """The accounts, organisations and device tokens present in this test's database."""
    return databases.world


def run_in_threads(work, count: int) -> list[BaseException]:
    """Run ``work(n)`` in ``count`` threads at once; return what they raised."""
    errors: list[BaseException] = []

    def guarded(n: int) -> None:
        try:
            work(n)
        except BaseException as error:  # noqa: BLE001 - handed to the test
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client, path: str = "/login") -> str:
    match = CSRF_RE.search(client.get(path).get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def login(client, username: str, password: str = PASSWORD):
    return client.post("/login", data={"csrf_token": csrf_token(client), "username": username,
                                       "password": password})


@pytest.fixture
def login_as(client, world):
    """Sign the test client in as the account of a role; returns the client."""
    def sign_in(role: Role):
        response = login(client, world.usernames[role])
        assert response.status_code == 302, response.get_data(as_text=True)
        return client
    return sign_in


@pytest.fixture
def statements(db, monkeypatch):
    """(statements through SQLAlchemy, statements through the driver), from the test's first use on."""
    import psycopg  # PostgreSQL's tests only

    through_sqlalchemy: list[str] = []
    through_driver: list[str] = []
    execute = psycopg.Connection.execute

    def counted(connection, query, *args, **kwargs):
        through_driver.append(str(query))
        return execute(connection, query, *args, **kwargs)

    def listener(_conn, _cursor, statement, *_args):
        through_sqlalchemy.append(statement)

    def counting():
        monkeypatch.setattr(psycopg.Connection, "execute", counted)
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        return through_sqlalchemy, through_driver

    yield counting
    if sa.event.contains(db.engine, "before_cursor_execute", listener):
        sa.event.remove(db.engine, "before_cursor_execute", listener)
