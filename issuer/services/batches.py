"""SQL helpers for working on many rows at once, on SQLite and PostgreSQL alike."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import (
    JSON,
    ColumnElement,
    Table,
    Text,
    TextClause,
    any_,
    bindparam,
    cast,
    func,
    select,
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
    model: type[DeclarativeBase] | Table,
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

    On PostgreSQL one statement whatever the count: ``INSERT ... SELECT`` from ``unnest`` of
    one array per column, which costs a third of as many multi-row VALUES. Elsewhere multi-row
    VALUES of at most CHUNK rows. With ``unique`` (and ``where``, the predicate of a partial
    unique index) rows clashing on those columns are skipped, as insert_ignoring_duplicates
    does. ``returning`` is a mapped class (its objects come back) or a column.
    """
    if not rows:
        return []
    dialect = db.session.get_bind().dialect.name
    statement: Any
    if dialect == "postgresql":
        table: Any = model.__table__
        columns = list(rows[0])
        arrays = [_array(table.c[name], [row[name] for row in rows]) for name in columns]
        source = func.unnest(*arrays).table_valued(*columns).render_derived()
        values = [
            cast(source.c[name], JSON) if isinstance(table.c[name].type, JSON) else source.c[name]
            for name in columns
        ]
        statement = postgresql.insert(model).from_select(columns, select(*values))
        if unique:
            statement = statement.on_conflict_do_nothing(
                index_elements=list(unique), index_where=where
            )
        if returning is None:
            db.session.execute(statement)
            return []
        if isinstance(returning, type):
            returned = select(returning).from_statement(statement.returning(*table.c))
            return list(db.session.scalars(returned))
        return list(db.session.scalars(statement.returning(returning)))
    # Without RETURNING, on the table: the ORM's bulk INSERT spends more per row on its
    # bookkeeping than SQLite spends inserting it.
    target: Any = model if returning is not None else model.__table__
    statement = (
        insert_ignoring_duplicates(target, *unique, where=where)
        if unique
        else sqlite.insert(target)
    )
    if returning is not None:
        statement = statement.returning(returning)
    inserted: list[Any] = []
    for chunk in chunks(rows):
        if returning is None:
            db.session.execute(statement, list(chunk))
        else:
            inserted.extend(db.session.scalars(statement, list(chunk)))
    return inserted


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
