"""Donations record an adverse reaction (repeat donors without one may give blood up to 60).

Revision ID: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("donations", sa.Column("adverse_reaction", sa.Boolean, nullable=False,
                                         server_default=sa.false()))


def downgrade():
    with op.batch_alter_table("donations") as batch:
        batch.drop_column("adverse_reaction")
