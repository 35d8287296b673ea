"""The inbox's age index: the pruning job deletes applied claims older than the retention in batches
(`python -m waiver.jobs prune`, servicekit.retention).

Revision ID: 0010
"""
from alembic import op

from servicekit.tables import create_inbox_age_index, drop_inbox_age_index

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    create_inbox_age_index(op.get_bind())


def downgrade():
    drop_inbox_age_index(op.get_bind())
