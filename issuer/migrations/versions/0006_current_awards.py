"""One current award per badge and recipient, enforced by a partial unique index.

Awards made with allow_duplicate are marked ``duplicate`` and stay outside the rule. Awards that
earlier races duplicated are marked the same way, all but the oldest, so the index can be built
and each recipient keeps the award they were shown first.

Revision ID: 0006_current_awards
Revises: 0005_credentials
Create Date: 2026-12-05 15:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006_current_awards"
down_revision = "0005_credentials"
branch_labels = None
depends_on = None

CURRENT_AWARD = "revoked = false AND duplicate = false"


def upgrade():
    with op.batch_alter_table("assertions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("duplicate", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    op.execute(
        """
        UPDATE assertions SET duplicate = true
        WHERE revoked = false AND EXISTS (
            SELECT 1 FROM assertions AS earlier
            WHERE earlier.badge_id = assertions.badge_id
              AND earlier.recipient_id = assertions.recipient_id
              AND earlier.revoked = false
              AND (earlier.created_at < assertions.created_at
                   OR (earlier.created_at = assertions.created_at AND earlier.id < assertions.id))
        )
        """
    )
    op.create_index(
        "uq_assertions_current",
        "assertions",
        ["badge_id", "recipient_id"],
        unique=True,
        sqlite_where=sa.text(CURRENT_AWARD),
        postgresql_where=sa.text(CURRENT_AWARD),
    )


def downgrade():
    op.drop_index("uq_assertions_current", table_name="assertions")
    with op.batch_alter_table("assertions", schema=None) as batch_op:
        batch_op.drop_column("duplicate")
