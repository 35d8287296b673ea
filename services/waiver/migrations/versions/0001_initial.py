"""Donor ledger, outbox and inbox.

Revision ID: 0001
"""
import sqlalchemy as sa
from alembic import op

from servicekit.tables import create_infra_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    create_infra_tables(op.get_bind())
    op.create_table(
        "ledger_donors",
        sa.Column("donor_id", sa.String(36), primary_key=True),
        sa.Column("national_id_blind", sa.String(64), nullable=False, unique=True),
        sa.Column("national_id_masked", sa.String(40), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table("ledger_donors")
    op.drop_table("processed_events")
    op.drop_table("outbox")
