"""SQL helpers for working on many rows at once, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, TextClause, any_, bindparam
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
