"""Fast single-row reads by key, for the hottest public paths.

A hosted assertion is fetched by every verifier and backpack, so its read skips SQLAlchemy's
statement execution machinery (which costs several times the query itself on SQLite) and runs
one prepared SELECT on a pooled DB-API connection. Values still pass through SQLAlchemy's own
type converters, so they come back exactly as the ORM would return them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Table
from sqlalchemy.engine import Engine

_PLACEHOLDERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}
Converter = Callable[[Any], Any] | None


class RowReader:
    """Reads chosen columns of one row of a table, found by its primary key."""

    def __init__(self, engine: Engine, table: Table, columns: Sequence[str]) -> None:
        dialect = engine.dialect
        placeholder = _PLACEHOLDERS.get(dialect.paramstyle)
        if placeholder is None:
            raise NotImplementedError(f"no fast reads for paramstyle {dialect.paramstyle}")
        (key,) = table.primary_key.columns
        quote = dialect.identifier_preparer.quote
        self.engine = engine
        # Identifiers come from our own table metadata, quoted by the dialect; the key is bound.
        names = ", ".join(quote(name) for name in columns)
        where = f"{quote(key.name)} = {placeholder}"
        self.sql = f"SELECT {names} FROM {quote(table.name)} WHERE {where}"  # noqa: S608
        self._bind: Converter = key.type.dialect_impl(dialect).bind_processor(dialect)
        converters = [
            table.c[name].type.dialect_impl(dialect).result_processor(dialect, None)
            for name in columns
        ]
        self._converters = [(i, c) for i, c in enumerate(converters) if c is not None]

    def read(self, key: Any) -> tuple[Any, ...] | None:
        """Return the row's values in column order, or None when there is no such row."""
        raw = self.read_raw(key)
        return None if raw is None else self.convert(raw)

    def read_raw(self, key: Any) -> tuple[Any, ...] | None:
        """Return the row as the DB-API driver gives it (unconverted), or None."""
        connection = self.engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(self.sql, (self._bind(key) if self._bind else key,))
            row = cursor.fetchone()
            cursor.close()
        finally:
            connection.close()  # back to the pool, which rolls back any implicit transaction
        return None if row is None else tuple(row)

    def convert(self, raw: tuple[Any, ...]) -> tuple[Any, ...]:
        """Turn a raw row into the values the ORM would give (UUIDs, aware datetimes ...)."""
        values = list(raw)
        for index, convert in self._converters:
            values[index] = convert(values[index])
        return tuple(values)


_readers: WeakKeyDictionary[Engine, dict[tuple[str, tuple[str, ...]], RowReader]] = (
    WeakKeyDictionary()
)


def reader_for(engine: Engine, table: Table, columns: Sequence[str]) -> RowReader:
    """Return the (cached) reader of these columns of table on this engine."""
    per_engine = _readers.setdefault(engine, {})
    key = (table.name, tuple(columns))
    reader = per_engine.get(key)
    if reader is None:
        reader = per_engine[key] = RowReader(engine, table, columns)
    return reader
