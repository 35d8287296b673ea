"""Plans remember what open transfers they counted: a per-site transfer version, a plan's basis and source site.

`sites.transfer_version` goes up with every change to a transfer touching the site (requested, dispatched,
received, cancelled). A plan keeps the versions of its sites when it was computed (`basis`); approving it
compares them under the sites' row locks, so a plan computed before a transfer changed is refused
(409 plan_stale) instead of shipping the same units again. Plans proposed before this revision have no basis
and are stale: they did not count open transfers.

Revision ID: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("transfer_version", sa.Integer, nullable=False, server_default="0"))
    with op.batch_alter_table("rebalancing_plans") as batch:
        batch.add_column(sa.Column("from_site", sa.String(40), nullable=True))
        batch.add_column(sa.Column("basis", sa.JSON, nullable=True))
    op.create_index("ix_transfers_status", "transfers", ["status"])


def downgrade():
    op.drop_index("ix_transfers_status", "transfers")
    with op.batch_alter_table("rebalancing_plans") as batch:
        batch.drop_column("basis")
        batch.drop_column("from_site")
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("transfer_version")
