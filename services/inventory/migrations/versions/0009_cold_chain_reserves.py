"""Cold chain (stores, readings, excursions, units' store and hold) and reserves for major events (#22).

Revision ID: 0009
"""
import sqlalchemy as sa
from alembic import op


revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None
TS = sa.DateTime(timezone=True)


def upgrade():
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("location_id", sa.String(36), nullable=True))
        batch.add_column(sa.Column("located_at", TS, nullable=True))
        batch.add_column(sa.Column("hold_ref", sa.String(36), nullable=True))
    op.create_index("ix_units_location_id", "units", ["location_id"])
    op.create_table(
        "storage_locations",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("site_id", sa.String(40), nullable=False, index=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_table(
        "temperature_readings",
        sa.Column("location_id", sa.String(36), primary_key=True),
        sa.Column("at", TS, primary_key=True),
        sa.Column("celsius", sa.Float, nullable=False),
        sa.Column("agitating", sa.Boolean, nullable=True),
        sa.Column("received_at", TS, nullable=False),
    )
    op.create_table(
        "transport_readings",
        sa.Column("transfer_id", sa.String(36), primary_key=True),
        sa.Column("at", TS, primary_key=True),
        sa.Column("celsius", sa.Float, nullable=False),
    )
    op.create_table(
        "cold_chain_excursions",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("site_id", sa.String(40), nullable=False, index=True),
        sa.Column("kind", sa.String(10), nullable=False),
        sa.Column("location_id", sa.String(36), nullable=True, index=True),
        sa.Column("transfer_id", sa.String(36), nullable=True, unique=True),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("min_c", sa.Float, nullable=True),
        sa.Column("max_c", sa.Float, nullable=True),
        sa.Column("unit_ids", sa.JSON, nullable=False),
        sa.Column("reasons", sa.JSON, nullable=False),
        sa.Column("status", sa.String(10), nullable=False, index=True),
        sa.Column("detected_at", TS, nullable=False),
        sa.Column("decision", sa.String(10), nullable=True),
        sa.Column("decided_by", sa.String(100), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decision_reason", sa.String(500), nullable=True),
        sa.UniqueConstraint("location_id", "started_at", name="uq_excursion_per_stretch"),
    )
    op.create_table(
        "stock_reserves",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("site_id", sa.String(40), nullable=False, index=True),
        sa.Column("component", sa.String(20), nullable=False),
        sa.Column("abo", sa.String(2), nullable=False),
        sa.Column("rhd", sa.String(3), nullable=False),
        sa.Column("units", sa.Float, nullable=False),
        sa.Column("starts_on", sa.Date, nullable=False),
        sa.Column("ends_on", sa.Date, nullable=False),
        sa.Column("reason", sa.String(200), nullable=False),
        sa.Column("created_by", sa.String(100), nullable=True),
        sa.Column("created_at", TS, nullable=False),
    )


def downgrade():
    for table in ("stock_reserves", "cold_chain_excursions", "transport_readings", "temperature_readings",
                  "storage_locations"):
        op.drop_table(table)
    op.drop_index("ix_units_location_id", "units")
    with op.batch_alter_table("units") as batch:
        for column in ("hold_ref", "located_at", "location_id"):
            batch.drop_column(column)
