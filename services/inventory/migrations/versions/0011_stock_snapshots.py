"""Daily stock snapshots (#20): the stock view per station × component × ABO × RhD and Asia/Shanghai day, for the
days-of-supply trend of a site and the warning levels of a region over time.

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
        "stock_snapshots",
        sa.Column("site_id", sa.String(40), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("component", sa.String(20), nullable=False),
        sa.Column("abo", sa.String(2), nullable=False),
        sa.Column("rhd", sa.String(3), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("available_units", sa.Float, nullable=False),
        sa.Column("days_of_supply", sa.Float, nullable=True),
        sa.Column("level", sa.String(10), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        # A site's history reads a day range of the site: the key leads with it.
        sa.PrimaryKeyConstraint("site_id", "day", "component", "abo", "rhd"),
    )
    op.create_index("ix_stock_snapshots_region_day", "stock_snapshots", ["region", "day"])
    op.create_index("ix_stock_snapshots_day", "stock_snapshots", ["day"])


def downgrade():
    op.drop_table("stock_snapshots")
