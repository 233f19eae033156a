"""Checks that the database has what the queries rely on: indexes and the tally triggers."""

from __future__ import annotations

from sqlalchemy import inspect, text

from issuer.extensions import db

# The triggers of migration 0008 that keep badge_tallies and tallies (same names on both).
TALLY_TRIGGERS = (
    "assertions_tally_insert",
    "assertions_tally_update",
    "assertions_tally_delete",
    "users_tally_insert",
    "users_tally_delete",
)


def missing_schema_parts() -> list[str]:
    """Name every declared index and tally trigger the database lacks, or has but never uses."""
    inspector = inspect(db.engine)
    missing: list[str] = []
    for table in db.metadata.sorted_tables:
        present = {index["name"] for index in inspector.get_indexes(table.name)}
        missing += [
            f"index {index.name} on {table.name}"
            for index in sorted(table.indexes, key=lambda index: str(index.name))
            if index.name not in present
        ]
    if db.engine.dialect.name == "postgresql":
        # An index left invalid (a failed CREATE INDEX CONCURRENTLY) exists but is never used.
        invalid = db.session.scalars(
            text(
                "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE NOT i.indisvalid AND n.nspname = current_schema() ORDER BY 1"
            )
        )
        missing += [f"index {name} (invalid: drop and create it again)" for name in invalid]
        triggers = set(
            db.session.scalars(
                text("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgenabled <> 'D'")
            )
        )
    else:
        triggers = set(
            db.session.scalars(text("SELECT name FROM sqlite_master WHERE type = 'trigger'"))
        )
    missing += [f"trigger {name}" for name in TALLY_TRIGGERS if name not in triggers]
    return missing
