"""Orders record the clinical override that let an emergency take RhD-incompatible red cells.

Revision ID: 0006
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("orders", sa.Column("emergency_override", sa.JSON, nullable=True))


def downgrade():
    with op.batch_alter_table("orders") as batch:
        batch.drop_column("emergency_override")
