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
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.sql import Executable

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


class DriverStatement:
    """A statement for the hottest paths of exam day, run autocommitted through the driver: SQLAlchemy builds
    and compiles it once per dialect and says how each parameter and column is converted; each run then costs
    only the driver's work (SQLAlchemy's execution layer cost as much CPU as the statement itself).

    ``autocommitted_row`` runs it on a pooled connection and answers its first row. The pool's checkout events
    (the idle ping) still run; on a lost connection, as SQLAlchemy itself does, that connection is thrown away
    and the pool renewed."""

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._prepared: dict[str, _Prepared] = {}

    def autocommitted_row(self, engine: Engine, values: dict[str, Any]) -> tuple | None:
        prepared = self._prepared.get(engine.dialect.name)
        if prepared is None:
            prepared = self._prepared[engine.dialect.name] = _Prepared(self.statement, engine.dialect)
        pooled = engine.raw_connection()
        driver = pooled.driver_connection
        try:
            driver.autocommit = True
            try:
                cursor = driver.execute(prepared.sql, prepared.parameters(values))
                row = cursor.fetchone()
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
        return None if row is None else prepared.result(row, cursor.description)


class _Prepared:
    """A statement compiled for one dialect, with its parameters' and columns' conversions as SQLAlchemy has
    them (the dialect's own: JSON, enums, ``UTCDateTime``)."""

    def __init__(self, statement: Executable, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.escaped_bind_names or compiled.positional:
            raise ValueError("a driver statement's parameters must be named as in the SQL")
        self.sql = compiled.string
        self._given = {name for name, bind in compiled.binds.items() if bind.required}
        self._fixed = {name: bind.effective_value for name, bind in compiled.binds.items() if not bind.required}
        self._convert = [(name, convert) for name, bind in compiled.binds.items()
                         if (convert := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None]
        self._dialect = dialect
        self._types = [column.type.dialect_impl(dialect) for column in statement.selected_columns]
        self._columns: list | None = None

    def parameters(self, values: dict[str, Any]) -> dict[str, Any]:
        if values.keys() != self._given:  # a name mistyped would silently be NULL
            raise ValueError(f"the statement takes {sorted(self._given)}, not {sorted(values)}")
        parameters = {**self._fixed, **values}
        for name, convert in self._convert:
            parameters[name] = convert(parameters[name])
        return parameters

    def result(self, row: tuple, description) -> tuple:
        if self._columns is None:  # some conversions depend on the type the server answers with
            self._columns = [type_.result_processor(self._dialect, column.type_code)
                             for type_, column in zip(self._types, description)]
        return tuple(value if convert is None else convert(value) for convert, value in zip(self._columns, row))


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
