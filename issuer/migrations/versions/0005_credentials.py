"""OB 3.0 credentials: the VC-JWT of each award, its status list entry and the allocator.

Revision ID: 0005_credentials
Revises: 0004_courses
Create Date: 2026-11-29 18:10:00

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0005_credentials"
down_revision = "0004_courses"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("assertions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("credential_jwt", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("credential_kid", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("status_list", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("status_index", sa.Integer(), nullable=True))
        batch_op.create_index("ix_assertions_status", ["status_list", "status_index"], unique=True)
    op.create_table(
        "status_allocator",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seed", sa.LargeBinary(length=32), nullable=False),
        sa.Column("next_number", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_allocator")),
    )


def downgrade():
    op.drop_table("status_allocator")
    with op.batch_alter_table("assertions", schema=None) as batch_op:
        batch_op.drop_index("ix_assertions_status")
        batch_op.drop_column("status_index")
        batch_op.drop_column("status_list")
        batch_op.drop_column("credential_kid")
        batch_op.drop_column("credential_jwt")
