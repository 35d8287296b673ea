"""Group donation (团体献血): organisations, drives with their roster, and donations that carry their drive.

Revision ID: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "organisations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("station_id", sa.String(40), nullable=False),
        sa.Column("region", sa.String(8), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "drives",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("organisation_id", sa.String(36), nullable=False, index=True),
        sa.Column("station_id", sa.String(40), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("point_id", sa.String(36), nullable=True),
        sa.Column("target_donors", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "drive_roster",
        sa.Column("drive_id", sa.String(36), primary_key=True),
        sa.Column("donor_id", sa.String(36), primary_key=True),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("donations", sa.Column("drive_id", sa.String(36), nullable=True))
    op.create_index("ix_donations_drive_id", "donations", ["drive_id"])


def downgrade():
    op.drop_index("ix_donations_drive_id", "donations")
    with op.batch_alter_table("donations") as batch:
        batch.drop_column("drive_id")
    op.drop_table("drive_roster")
    op.drop_table("drives")
    op.drop_table("organisations")
