"""People management: accounts can be deactivated (their awards stay valid).

Revision ID: 0010_people
Revises: 0009_data_integrity
Create Date: 2026-12-06 07:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010_people"
down_revision = "0009_data_integrity"
branch_labels = None
depends_on = None


# Plain ALTER TABLE (SQLite 3.35+ drops columns too): a batch operation would copy the table
# on SQLite and lose the tally triggers of migration 0008.


def upgrade():
    op.add_column(
        "users", sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False)
    )


def downgrade():
    op.drop_column("users", "active")
