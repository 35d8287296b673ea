"""The API's answers are presented from domain objects, no longer stored as JSON:
- an idempotency key records the deduction it applied (`deduction_id`); a replay presents that deduction as
  applied. Keys recorded earlier keep their stored answer in `response`, which names the deduction too.
- a claim's `payments` and `pools_used` are lists from the start (empty until approval), never NULL.

Revision ID: 0007
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("idempotency_keys", sa.Column("deduction_id", sa.String(36), nullable=True))
    op.execute("UPDATE claims SET payments = '[]' WHERE payments IS NULL")
    op.execute("UPDATE claims SET pools_used = '[]' WHERE pools_used IS NULL")


def downgrade():
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("deduction_id")
