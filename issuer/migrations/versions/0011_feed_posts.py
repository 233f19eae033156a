"""Feed posts: each award records whether it was posted to the feed when it was made.

Until now the feed asked the badge's and the site's settings at every read, so turning the
feed off hid earlier posts and turning it on again posted every award made meanwhile. Now
those settings decide at award time. Earlier awards keep what the settings showed at the
upgrade: posted if their badge posts to the feed and the site's feed is on.

Revision ID: 0011_feed_posts
Revises: 0010_people
Create Date: 2026-12-06 11:00:00

"""

import json

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011_feed_posts"
down_revision = "0010_people"
branch_labels = None
depends_on = None

OLD_FEED = {
    "sqlite": "revoked IS 0 AND hidden IS 0",
    "postgresql": "revoked IS false AND hidden IS false",
}
NEW_FEED = {
    "sqlite": "revoked IS 0 AND hidden IS 0 AND in_feed IS 1",
    "postgresql": "revoked IS false AND hidden IS false AND in_feed IS true",
}

# Plain ALTER TABLE, as in 0010: a batch operation would copy the table on SQLite and lose
# the tally triggers of migration 0008.


def upgrade():
    op.add_column(
        "assertions", sa.Column("in_feed", sa.Boolean(), server_default=sa.true(), nullable=False)
    )
    bind = op.get_bind()
    stored = bind.execute(sa.text("SELECT value FROM settings WHERE key = 'feed_enabled'"))
    row = stored.first()
    value = None if row is None else row[0]
    if isinstance(value, str):  # JSON text on SQLite
        value = json.loads(value)
    if value is False:
        op.execute(sa.text("UPDATE assertions SET in_feed = false"))
    else:
        op.execute(
            sa.text(
                "UPDATE assertions SET in_feed = false WHERE badge_id IN "
                "(SELECT id FROM badge_classes WHERE post_to_feed = false)"
            )
        )
    _replace_feed_index(NEW_FEED)


def downgrade():
    _replace_feed_index(OLD_FEED)
    op.drop_column("assertions", "in_feed")


def _replace_feed_index(where):
    op.drop_index("ix_assertions_feed", table_name="assertions")
    op.create_index(
        "ix_assertions_feed",
        "assertions",
        ["created_at", "id"],
        sqlite_where=sa.text(where["sqlite"]),
        postgresql_where=sa.text(where["postgresql"]),
    )
