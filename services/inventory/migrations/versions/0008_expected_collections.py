"""Expected collections: the donor service's booked appointments and scheduled drives per station and day, and the
donations collected (with their drive and kept appointment) that count against them.

Revision ID: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "expected_appointments",
        sa.Column("appointment_id", sa.String(36), primary_key=True),
        sa.Column("site_id", sa.String(40), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("point_id", sa.String(36), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_expected_appointments_site_day", "expected_appointments", ["site_id", "day"])
    op.create_table(
        "expected_drives",
        sa.Column("drive_id", sa.String(36), primary_key=True),
        sa.Column("site_id", sa.String(40), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("point_id", sa.String(36), nullable=True),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("target_donors", sa.Integer, nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_expected_drives_site_day", "expected_drives", ["site_id", "day"])
    op.create_table(
        "collections",
        sa.Column("donation_id", sa.String(36), primary_key=True),
        sa.Column("site_id", sa.String(40), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("drive_id", sa.String(36), nullable=True),
        sa.Column("appointment_id", sa.String(36), nullable=True),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_collections_site_day", "collections", ["site_id", "day"])
    op.create_index("ix_collections_drive_id", "collections", ["drive_id"])
    op.create_index("ix_collections_appointment_id", "collections", ["appointment_id"])


def downgrade():
    op.drop_table("collections")
    op.drop_table("expected_drives")
    op.drop_table("expected_appointments")
