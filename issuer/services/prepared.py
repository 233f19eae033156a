"""Core statements compiled once and run straight on the session's DB-API connection.

For the few calls whose rate matters one request at a time (a course platform reporting stage
completions): SQLAlchemy's statement execution costs ten to forty times the query itself on
SQLite. A prepared statement is compiled once per dialect; each run converts its values with
SQLAlchemy's own type processors (so UUIDs, datetimes and JSON are stored exactly as the ORM
stores them) and executes on the connection of the current session, inside its transaction.
It does not flush the session first: run prepared statements before any ORM change that they
must see, as the callers do.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.compiler import SQLCompiler

from issuer.extensions import db

Converter = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Compiled:
    sql: str
    # For positional paramstyles, the bind names in order; None for named ones.
    order: tuple[str, ...] | None
    defaults: dict[str, Any]
    binds: dict[str, Converter]
    results: tuple[Converter, ...]


class Prepared:
    """A statement compiled once per dialect; ``run`` executes it in the session's transaction."""

    def __init__(
        self, statement: ClauseElement, results: Sequence[ColumnElement[Any]] = ()
    ) -> None:
        self.statement = statement
        self.result_columns = tuple(results)
        self._compiled: dict[str, _Compiled] = {}

    def run(self, **values: Any) -> list[tuple[Any, ...]]:
        """Execute with these bind values; return the rows (converted) if it returns any."""
        connection = db.session.connection()
        sql, arguments = self.bound(connection.dialect, **values)
        cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, arguments)
            if cursor.description is None:
                return []
            rows = cursor.fetchall()
        finally:
            cursor.close()
        converters = self._compiled[connection.dialect.name].results
        if not any(converters):
            return [tuple(row) for row in rows]
        return [
            tuple(c(v) if c else v for c, v in zip(converters, row, strict=True)) for row in rows
        ]

    def bound(self, dialect: Dialect, **values: Any) -> tuple[str, Any]:
        """The SQL and the DB-API arguments that ``run`` executes for these bind values."""
        compiled = self._compiled.get(dialect.name) or self._compile(dialect)
        params: dict[str, Any] = {**compiled.defaults, **values}
        for name, convert in compiled.binds.items():
            if convert is not None:
                params[name] = convert(params[name])
        arguments: Any = (
            params if compiled.order is None else tuple(params[n] for n in compiled.order)
        )
        return compiled.sql, arguments

    def _compile(self, dialect: Dialect) -> _Compiled:
        compiled = cast(SQLCompiler, self.statement.compile(dialect=dialect))
        binds: dict[str, Converter] = {}
        defaults: dict[str, Any] = {}
        for name, bind in compiled.binds.items():
            binds[name] = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if bind.value is not None or not bind.required:
                defaults[name] = bind.value
        positional = compiled.positiontup is not None and dialect.paramstyle in ("qmark", "format")
        result = _Compiled(
            sql=compiled.string,
            order=tuple(compiled.positiontup or ()) if positional else None,
            defaults=defaults,
            binds=binds,
            results=tuple(
                column.type.dialect_impl(dialect).result_processor(dialect, None)
                for column in self.result_columns
            ),
        )
        self._compiled[dialect.name] = result
        return result
