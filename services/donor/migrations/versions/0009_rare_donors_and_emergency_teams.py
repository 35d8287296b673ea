"""Rare donors (phenotypes found by serology, consent to be called), emergency donor teams, and urgent rare
call-ups with whom they reached in each region.

Revision ID: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("donors", sa.Column("phenotypes", sa.JSON, nullable=False, server_default="[]"))
    op.add_column("donors", sa.Column("call_consent", sa.Boolean, nullable=False, server_default=sa.false()))
    op.create_table(
        "emergency_teams",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("station_id", sa.String(40), nullable=False),
        sa.Column("region", sa.String(8), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "emergency_team_members",
        sa.Column("team_id", sa.String(36), primary_key=True),
        sa.Column("donor_id", sa.String(36), primary_key=True),
        sa.Column("joined_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "rare_call_ups",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("phenotype", sa.String(20), nullable=False),
        sa.Column("abo", sa.String(2), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(500), nullable=False),
        sa.Column("requested_by", sa.String(40), nullable=False),
        sa.Column("region", sa.String(8), nullable=False),
        sa.Column("reached", sa.JSON, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    # The registry reads rare donors by RhD or by a recorded phenotype: RhD-negative donors by index.
    op.create_index("ix_donors_rhd_region", "donors", ["rhd", "region"])


def downgrade():
    op.drop_index("ix_donors_rhd_region", "donors")
    op.drop_table("rare_call_ups")
    op.drop_table("emergency_team_members")
    op.drop_table("emergency_teams")
    with op.batch_alter_table("donors") as batch:
        batch.drop_column("call_consent")
        batch.drop_column("phenotypes")
