"""A mail claim records the day the office received it (`received_on`, Asia/Shanghai): days to pay count from
receipt, not from the day a reviewer got to entering it.

Revision ID: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("claims", sa.Column("received_on", sa.Date, nullable=True))


def downgrade():
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("received_on")
