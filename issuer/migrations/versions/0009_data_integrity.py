"""OB 3.0 Data Integrity credentials of each award, and the wallet grants spent.

Revision ID: 0009_data_integrity
Revises: 0008_tallies
Create Date: 2026-12-06 06:00:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009_data_integrity"
down_revision = "0008_tallies"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("assertions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credential_ld", sa.Text(), nullable=True))
    op.create_table(
        "spent_wallet_grants",
        sa.Column("secret_hash", sa.String(length=64), nullable=False),
        sa.Column("assertion_id", sa.Uuid(), nullable=False),
        sa.Column("spent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("holder", sa.String(length=2048), nullable=False),
        sa.ForeignKeyConstraint(
            ["assertion_id"],
            ["assertions.id"],
            name=op.f("fk_spent_wallet_grants_assertion_id_assertions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("secret_hash", name=op.f("pk_spent_wallet_grants")),
    )
    with op.batch_alter_table("spent_wallet_grants", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_spent_wallet_grants_assertion_id"), ["assertion_id"], unique=False
        )


def downgrade():
    op.drop_table("spent_wallet_grants")
    with op.batch_alter_table("assertions", schema=None) as batch_op:
        batch_op.drop_column("credential_ld")
