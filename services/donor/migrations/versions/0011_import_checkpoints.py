"""Bulk import (docs/api.md "Bulk import"): where an interrupted import stands; imported donations keep no vitals;
a donor's donations by collection time (history newest first, the importer's duplicate check).

Revision ID: 0011
"""
import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "import_checkpoints",
        sa.Column("file_key", sa.String(64), primary_key=True),
        sa.Column("byte_offset", sa.BigInteger, nullable=False),
        sa.Column("line_no", sa.Integer, nullable=False),
        sa.Column("donors", sa.Integer, nullable=False),
        sa.Column("donations", sa.Integer, nullable=False),
        sa.Column("duplicates", sa.Integer, nullable=False),
        sa.Column("rejected", sa.Integer, nullable=False),
        sa.Column("rejects_bytes", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    with op.batch_alter_table("donations") as batch:
        batch.alter_column("hemoglobin_g_l", existing_type=sa.Float, nullable=True)
        batch.alter_column("weight_kg", existing_type=sa.Float, nullable=True)
    op.create_index("ix_donations_donor_collected", "donations", ["donor_id", "collected_at"])


def downgrade():
    op.drop_index("ix_donations_donor_collected", table_name="donations")
    with op.batch_alter_table("donations") as batch:
        batch.alter_column("weight_kg", existing_type=sa.Float, nullable=False)
        batch.alter_column("hemoglobin_g_l", existing_type=sa.Float, nullable=False)
    op.drop_table("import_checkpoints")
