"""Donations keep the pulse and, for apheresis, the pre-collection haematocrit and platelet count.

Revision ID: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("donations", sa.Column("pulse", sa.Integer, nullable=True))
    op.add_column("donations", sa.Column("hematocrit", sa.Float, nullable=True))
    op.add_column("donations", sa.Column("platelet_count", sa.Float, nullable=True))


def downgrade():
    with op.batch_alter_table("donations") as batch:
        for column in ("platelet_count", "hematocrit", "pulse"):
            batch.drop_column(column)
