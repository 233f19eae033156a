"""SQL helpers for working on many rows at once, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import (
    JSON,
    ColumnElement,
    Text,
    TextClause,
    any_,
    bindparam,
    cast,
    func,
    select,
    text,
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute

from issuer.extensions import db

# Keeps IN (...) lists and multi-row VALUES well under every database's bound-parameter limit.
CHUNK = 500
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Yield successive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


# The databases the issuer runs on: statements that differ between them are built for each.
DIALECTS = ("sqlite", "postgresql")


def dialect_name() -> str:
    """The name of the current session's database dialect."""
    return db.session.get_bind().dialect.name


def any_of(
    column: InstrumentedAttribute[T] | ColumnElement[T],
    dialect: str,
    name: str | None = None,
    values: Sequence[T] | None = None,
) -> ColumnElement[bool]:
    """The condition that ``column`` is one of a list: the values of parameter ``name``, or
    ``values``.

    On PostgreSQL ``column = ANY(:array)``: a single parameter and a single index plan
    whatever the count (thousands of bound parameters cost more to plan than to run).
    Elsewhere an expanding ``IN``, to be given at most CHUNK values at a time (value_lists).
    """
    postgres = dialect == "postgresql"
    type_: Any = postgresql.ARRAY(column.type) if postgres else column.type
    param = (
        bindparam(name, type_=type_, expanding=not postgres)
        if values is None
        else bindparam(name, list(values), type_=type_, expanding=not postgres)
    )
    return column == any_(param) if postgres else column.in_(param)


def value_lists(values: Sequence[T]) -> Iterator[list[T]]:
    """The lists to give an any_of parameter in turn: all at once on PostgreSQL, CHUNK at a
    time elsewhere; nothing for no values."""
    if not values:
        return
    if dialect_name() == "postgresql":
        yield list(values)
        return
    for chunk in chunks(values):
        yield list(chunk)


def among(
    column: InstrumentedAttribute[T] | ColumnElement[T], values: Sequence[T]
) -> Iterator[ColumnElement[bool]]:
    """Conditions that together select the rows whose ``column`` is one of ``values``, for
    statements built where they run (see any_of)."""
    dialect = dialect_name()
    for part in value_lists(values):
        yield any_of(column, dialect, values=part)


S = TypeVar("S")


class PerDialect(Generic[S]):
    """Something built once for each database (a statement, usually): building a statement
    and its cache key costs more than running it on SQLite, so the hot paths build theirs at
    import time, with bound parameters, and run them as they are."""

    def __init__(self, build: Callable[[str], S]) -> None:
        self._built = {dialect: build(dialect) for dialect in DIALECTS}

    def current(self) -> S:
        """The one for the current session's database."""
        return self._built[dialect_name()]


def insert_ignoring_duplicates(
    model: type[DeclarativeBase],
    *unique_columns: str,
    where: ColumnElement[bool] | TextClause | None = None,
) -> Any:
    """An INSERT that skips rows clashing on ``unique_columns`` (ON CONFLICT DO NOTHING).

    The database decides, so two requests racing to insert the same row cannot both succeed
    and neither fails: the loser waits for the winner's commit and then inserts nothing.
    ``where`` names the predicate of a partial unique index.
    """
    return _insert(model).on_conflict_do_nothing(
        index_elements=list(unique_columns), index_where=where
    )


def insert_rows(
    model: type[DeclarativeBase],
    rows: Sequence[dict[str, Any]],
    *,
    unique: Sequence[str] = (),
    where: TextClause | None = None,
    returning: Any = None,
) -> list[Any]:
    """Insert rows (all with the same keys); return ``returning`` of each row inserted.

    One statement whatever the count: ``INSERT ... SELECT`` from the rows sent as one
    parameter, ``unnest`` of one array per column on PostgreSQL (a third of the cost of as
    many multi-row VALUES) and ``json_each`` of one JSON array on SQLite (a row-by-row
    executemany runs the table's triggers' set-up for every row: four times the cost once the
    table has a few indexes). With ``unique`` (and ``where``, the predicate of a partial
    unique index) rows clashing on those columns are skipped, as insert_ignoring_duplicates
    does. ``returning`` is a mapped class (its objects come back) or a column. A single row
    (a course platform's completion) goes in as plain ``VALUES``, which costs a third less.
    """
    if not rows:
        return []
    dialect = db.session.get_bind().dialect
    where_sql = None if where is None else where.text
    plan = _insert_plan(model, tuple(rows[0]), tuple(unique), where_sql, returning, dialect)
    if len(rows) == 1:
        statement, parameters = plan.single, rows[0]
    else:
        statement, parameters = plan.statement, plan.parameters(rows)
    if returning is None:
        db.session.execute(statement, parameters)
        return []
    return list(db.session.scalars(statement, parameters))


