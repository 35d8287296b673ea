"""Post-donation information: a donor's report of illness after giving, the trigger of a lookback (#22).

Revision ID: 0013
"""
import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "post_donation_reports",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("donor_id", sa.String(36), nullable=False, index=True),
        sa.Column("station_id", sa.String(40), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("reason", sa.String(30), nullable=False),
        sa.Column("note", sa.String(500), nullable=True),
        sa.Column("onset_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("reported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reported_by", sa.String(100), nullable=True),
    )


def downgrade():
    op.drop_table("post_donation_reports")
