"""The ledger keeps each donor's rare phenotypes (DonorUpdated.phenotypes): they count as rare types for a
policy's `rare_types` (lifetime waivers for rare-type donors where a region grants them).

Revision ID: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("ledger_donors", sa.Column("phenotypes", sa.JSON, nullable=True))


def downgrade():
    with op.batch_alter_table("ledger_donors") as batch:
        batch.drop_column("phenotypes")
