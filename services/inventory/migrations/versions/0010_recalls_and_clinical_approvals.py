"""Lookback recalls with their lines per hospital and unit; orders' clinical approvals and the per-patient day
totals their tiers count (#22).

Revision ID: 0010
"""
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "recalls",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("trigger", sa.String(30), nullable=False),
        sa.Column("trigger_ref", sa.String(64), nullable=False),
        sa.Column("marker", sa.String(40), nullable=False),
        sa.Column("donor_id", sa.String(36), nullable=False, index=True),
        sa.Column("window_days", sa.Integer, nullable=False),
        sa.Column("window_from", TS, nullable=False),
        sa.Column("window_to", TS, nullable=False),
        sa.Column("status", sa.String(10), nullable=False, index=True),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("held_unit_ids", sa.JSON, nullable=False),
        sa.UniqueConstraint("trigger", "trigger_ref", name="uq_recall_trigger"),
    )
    op.create_table(
        "recall_lines",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("recall_id", sa.String(36), nullable=False, index=True),
        sa.Column("hospital_id", sa.String(40), nullable=False, index=True),
        sa.Column("region", sa.String(8), nullable=True),
        sa.Column("unit_id", sa.String(36), nullable=False),
        sa.Column("din", sa.String(14), nullable=False),
        sa.Column("component", sa.String(20), nullable=False),
        sa.Column("status_at_notice", sa.String(20), nullable=False),
        sa.Column("notified_at", TS, nullable=False),
        sa.Column("answer", sa.String(20), nullable=True),
        sa.Column("answered_at", TS, nullable=True),
        sa.Column("answered_by", sa.String(100), nullable=True),
        sa.Column("note", sa.String(500), nullable=True),
        sa.UniqueConstraint("recall_id", "unit_id", name="uq_recall_line_unit"),
    )
    op.create_table(
        "order_approvals",
        sa.Column("order_id", sa.String(36), primary_key=True),
        sa.Column("hospital_id", sa.String(40), nullable=False),
        sa.Column("patient_blind", sa.String(64), nullable=False),
        sa.Column("patient_masked", sa.String(40), nullable=False),
        sa.Column("day", sa.String(10), nullable=False),
        sa.Column("counted_ml", sa.Integer, nullable=False),
        sa.Column("day_total_ml", sa.Integer, nullable=False),
        sa.Column("required_level", sa.String(30), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("given", sa.JSON, nullable=True),
        sa.Column("approved_at", TS, nullable=True),
    )
    op.create_index("ix_order_approvals_owed", "order_approvals", ["status", "hospital_id"])
    op.create_table(
        "patient_day_totals",
        sa.Column("hospital_id", sa.String(40), primary_key=True),
        sa.Column("patient_blind", sa.String(64), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("ml", sa.Integer, nullable=False),
    )


def downgrade():
    op.drop_table("patient_day_totals")
    op.drop_index("ix_order_approvals_owed", "order_approvals")
    op.drop_table("order_approvals")
    op.drop_table("recall_lines")
    op.drop_table("recalls")
