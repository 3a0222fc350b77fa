"""The engine settings the embedded and province modes rely on."""
from __future__ import annotations

import time

import pytest
import sqlalchemy as sa

from exam_center.db import Database, make_engine, read_only
from exam_center.models import Organisation, OrganisationKind, Role, StaffUser

from conftest import run_in_threads


def test_sqlite_pragmas(database_url, db_engine_name):
    if db_engine_name != "sqlite":
        pytest.skip("SQLite pragmas apply to the embedded engine only")
    database = Database(database_url, sqlite_busy_timeout_ms=4321)
    try:
        with database.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 4321
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        database.dispose()


def test_postgresql_goes_through_psycopg3(database_url, db_engine_name):
    if db_engine_name != "postgres":
        pytest.skip("PostgreSQL only")
    database = Database(database_url)
    try:
        assert database.engine.dialect.driver == "psycopg"
    finally:
        database.dispose()


def _pooled_backend_killed(engine, admin) -> int:
    """Check a connection out and back in, then have the server end its session; its process id."""
    with engine.connect() as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
    with admin.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")  # pg_stat_activity: a fresh view each time
        conn.exec_driver_sql(f"SELECT pg_terminate_backend({int(pid)})")
        for _ in range(100):  # the backend ends asynchronously
            if not conn.exec_driver_sql(f"SELECT count(*) FROM pg_stat_activity WHERE pid = {int(pid)}").scalar():
                break
            time.sleep(0.05)
        else:
            raise AssertionError(f"backend {pid} did not end")
    return pid


def test_postgresql_replaces_a_pooled_connection_that_died_while_idle(database_url, db_engine_name):
    if db_engine_name != "postgres":
        pytest.skip("PostgreSQL only: SQLite has no server to lose")
    engine, admin = make_engine(database_url, ping_idle_seconds=0.2), make_engine(database_url)
    try:
        pid = _pooled_backend_killed(engine, admin)
        time.sleep(0.3)
        with engine.connect() as conn:  # pinged, found dead, replaced: the caller sees nothing of it
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() != pid
    finally:
        engine.dispose()
        admin.dispose()


def test_a_connection_used_moments_ago_is_not_pinged_and_one_failure_renews_the_pool(database_url, db_engine_name):
    if db_engine_name != "postgres":
        pytest.skip("PostgreSQL only: SQLite has no server to lose")
    engine, admin = make_engine(database_url, ping_idle_seconds=60), make_engine(database_url)
    try:
        _pooled_backend_killed(engine, admin)
        with pytest.raises(sa.exc.OperationalError) as failed, engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        assert failed.value.connection_invalidated
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    finally:
        engine.dispose()
        admin.dispose()


def test_foreign_keys_are_enforced(db):
    with pytest.raises(sa.exc.IntegrityError):
        with db.transaction() as s:
            s.add(StaffUser(username="ghost", display_name="无主", password_hash="x", role=Role.PROCTOR,
                            organisation_id=999_999))


def test_concurrent_read_modify_write_transactions_do_not_fail(db):
    """Writers that read first (the usual request) wait for each other instead of failing with 'database is locked'."""
    with db.transaction() as s:
        s.add(Organisation(kind=OrganisationKind.EXAM_CENTRE, name="并发考点", credit_code="X" * 18, region_code="110105",
                           contact_phone="0"))
    def worker(_n: int) -> None:
        for _ in range(15):
            with db.transaction() as s:
                org = s.scalar(sa.select(Organisation).where(Organisation.name == "并发考点"))
                org.contact_phone = str(int(org.contact_phone) + 1)

    assert run_in_threads(worker, 4) == []
    with db.sessions() as s:
        # No lost update on SQLite (writers serialised); PostgreSQL's READ COMMITTED may lose some,
        # which is why services that count use row locks — here we only require that nothing failed.
        value = int(s.scalar(sa.select(Organisation.contact_phone).where(Organisation.name == "并发考点")))
    if db.engine.dialect.name == "sqlite":
        assert value == 60
    else:
        assert 15 <= value <= 60


def test_read_only_block_takes_no_write_lock(db):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite locking only")
    with db.transaction() as writer:
        writer.execute(sa.text("SELECT 1"))  # holds the write lock (BEGIN IMMEDIATE) until the block ends
        with read_only(), db.sessions() as reader:
            assert reader.scalar(sa.select(sa.func.count()).select_from(Organisation)) == 0


def test_a_driver_statement_converts_as_sqlalchemy_does_and_takes_only_its_parameters(db, db_engine_name):
    """``DriverStatement`` skips SQLAlchemy's execution layer, not its conversions: an aware time is stored as
    naive UTC and comes back aware, an enum as its value, JSON as JSON; a parameter named wrongly runs nothing."""
    if db_engine_name != "postgres":
        pytest.skip("the driver statements are PostgreSQL's")
    import datetime as dt

    from exam_center.db import DriverStatement
    from exam_center.models import AttemptStatus
    from exam_center.models.base import UTCDateTime, enum_type

    statement = DriverStatement(sa.select(
        sa.bindparam("at", type_=UTCDateTime), sa.cast(sa.bindparam("at", type_=UTCDateTime), sa.Text),
        sa.bindparam("status", type_=enum_type(AttemptStatus, "attempt_status")),
        sa.bindparam("doc", type_=sa.JSON), sa.literal(5)))
    beijing = dt.timezone(dt.timedelta(hours=8))
    at = dt.datetime(2026, 12, 7, 9, 30, tzinfo=beijing)
    assert statement.autocommitted_row(db.engine, {"at": at, "status": AttemptStatus.PAUSED, "doc": {"答": [1]}}) == (
        at.astimezone(dt.timezone.utc), "2026-12-07 01:30:00", AttemptStatus.PAUSED, {"答": [1]}, 5)
    for wrong in ({"at": at, "status": AttemptStatus.PAUSED}, {"at": at, "status": AttemptStatus.PAUSED, "doc": 1,
                                                               "extra": 2}):
        with pytest.raises(ValueError, match="the statement takes"):
            statement.autocommitted_row(db.engine, wrong)
