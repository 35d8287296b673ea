"""Deductions and claims record whether the relative's conditions (cannot donate, no employer paying) were
attested: Shanghai's family waiver requires it (policy `relative_conditions_required`).

Revision ID: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("deductions", "claims"):
        op.add_column(table, sa.Column("relative_conditions_attested", sa.Boolean, nullable=False,
                                       server_default=sa.false()))


def downgrade():
    for table in ("claims", "deductions"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("relative_conditions_attested")
