"""Donation points (houses, fixed points, vehicles and their stops), slots that never overbook, and donors'
appointments (one booked at a time per donor).

Revision ID: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "donation_points",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("station_id", sa.String(40), nullable=False, index=True),
        sa.Column("region", sa.String(8), nullable=False, index=True),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("slot_minutes", sa.Integer, nullable=False),
        sa.Column("capacity", sa.JSON, nullable=False),
        sa.Column("hours", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "point_stops",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("point_id", sa.String(36), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("address", sa.String(200), nullable=False),
        sa.Column("lat", sa.Float, nullable=False),
        sa.Column("lon", sa.Float, nullable=False),
        sa.Column("opens", sa.String(5), nullable=False),
        sa.Column("closes", sa.String(5), nullable=False),
        sa.UniqueConstraint("point_id", "day", name="uq_point_stop_day"),
    )
    op.create_table(
        "slots",
        sa.Column("point_id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("starts_at", sa.DateTime(timezone=True), primary_key=True),
        sa.Column("capacity", sa.Integer, nullable=False),
        sa.Column("booked", sa.Integer, nullable=False),
        sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="ck_slot_not_overbooked"),
    )
    op.create_table(
        "appointments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("donor_id", sa.String(36), nullable=False, index=True),
        sa.Column("point_id", sa.String(36), nullable=False),
        sa.Column("station_id", sa.String(40), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answers", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(12), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reminded_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("donation_id", sa.String(36), nullable=True),
    )
    op.create_index("ix_appointments_point_day", "appointments", ["point_id", "starts_at"])
    op.create_index("ix_appointments_due", "appointments", ["status", "starts_at"])
    op.create_index("uq_one_booked_per_donor", "appointments", ["donor_id"], unique=True,
                    sqlite_where=sa.text("status = 'booked'"), postgresql_where=sa.text("status = 'booked'"))


def downgrade():
    op.drop_table("appointments")
    op.drop_table("slots")
    op.drop_table("point_stops")
    op.drop_table("donation_points")
