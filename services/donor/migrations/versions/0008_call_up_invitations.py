"""Shortage call-ups invite donors to free places (`call_up_invitations`); an appointment booked from an
invitation names its call-up (`appointments.campaign_id`): the report counts invited → booked → donated.

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
        "call_up_invitations",
        sa.Column("campaign_id", sa.String(36), primary_key=True),
        sa.Column("donor_id", sa.String(36), primary_key=True),
        sa.Column("point_id", sa.String(36), nullable=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.add_column("appointments", sa.Column("campaign_id", sa.String(36), nullable=True))
    op.create_index("ix_appointments_campaign_id", "appointments", ["campaign_id"])


def downgrade():
    op.drop_index("ix_appointments_campaign_id", "appointments")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("campaign_id")
    op.drop_table("call_up_invitations")
