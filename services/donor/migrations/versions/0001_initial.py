"""Donors, outbox and inbox.

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
        "donors",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("id_type", sa.String(30), nullable=False),
        sa.Column("national_id_encrypted", sa.String(300), nullable=False),
        sa.Column("national_id_blind", sa.String(64), nullable=False, unique=True),
        sa.Column("national_id_masked", sa.String(40), nullable=False),
        sa.Column("phone_encrypted", sa.String(300), nullable=False),
        sa.Column("phone_blind", sa.String(64), nullable=False, index=True),
        sa.Column("phone_masked", sa.String(20), nullable=False),
        sa.Column("birth_date", sa.Date, nullable=False),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("abo", sa.String(2), nullable=False),
        sa.Column("rhd", sa.String(3), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("registered_site", sa.String(40), nullable=True),
        sa.Column("status", sa.String(30), nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade():
    op.drop_table("donors")
    op.drop_table("processed_events")
    op.drop_table("outbox")
