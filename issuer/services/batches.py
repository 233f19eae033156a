"""SQL helpers for working on many rows at once, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

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
    true,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute

from issuer.extensions import db

# Keeps IN (...) lists and multi-row VALUES well under every database's bound-parameter limit.
CHUNK = 500
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Yield successive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def among(column: InstrumentedAttribute[T], values: Sequence[T]) -> Iterator[ColumnElement[bool]]:
    """Conditions that together select the rows whose ``column`` is one of ``values``.

    On PostgreSQL one ``column = ANY(:array)``: a single parameter and a single index plan
    whatever the count (thousands of bound parameters cost more to plan than to run). Elsewhere
    ``IN`` lists of at most CHUNK values.
    """
    if not values:
        return
    if db.session.get_bind().dialect.name == "postgresql":
        array = bindparam(None, list(values), type_=postgresql.ARRAY(column.type))
        yield column == any_(array)
        return
    for chunk in chunks(values):
        yield column.in_(chunk)


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
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    return module.insert(model).on_conflict_do_nothing(
        index_elements=list(unique_columns), index_where=where
    )


def insert_rows(
    model: type[DeclarativeBase],
    rows: Sequence[dict[str, Any]],
    *,
    unique: Sequence[str] = (),
    where: ColumnElement[bool] | TextClause | None = None,
    returning: Any = None,
) -> list[Any]:
    """Insert rows (all with the same keys); return ``returning`` of each row inserted.

    One statement whatever the count: ``INSERT ... SELECT`` from the rows sent as one
    parameter, ``unnest`` of one array per column on PostgreSQL (a third of the cost of as
    many multi-row VALUES) and ``json_each`` of one JSON array on SQLite (a row-by-row
    executemany runs the table's triggers' set-up for every row: four times the cost once the
    table has a few indexes). With ``unique`` (and ``where``, the predicate of a partial
    unique index) rows clashing on those columns are skipped, as insert_ignoring_duplicates
    does. ``returning`` is a mapped class (its objects come back) or a column.
    """
    if not rows:
        return []
    table: Any = model.__table__
    columns = list(rows[0])
    dialect = db.session.get_bind().dialect
    source = (
        _unnest(table, columns, rows)
        if dialect.name == "postgresql"
        else _json_each(table, columns, rows, dialect)
    )
    statement = insert_ignoring_duplicates(model, *unique, where=where) if unique else None
    if statement is None:
        statement = (postgresql if dialect.name == "postgresql" else sqlite).insert(model)
    statement = statement.from_select(columns, source)
    if returning is None:
        db.session.execute(statement)
        return []
    if isinstance(returning, type):
        returned = select(returning).from_statement(statement.returning(*table.c))
        return list(db.session.scalars(returned))
    return list(db.session.scalars(statement.returning(returning)))


def _unnest(table: Any, columns: list[str], rows: Sequence[dict[str, Any]]) -> Any:
    """The rows as a SELECT from ``unnest`` of one array per column (PostgreSQL)."""
    arrays = [_array(table.c[name], [row[name] for row in rows]) for name in columns]
    source = func.unnest(*arrays).table_valued(*columns).render_derived()
    return select(
        *(
            cast(source.c[name], JSON) if isinstance(table.c[name].type, JSON) else source.c[name]
            for name in columns
        )
    )


def _json_each(table: Any, columns: list[str], rows: Sequence[dict[str, Any]], dialect: Any) -> Any:
    """The rows as a SELECT from ``json_each`` of one JSON array of rows (SQLite).

    Each value goes in as SQLAlchemy's own type would bind it (UUIDs as hex, datetimes as
    text, JSON serialised), so it is stored exactly as the ORM stores it.
    """
    binds = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
    payload = json.dumps(
        [
            [
                bind(row[name]) if bind else row[name]
                for name, bind in zip(columns, binds, strict=True)
            ]
            for row in rows
        ]
    )
    source = func.json_each(bindparam("rows", payload, type_=Text)).table_valued("value")
    values = [func.json_extract(source.c.value, f"$[{index}]") for index in range(len(columns))]
    # SQLite needs a WHERE between INSERT ... SELECT and its ON CONFLICT clause.
    return select(*values).where(true())


def _array(column: Any, values: list[Any]) -> Any:
    """One array parameter holding a column's values; JSON goes as text (a JSON list is a
    value, not another dimension of the array) and is cast back by the caller."""
    if isinstance(column.type, JSON):
        return bindparam(
            f"rows_{column.name}",
            [json.dumps(value) for value in values],
            type_=postgresql.ARRAY(Text),
        )
    return bindparam(f"rows_{column.name}", values, type_=postgresql.ARRAY(column.type))
