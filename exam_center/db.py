"""Engine and sessions for SQLite (embedded) and PostgreSQL (province).

SQLite: WAL, foreign keys, a busy timeout, full fsync. Transactions that will write start with
BEGIN IMMEDIATE: a deferred transaction that reads first and writes later fails outright
(SQLITE_BUSY_SNAPSHOT) when another writer committed in between, and the busy timeout cannot save it.
Reads (``read_only()``) start deferred so they never wait for the writer.
"""
from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

_read_only: contextvars.ContextVar[bool] = contextvars.ContextVar("exam_center_read_only", default=False)


def begin_read_only() -> contextvars.Token:
    """Transactions begun from here on (in this context) are deferred on SQLite: they take no write lock."""
    return _read_only.set(True)


def end_read_only(token: contextvars.Token) -> None:
    _read_only.reset(token)


@contextlib.contextmanager
def read_only() -> Iterator[None]:
    token = begin_read_only()
    try:
        yield
    finally:
        end_read_only(token)


def make_engine(url: str, *, sqlite_busy_timeout_ms: int = 10_000, echo: bool = False,
                ping_idle_seconds: float = 5.0) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            echo=echo,
            connect_args={"timeout": sqlite_busy_timeout_ms / 1000, "check_same_thread": False},
            # pysqlite's own transaction handling would hide BEGIN from us; we emit it below.
            isolation_level=None,
        )
        _configure_sqlite(engine, sqlite_busy_timeout_ms)
        return engine
    engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20)
    _ping_after_idle(engine, ping_idle_seconds)
    return engine


def _ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    """A pooled connection that sat idle longer than ``idle_seconds`` is pinged when checked out, and replaced
    if the server has gone (restarted, or it dropped idle sessions). SQLAlchemy's ``pool_pre_ping`` pings on
    every checkout: one more round trip for each request, a tenth of an exam start under load. A connection
    busy moments ago is not pinged; if the server went away in between, that one request fails and SQLAlchemy
    then replaces every pooled connection."""
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection, record) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection, record, _proxy) -> None:
        idle_since = record.info.get("idle_since")
        if idle_since is None or time.monotonic() - idle_since <= idle_seconds:
            return
        try:
            with dbapi_connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            dbapi_connection.rollback()
        except engine.dialect.loaded_dbapi.Error as error:
            raise DisconnectionError(f"a pooled connection idle for {time.monotonic() - idle_since:.0f} s is "
                                     f"gone: {error}") from error  # the pool replaces it and checks out again


def _configure_sqlite(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        # Acknowledged means durable: fsync the WAL on every commit.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        connection.exec_driver_sql("BEGIN" if _read_only.get() else "BEGIN IMMEDIATE")


def autocommitted_row(engine: Engine, sql: str, params: dict) -> tuple | None:
    """One statement, autocommitted, on a pooled PostgreSQL connection, straight through the driver: the first
    row it answers. ``sql`` is already compiled for this engine's dialect and ``params`` are what the driver
    takes (no SQLAlchemy type processing). For the hottest statement of exam day only: SQLAlchemy's execution
    layer cost as much CPU as the statement itself. The pool's checkout events (the idle ping) still run; on a
    lost connection, as SQLAlchemy itself does, that connection is thrown away and the pool renewed."""
    pooled = engine.raw_connection()
    driver = pooled.driver_connection
    try:
        driver.autocommit = True
        try:
            return driver.execute(sql, params).fetchone()
        finally:
            if not driver.closed:
                driver.autocommit = False
    except engine.dialect.loaded_dbapi.Error as error:
        if engine.dialect.is_disconnect(error, driver, None):
            pooled.invalidate(error)
            engine.dispose()  # the others are as suspect: closed when next returned, new ones from now on
        raise
    finally:
        pooled.close()


class Database:
    """One engine and its session factory; the app and the CLI each hold one."""

    def __init__(self, url: str, *, sqlite_busy_timeout_ms: int = 10_000) -> None:
        self.url = url
        self.engine = make_engine(url, sqlite_busy_timeout_ms=sqlite_busy_timeout_ms)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work is committed at the end of the block, or rolled back on error."""
        with self.sessions() as session, session.begin():
            yield session

    def dispose(self) -> None:
        self.engine.dispose()
