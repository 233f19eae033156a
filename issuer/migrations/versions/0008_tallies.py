"""Counts kept by the database, and indexes that keep every list's cost flat.

Award counts per badge (all awards and the revoked ones) and the number of users are kept in
``badge_tallies`` and ``tallies`` by triggers, so whatever writes the rows (a service, a bulk
load, a course's fast path, another host) the counts stay exact and a list never counts
millions of rows. PostgreSQL counts once per statement from the transition tables (a
10,000-row INSERT updates each badge's tally once); SQLite, once per row.

Partial indexes serve the lists that read a small part of a large table: the feed (newest
current awards), revocation lists and status lists (revoked awards only), and the people list.

Revision ID: 0008_tallies
Revises: 0007_rate_limits
Create Date: 2026-12-06 01:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008_tallies"
down_revision = "0007_rate_limits"
branch_labels = None
depends_on = None

# As SQLAlchemy renders the queries' filters on each database (see issuer.models.badges).
FEED = {
    "sqlite": "revoked IS 0 AND hidden IS 0",
    "postgresql": "revoked IS false AND hidden IS false",
}
REVOKED = {"sqlite": "revoked IS 1", "postgresql": "revoked IS true"}

UPSERT_BADGE_TALLY = """
    ON CONFLICT (badge_id) DO UPDATE
    SET awarded = t.awarded + excluded.awarded, revoked = t.revoked + excluded.revoked"""

# PostgreSQL: one trigger per table and operation, run once per statement on its transition
# tables. Sorted by badge, so two transactions lock the same tallies in the same order. An
# update that leaves the counts alone (signing, hiding) changes nothing, so locks nothing. A
# delete lowers only the tallies that exist (emptying the tallies first, then the awards,
# leaves nothing behind).
PG_TRIGGERS = {
    "assertions_tally_insert": (
        "assertions",
        "INSERT",
        "NEW TABLE AS new_rows",
        """
        INSERT INTO badge_tallies AS t (badge_id, awarded, revoked)
        SELECT badge_id, count(*), count(*) FILTER (WHERE revoked)
        FROM new_rows GROUP BY badge_id ORDER BY badge_id"""
        + UPSERT_BADGE_TALLY,
    ),
    "assertions_tally_update": (
        "assertions",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        """
        INSERT INTO badge_tallies AS t (badge_id, awarded, revoked)
        SELECT badge_id, sum(awarded), sum(revoked) FROM (
            SELECT badge_id, 1 AS awarded, revoked::int AS revoked FROM new_rows
            UNION ALL SELECT badge_id, -1, -(revoked::int) FROM old_rows
        ) AS changes
        GROUP BY badge_id HAVING sum(awarded) <> 0 OR sum(revoked) <> 0 ORDER BY badge_id"""
        + UPSERT_BADGE_TALLY,
    ),
    "assertions_tally_delete": (
        "assertions",
        "DELETE",
        "OLD TABLE AS old_rows",
        """
        UPDATE badge_tallies AS t
        SET awarded = t.awarded - gone.awarded, revoked = t.revoked - gone.revoked
        FROM (SELECT badge_id, count(*) AS awarded, count(*) FILTER (WHERE revoked) AS revoked
              FROM old_rows GROUP BY badge_id) AS gone
        WHERE t.badge_id = gone.badge_id""",
    ),
    "users_tally_insert": (
        "users",
        "INSERT",
        "NEW TABLE AS new_rows",
        """
        INSERT INTO tallies AS t (name, value)
        SELECT 'users', count(*) FROM new_rows HAVING count(*) > 0
        ON CONFLICT (name) DO UPDATE SET value = t.value + excluded.value""",
    ),
    "users_tally_delete": (
        "users",
        "DELETE",
        "OLD TABLE AS old_rows",
        """
        UPDATE tallies SET value = value - (SELECT count(*) FROM old_rows)
        WHERE name = 'users'""",
    ),
}


def _postgresql_triggers() -> None:
    for name, (table, operation, transition, body) in PG_TRIGGERS.items():
        op.execute(
            f"CREATE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body};\n"
            "RETURN NULL; END $$"
        )
        op.execute(
            f"CREATE TRIGGER {name} AFTER {operation} ON {table} REFERENCING {transition} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}()"
        )


SQLITE_ADD_AWARD = """
    INSERT INTO badge_tallies (badge_id, awarded, revoked) VALUES (NEW.badge_id, 1, NEW.revoked)
    ON CONFLICT (badge_id) DO UPDATE
    SET awarded = awarded + 1, revoked = revoked + excluded.revoked;"""
SQLITE_REMOVE_AWARD = """
    UPDATE badge_tallies SET awarded = awarded - 1, revoked = revoked - OLD.revoked
    WHERE badge_id = OLD.badge_id;"""


def _sqlite_triggers() -> None:
    op.execute(
        f"CREATE TRIGGER assertions_tally_insert AFTER INSERT ON assertions BEGIN"
        f"{SQLITE_ADD_AWARD}\nEND"
    )
    op.execute(
        "CREATE TRIGGER assertions_tally_update AFTER UPDATE OF badge_id, revoked ON assertions "
        "WHEN OLD.badge_id <> NEW.badge_id OR OLD.revoked <> NEW.revoked BEGIN"
        f"{SQLITE_REMOVE_AWARD}{SQLITE_ADD_AWARD}\nEND"
    )
    op.execute(
        f"CREATE TRIGGER assertions_tally_delete AFTER DELETE ON assertions BEGIN"
        f"{SQLITE_REMOVE_AWARD}\nEND"
    )
    op.execute(
        "CREATE TRIGGER users_tally_insert AFTER INSERT ON users BEGIN "
        "INSERT INTO tallies (name, value) VALUES ('users', 1) "
        "ON CONFLICT (name) DO UPDATE SET value = value + 1; END"
    )
    op.execute(
        "CREATE TRIGGER users_tally_delete AFTER DELETE ON users BEGIN "
        "UPDATE tallies SET value = value - 1 WHERE name = 'users'; END"
    )


def upgrade():
    op.create_table(
        "badge_tallies",
        sa.Column("badge_id", sa.Uuid(), nullable=False),
        sa.Column("awarded", sa.BigInteger(), nullable=False),
        sa.Column("revoked", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["badge_id"], ["badge_classes.id"], name=op.f("fk_badge_tallies_badge_id_badge_classes")
        ),
        sa.PrimaryKeyConstraint("badge_id", name=op.f("pk_badge_tallies")),
    )
    op.create_table(
        "tallies",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_tallies")),
    )
    op.execute(
        "INSERT INTO badge_tallies (badge_id, awarded, revoked) "
        "SELECT badge_id, count(*), sum(CASE WHEN revoked THEN 1 ELSE 0 END) "
        "FROM assertions GROUP BY badge_id"
    )
    op.execute("INSERT INTO tallies (name, value) SELECT 'users', count(*) FROM users")
    if op.get_bind().dialect.name == "postgresql":
        _postgresql_triggers()
    else:
        _sqlite_triggers()
    for name, columns, where in (
        ("ix_assertions_feed", ["created_at", "id"], FEED),
        ("ix_assertions_revoked", ["badge_id", "revoked", "revoked_at", "id"], REVOKED),
        ("ix_assertions_status_revoked", ["status_list", "revoked", "status_index"], REVOKED),
    ):
        op.create_index(
            name,
            "assertions",
            columns,
            sqlite_where=sa.text(where["sqlite"]),
            postgresql_where=sa.text(where["postgresql"]),
        )
    # A badge's award list pages newest first, ties broken by id, without a sort.
    op.drop_index("ix_assertions_badge_created", table_name="assertions")
    op.create_index("ix_assertions_badge_created", "assertions", ["badge_id", "created_at", "id"])
    op.create_index("ix_users_name_email", "users", ["name", "email"])
    op.create_index("ix_users_created", "users", ["created_at", "id"])


def downgrade():
    op.drop_index("ix_users_created", table_name="users")
    op.drop_index("ix_users_name_email", table_name="users")
    op.drop_index("ix_assertions_badge_created", table_name="assertions")
    op.create_index("ix_assertions_badge_created", "assertions", ["badge_id", "created_at"])
    for name in ("ix_assertions_status_revoked", "ix_assertions_revoked", "ix_assertions_feed"):
        op.drop_index(name, table_name="assertions")
    for name, (table, *_) in PG_TRIGGERS.items():  # SQLite's triggers have the same names
        if op.get_bind().dialect.name == "postgresql":
            op.execute(f"DROP TRIGGER {name} ON {table}")
            op.execute(f"DROP FUNCTION {name}()")
        else:
            op.execute(f"DROP TRIGGER {name}")
    op.drop_table("tallies")
    op.drop_table("badge_tallies")
