"""Donations, DIN sequences, awards, notifications, shortage call-ups, deferrals, audit log.

Revision ID: 0002
"""
import sqlalchemy as sa
from alembic import op

from servicekit.audit import create_audit_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("donors", sa.Column("deferred_until", sa.Date, nullable=True))
    op.add_column("donors", sa.Column("deferral_reason", sa.String(200), nullable=True))
    op.create_table(
        "donations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("donor_id", sa.String(36), nullable=False, index=True),
        sa.Column("din", sa.String(13), nullable=False, unique=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("volume_ml", sa.Integer, nullable=True),
        sa.Column("doses", sa.Integer, nullable=True),
        sa.Column("counts_as_ml", sa.Integer, nullable=False),
        sa.Column("collected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("site_id", sa.String(40), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("hemoglobin_g_l", sa.Float, nullable=False),
        sa.Column("weight_kg", sa.Float, nullable=False),
        sa.Column("systolic", sa.Integer, nullable=True),
        sa.Column("diastolic", sa.Integer, nullable=True),
    )
    op.create_table(
        "din_sequences",
        sa.Column("facility_id", sa.String(5), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_seq", sa.Integer, nullable=False),
    )
    op.create_table(
        "awards",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("donor_id", sa.String(36), nullable=False, index=True),
        sa.Column("level", sa.String(20), nullable=False),
        sa.Column("cycle", sa.Integer, nullable=False),
        sa.Column("units_at_grant", sa.Float, nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("donor_id", "level", "cycle", name="uq_award_once"),
    )
    op.create_table(
        "notifications",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("donor_id", sa.String(36), nullable=False, index=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("read", sa.Boolean, nullable=False),
        sa.Column("dedupe_key", sa.String(120), nullable=True, unique=True),
    )
    op.create_table(
        "shortage_campaigns",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("site_id", sa.String(40), nullable=False),
        sa.Column("component", sa.String(20), nullable=False),
        sa.Column("abo", sa.String(2), nullable=False),
        sa.Column("rhd", sa.String(3), nullable=False),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("donors_notified", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "shortage_contacts",
        sa.Column("donor_id", sa.String(36), primary_key=True),
        sa.Column("last_called_at", sa.DateTime(timezone=True), nullable=False),
    )
    create_audit_tables(op.get_bind())


def downgrade():
    for table in ("audit_log", "shortage_contacts", "shortage_campaigns", "notifications", "awards",
                  "din_sequences", "donations"):
        op.drop_table(table)
    with op.batch_alter_table("donors") as batch:
        batch.drop_column("deferral_reason")
        batch.drop_column("deferred_until")
