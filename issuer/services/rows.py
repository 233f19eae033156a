"""Fast single-row reads by key, for the hottest public paths.

A hosted assertion is fetched by every verifier and backpack, so its read skips SQLAlchemy's
statement execution and pool checkout (which together cost several times the query itself on
SQLite) and runs one prepared SELECT on a DB-API connection that each thread keeps for these
reads, in autocommit so that it never holds a transaction open. Values still pass through
SQLAlchemy's own type converters, so they come back exactly as the ORM would return them.

On PostgreSQL (psycopg) the SELECT is prepared once per connection and run on psycopg's libpq
connection. Its raw row is the column values as the server sent them (bytes): enough to tell
whether a cached answer still holds, for a microsecond. Only when it does not are the values
loaded by psycopg's own Transformer (the values a cursor would return; parsing timestamps and
JSON costs about 12 microseconds, most of what a hosted GET spends in Python here).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
import weakref
from collections.abc import Callable, Sequence
from typing import Any

from psycopg import errors as psycopg_errors
from psycopg import pq
from psycopg.adapt import Transformer
from sqlalchemy import Table, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import PoolProxiedConnection

from issuer.extensions import db

_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
Converter = Callable[[Any], Any] | None


class _ThreadConnection:
    """A DB-API connection detached from the pool for one thread; closed with the thread."""

    def __init__(self, engine: Engine) -> None:
        self.proxy: PoolProxiedConnection = engine.raw_connection()
        self.proxy.detach()  # off the pool's books, so it never starves other requests
        dbapi: Any = self.proxy.dbapi_connection
        self.dbapi = dbapi
        self.libpq: Any = None  # psycopg's libpq connection and row loader, on PostgreSQL
        self.transformer: Any = None
        self.prepared: set[bytes] = set()  # names of the statements prepared on it
        if engine.dialect.name == "postgresql":
            dbapi.autocommit = True
            if engine.dialect.driver == "psycopg":
                self.libpq = dbapi.pgconn
                self.transformer = Transformer(dbapi)

    def close(self) -> None:
        """Close the connection, ignoring one already broken."""
        with contextlib.suppress(Exception):
            self.proxy.close()

    def __del__(self) -> None:
        self.close()


class RowReader:
    """Reads chosen columns of one row of a table, found by its primary key."""

    def __init__(self, engine: Engine, table: Table, columns: Sequence[str]) -> None:
        dialect = engine.dialect
        placeholder = _PLACEHOLDERS.get(dialect.paramstyle)
        if placeholder is None:
            raise NotImplementedError(f"no fast reads for paramstyle {dialect.paramstyle}")
        (key,) = table.primary_key.columns
        quote = dialect.identifier_preparer.quote
        # A weak reference: a cached reader must not keep a disposed engine alive.
        self._engine = weakref.ref(engine)
        self._errors: type[Exception] = dialect.loaded_dbapi.Error
        self._local = threading.local()
        # Every thread's connection, so that disposing of the engine closes them all.
        self._opened: weakref.WeakSet[_ThreadConnection] = weakref.WeakSet()
        self._lock = threading.Lock()
        # Identifiers come from our own table metadata, quoted by the dialect; the key is bound.
        names = ", ".join(quote(name) for name in columns)
        where = f"{quote(key.name)} = {placeholder}"
        self.sql = f"SELECT {names} FROM {quote(table.name)} WHERE {where}"  # noqa: S608
        self._libpq_sql = self.sql.replace(placeholder, "$1").encode()
        self._libpq_name = f"row_{hashlib.sha256(self._libpq_sql).hexdigest()[:16]}".encode()
        self._bind: Converter = key.type.dialect_impl(dialect).bind_processor(dialect)
        converters = [
            table.c[name].type.dialect_impl(dialect).result_processor(dialect, None)
            for name in columns
        ]
        self._converters = [(i, c) for i, c in enumerate(converters) if c is not None]
        self._libpq_types: list[int] = []  # the columns' type oids, read when first prepared

    def read(self, key: Any) -> tuple[Any, ...] | None:
        """Return the row's values in column order, or None when there is no such row."""
        raw = self.read_raw(key)
        return None if raw is None else self.convert(raw)

    def read_raw(self, key: Any) -> tuple[Any, ...] | None:
        """Return the row unconverted (as the server sent it on PostgreSQL), or None.

        Equal raw rows convert to equal values: callers key their caches by them.
        """
        parameters = (self._bind(key) if self._bind else key,)
        try:
            return self._fetch(parameters)
        except self._errors:
            # The kept connection may have gone stale (a database restart): retry on a new one.
            self._drop_connection()
            return self._fetch(parameters)

    def convert(self, raw: tuple[Any, ...]) -> tuple[Any, ...]:
        """Turn a raw row into the values the ORM would give (UUIDs, aware datetimes ...)."""
        held = self._connection()
        if held.libpq is not None:
            held.transformer.set_loader_types(self._libpq_types, pq.Format.TEXT)
            raw = held.transformer.load_sequence(raw)
        values = list(raw)
        for index, convert in self._converters:
            values[index] = convert(values[index])
        return tuple(values)

    def _fetch(self, parameters: tuple[Any, ...]) -> tuple[Any, ...] | None:
        held = self._connection()
        if held.libpq is not None:
            return self._fetch_libpq(held, str(parameters[0]).encode())
        cursor = held.dbapi.cursor()
        try:
            cursor.execute(self.sql, parameters)
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else tuple(row)

    def _fetch_libpq(self, held: _ThreadConnection, key: bytes) -> tuple[Any, ...] | None:
        if self._libpq_name not in held.prepared:
            _check(held.libpq.prepare(self._libpq_name, self._libpq_sql), held.dbapi)
            held.prepared.add(self._libpq_name)
            described = _check(held.libpq.describe_prepared(self._libpq_name), held.dbapi)
            self._libpq_types = [described.ftype(i) for i in range(described.nfields)]
        result = _check(held.libpq.exec_prepared(self._libpq_name, [key]), held.dbapi)
        if result.ntuples == 0:
            return None
        return tuple([result.get_value(0, i) for i in range(result.nfields)])

    def _connection(self) -> _ThreadConnection:
        held: _ThreadConnection | None = getattr(self._local, "connection", None)
        if held is None:
            engine = self._engine()
            if engine is None:
                raise RuntimeError("the engine of this reader is gone")
            held = self._local.connection = _ThreadConnection(engine)
            with self._lock:
                self._opened.add(held)
        return held

    def close(self) -> None:
        """Close the connections of every thread (they reopen on the next read)."""
        with self._lock:
            opened = list(self._opened)
            self._opened.clear()
        for held in opened:
            held.close()
        self._local = threading.local()

    def _drop_connection(self) -> None:
        held: _ThreadConnection | None = getattr(self._local, "connection", None)
        if held is not None:
            held.close()
            del self._local.connection


def _check(result: Any, connection: Any) -> Any:
    """Return a libpq result, or raise psycopg's error for it (a broken connection too)."""
    if result.status not in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
        raise psycopg_errors.error_from_result(result, encoding=connection.info.encoding)
    return result


_readers: weakref.WeakKeyDictionary[Engine, dict[tuple[str, tuple[str, ...]], RowReader]] = (
    weakref.WeakKeyDictionary()
)


def reader_for(engine: Engine, table: Table, columns: Sequence[str]) -> RowReader:
    """Return the (cached) reader of these columns of table on this engine."""
    per_engine = _readers.get(engine)
    if per_engine is None:
        per_engine = _readers[engine] = {}
        event.listen(engine, "engine_disposed", _close_readers)
    key = (table.name, tuple(columns))
    reader = per_engine.get(key)
    if reader is None:
        reader = per_engine[key] = RowReader(engine, table, columns)
    return reader


def table_reader(table: str, columns: Sequence[str]) -> RowReader:
    """The reader of these columns of a table, on the current app's database."""
    return reader_for(db.engine, db.metadata.tables[table], columns)


def _close_readers(engine: Engine) -> None:
    for reader in _readers.get(engine, {}).values():
        reader.close()