@dataclass(frozen=True)
class _InsertPlan:
    """A bulk INSERT built once per table, columns and dialect; the rows are its parameters.

    Building a statement (and its cache key) costs more than running it for a few rows.
    """

    statement: Any
    # The same INSERT of one row, from plain VALUES.
    single: Any
    columns: tuple[str, ...]
    # SQLite: each column's bind processor; PostgreSQL: whether the column is JSON.
    binds: tuple[Callable[[Any], Any] | None, ...]
    json_columns: tuple[bool, ...]
    postgresql: bool

    def parameters(self, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
        """The statement's parameters for these rows."""
        if self.postgresql:
            return {
                f"rows_{name}": [json.dumps(row[name]) if is_json else row[name] for row in rows]
                for name, is_json in zip(self.columns, self.json_columns, strict=True)
            }
        # Each value as SQLAlchemy's own type binds it (UUIDs as hex, datetimes as text, JSON
        # serialised), so it is stored exactly as the ORM stores it.
        columns = list(zip(self.columns, self.binds, strict=True))
        payload = [
            [bind(row[name]) if bind else row[name] for name, bind in columns] for row in rows
        ]
        return {"rows": json.dumps(payload)}


@functools.lru_cache(maxsize=128)
def _insert_plan(
    model: type[DeclarativeBase],
    columns: tuple[str, ...],
    unique: tuple[str, ...],
    where_sql: str | None,
    returning: Any,
    dialect: Dialect,
) -> _InsertPlan:
    table: Any = model.__table__
    on_postgresql = dialect.name == "postgresql"
    source = _unnest(table, columns) if on_postgresql else _json_each(columns)
    where = None if where_sql is None else text(where_sql)
    insert = insert_ignoring_duplicates(model, *unique, where=where) if unique else _insert(model)
    many = insert.from_select(list(columns), source)
    single = insert.values({name: bindparam(name) for name in columns})
    if isinstance(returning, type):
        many = select(returning).from_statement(many.returning(*table.c))
        single = select(returning).from_statement(single.returning(*table.c))
    elif returning is not None:
        many, single = many.returning(returning), single.returning(returning)
    return _InsertPlan(
        many,
        single,
        columns,
        binds=tuple(
            table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns
        ),
        json_columns=tuple(isinstance(table.c[name].type, JSON) for name in columns),
        postgresql=on_postgresql,
    )


def _insert(model: type[DeclarativeBase]) -> Any:
    """A Core INSERT into the model's table in the session's dialect (with ON CONFLICT).

    Core, not ORM: the ORM would take a dict of parameters for rows to insert in bulk.
    """
    module = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(model.__table__)


def _unnest(table: Any, columns: tuple[str, ...]) -> Any:
    """A SELECT from ``unnest`` of one array parameter per column (PostgreSQL)."""
    arrays = [_array(table.c[name]) for name in columns]
    source = func.unnest(*arrays).table_valued(*columns).render_derived()
    return select(
        *(
            cast(source.c[name], JSON) if isinstance(table.c[name].type, JSON) else source.c[name]
            for name in columns
        )
    )


def _json_each(columns: tuple[str, ...]) -> Any:
    """A SELECT from ``json_each`` of one JSON array of rows, sent as parameter ``rows``."""
    source = func.json_each(bindparam("rows", type_=Text)).table_valued("value")
    values = [func.json_extract(source.c.value, f"$[{index}]") for index in range(len(columns))]
    # SQLite needs a WHERE between INSERT ... SELECT and its ON CONFLICT clause.
    return select(*values).where(true())


def _array(column: Any) -> Any:
    """The array parameter of a column's values; JSON goes as text (a JSON list is a value,
    not another dimension of the array) and is cast back by the caller."""
    element = Text if isinstance(column.type, JSON) else column.type
    return bindparam(f"rows_{column.name}", type_=postgresql.ARRAY(element))
