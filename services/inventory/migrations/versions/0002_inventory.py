"""Sites, demand, units and their movements, stock levels, orders, transfusions, transfers, plans, audit log.

Revision ID: 0002
"""
import sqlalchemy as sa
from alembic import op

from servicekit.audit import create_audit_tables

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        "sites",
        sa.Column("id", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("region", sa.String(8), nullable=False, index=True),
        sa.Column("supplier_id", sa.String(40), nullable=True),
        sa.Column("lat", sa.Float, nullable=True),
        sa.Column("lon", sa.Float, nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "site_demand",
        sa.Column("site_id", sa.String(40), primary_key=True),
        sa.Column("component", sa.String(20), primary_key=True),
        sa.Column("abo", sa.String(2), primary_key=True),
        sa.Column("rhd", sa.String(3), primary_key=True),
        sa.Column("units_per_day", sa.Float, nullable=False),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("din", sa.String(14), nullable=False, index=True),
        sa.Column("donation_id", sa.String(36), nullable=True),
        sa.Column("donor_id", sa.String(36), nullable=True),
        sa.Column("component", sa.String(20), nullable=False),
        sa.Column("abo", sa.String(2), nullable=False),
        sa.Column("rhd", sa.String(3), nullable=False),
        sa.Column("units", sa.Float, nullable=False),
        sa.Column("volume_ml", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("site_id", sa.String(40), nullable=False),
        sa.Column("region", sa.String(8), nullable=True),
        sa.Column("collected_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("bag_no", sa.Integer, nullable=False, server_default="1"),
        sa.Column("issued_to", sa.String(40), nullable=True),
        sa.Column("issued_from", sa.String(40), nullable=True),
        sa.Column("issued_at", TS, nullable=True),
        sa.Column("order_id", sa.String(36), nullable=True),
        sa.Column("transfer_id", sa.String(36), nullable=True),
        sa.Column("reason", sa.String(200), nullable=True),
        sa.Column("updated_at", TS, nullable=True),
        sa.UniqueConstraint("din", "component", "bag_no", name="uq_unit_per_donation"),
    )
    op.create_index("ix_units_stock", "units", ["site_id", "status", "component", "abo", "rhd", "expires_at"])
    op.create_index("ix_units_issues", "units", ["issued_from", "component", "abo", "rhd", "issued_at"])
    op.create_index("ix_units_expiry", "units", ["status", "expires_at"])
    op.create_table(
        "unit_movements",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("unit_id", sa.String(36), nullable=False, index=True),
        sa.Column("at", TS, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("from_site", sa.String(40), nullable=True),
        sa.Column("to_site", sa.String(40), nullable=True),
        sa.Column("ref", sa.String(36), nullable=True),
        sa.Column("note", sa.String(200), nullable=True),
    )
    op.create_table(
        "stock_levels",
        sa.Column("site_id", sa.String(40), primary_key=True),
        sa.Column("component", sa.String(20), primary_key=True),
        sa.Column("abo", sa.String(2), primary_key=True),
        sa.Column("rhd", sa.String(3), primary_key=True),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("level", sa.String(10), nullable=True),
        sa.Column("available_units", sa.Float, nullable=False),
        sa.Column("days_of_supply", sa.Float, nullable=True),
        sa.Column("yellow_since", TS, nullable=True),
        sa.Column("orange_since", TS, nullable=True),
        sa.Column("red_since", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "orders",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("hospital_id", sa.String(40), nullable=False, index=True),
        sa.Column("supplier_id", sa.String(40), nullable=False),
        sa.Column("priority", sa.String(10), nullable=False),
        sa.Column("status", sa.String(15), nullable=False),
        sa.Column("lines", sa.JSON, nullable=False),
        sa.Column("unit_ids", sa.JSON, nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "transfusions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("unit_id", sa.String(36), nullable=False, unique=True),
        sa.Column("hospital_id", sa.String(40), nullable=False, index=True),
        sa.Column("patient_blind", sa.String(64), nullable=False, index=True),
        sa.Column("patient_masked", sa.String(40), nullable=False),
        sa.Column("patient_name_encrypted", sa.String(400), nullable=False),
        sa.Column("transfused_at", TS, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
    )
    op.create_table(
        "transfers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("from_site", sa.String(40), nullable=False, index=True),
        sa.Column("to_site", sa.String(40), nullable=False, index=True),
        sa.Column("inter_region", sa.Boolean, nullable=False),
        sa.Column("lines", sa.JSON, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("status", sa.String(15), nullable=False),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("requested_by", sa.String(100), nullable=True),
        sa.Column("plan_id", sa.String(36), nullable=True),
        sa.Column("unit_ids", sa.JSON, nullable=False),
        sa.Column("dispatched_at", TS, nullable=True),
        sa.Column("received_at", TS, nullable=True),
        sa.Column("cancelled_at", TS, nullable=True),
    )
    op.create_table(
        "rebalancing_plans",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("status", sa.String(15), nullable=False),
        sa.Column("region", sa.String(8), nullable=True),
        sa.Column("target_days", sa.Float, nullable=False),
        sa.Column("moves", sa.JSON, nullable=False),
        sa.Column("before", sa.JSON, nullable=False),
        sa.Column("after", sa.JSON, nullable=False),
        sa.Column("objective", sa.JSON, nullable=False),
        sa.Column("solver", sa.String(100), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=True),
        sa.Column("approved_at", TS, nullable=True),
        sa.Column("transfer_ids", sa.JSON, nullable=False),
    )
    create_audit_tables(op.get_bind())


def downgrade():
    for table in ("audit_log", "rebalancing_plans", "transfers", "transfusions", "orders", "stock_levels",
                  "unit_movements", "units", "site_demand", "sites"):
        op.drop_table(table)
