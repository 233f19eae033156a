"""SQL helpers for working on many rows at once, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, TextClause
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import DeclarativeBase

from issuer.extensions import db

# Keeps IN (...) lists and multi-row VALUES well under every database's bound-parameter limit.
CHUNK = 500
T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    """Yield successive slices of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


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
