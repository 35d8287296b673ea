"""Claims are handled and paid by the region of the donation that pays them (`handling_region`), one payment per
paying region (`payments`). Existing claims keep the region that handled them so far.

Revision ID: 0005
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("claims", sa.Column("handling_region", sa.String(8), nullable=True))
    op.add_column("claims", sa.Column("payments", sa.JSON, nullable=True))
    op.execute("UPDATE claims SET handling_region = region")
    op.create_index("ix_claims_handling_region", "claims", ["handling_region"])


def downgrade():
    op.drop_index("ix_claims_handling_region", "claims")
    with op.batch_alter_table("claims") as batch:
        batch.drop_column("payments")
        batch.drop_column("handling_region")
