"""Money chain entries name the key their HMAC is under (`key_id`, NULL for entries written before key ids: the
default id c1), so the chain key can be changed without losing the ability to verify older entries.

Revision ID: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    # 0002 creates the chain tables from servicekit's current metadata: a database made from scratch has the column.
    if "key_id" not in {c["name"] for c in sa.inspect(op.get_bind()).get_columns("chain_entries")}:
        op.add_column("chain_entries", sa.Column("key_id", sa.String(20), nullable=True))


def downgrade():
    with op.batch_alter_table("chain_entries") as batch:
        batch.drop_column("key_id")
